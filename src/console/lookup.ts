/**
 * Registry look-up for staff ("did my SWIP go through?"): nets by address, range or handle;
 * orgs, customers and POCs by handle, name or e-mail, through the registry's own indexed
 * searches; and, for each thing found, the audit trail that says which ticket and submission
 * created or changed it.
 */
import { asc, desc, inArray } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { formatAddress, parseRange } from '../ip/index.ts';
import { searchCustomers, searchNets, searchOrgs, searchPocs } from '../registry/index.ts';
import { type PocValidationRecord, validationHistory } from '../validation/index.ts';
import { type AuditEntryView, auditEntries } from './audit-view.ts';
import { hideKeysIn } from './key-hiding.ts';
import { type RemovedObject, removedObjects } from './lookup-removed.ts';

const LIMIT = 50;

type Row<T extends { $inferSelect: unknown }> = T['$inferSelect'];

export interface NetFound {
  readonly net: Row<typeof tables.nets>;
  readonly range: string;
  readonly pocs: readonly { readonly pocHandle: string; readonly role: string }[];
}

export interface LookupResult {
  readonly query: string;
  /** How the query was read, e.g. `IPv4 range 198.51.100.0 - 198.51.100.255`. */
  readonly readAs: string;
  readonly nets: readonly NetFound[];
  readonly orgs: readonly Row<typeof tables.orgs>[];
  readonly customers: readonly Row<typeof tables.customers>[];
  readonly pocs: readonly Row<typeof tables.pocs>[];
  /** Objects the registry no longer holds, found in the audit log by handle or by range (nets). */
  readonly removed: readonly RemovedObject[];
  readonly history: readonly AuditEntryView[];
  /**
   * Notes to hostmaster (a template's Additional Information) on the tickets of that history: what
   * a customer asked staff about these objects, read where staff look them up (staff-notes.ts).
   */
  readonly notes: readonly { readonly ticket: string; readonly text: string }[];
  /** Each POC found: its annual validation state and the mails that asked it (src/validation). */
  readonly validation: Readonly<Record<string, PocValidationRecord>>;
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function lookup(db: Database, rawQuery: string): Promise<LookupResult> {
  const query = rawQuery.trim().slice(0, 200);
  const empty = {
    query,
    nets: [],
    orgs: [],
    customers: [],
    pocs: [],
    removed: [],
    history: [],
    notes: [],
    validation: {},
  };
  if (!query) return { ...empty, readAs: '' };

  const range = parseRange(query);
  let readAs: string;
  let nets: Row<typeof tables.nets>[];
  let orgs: Row<typeof tables.orgs>[] = [];
  let customers: Row<typeof tables.customers>[] = [];
  let pocs: Row<typeof tables.pocs>[] = [];
  if (range.ok) {
    const { version, start, end } = range.value;
    readAs =
      start === end
        ? `IPv${version} address ${formatAddress(version, start)}`
        : `IPv${version} range ${formatAddress(version, start)} - ${formatAddress(version, end)}`;
    // Most specific first: for one address, the customer's net before the allocation holding it.
    nets = (await searchNets(db, query, LIMIT)).sort((a, b) =>
      compareBig(a.endAddress - a.startAddress, b.endAddress - b.startAddress),
    );
  } else {
    readAs = 'the start of a handle or name, or an e-mail address';
    [nets, orgs, customers, pocs] = await Promise.all([
      searchNets(db, query, LIMIT),
      searchOrgs(db, query, LIMIT),
      searchCustomers(db, query, LIMIT),
      searchPocs(db, query, LIMIT),
    ]);
  }

  const netHandles = nets.map((net) => net.handle);
  const netPocs =
    netHandles.length === 0
      ? []
      : await db
          .select()
          .from(tables.netPocs)
          .where(inArray(tables.netPocs.netHandle, netHandles))
          .orderBy(asc(tables.netPocs.role), asc(tables.netPocs.pocHandle));
  const liveHandles = [
    ...netHandles,
    ...orgs.map((o) => o.handle),
    ...customers.map((c) => c.handle),
    ...pocs.map((p) => p.handle),
  ];
  // What was removed is found by the handle its audit rows and replies link to, or by an address
  // it covered: its history answers "who removed it" (lookup-removed.ts).
  const removed = await removedObjects(
    db,
    range.ok ? { range: range.value } : { handle: query },
    new Set(liveHandles),
    LIMIT,
  );
  const handles = [...liveHandles, ...removed.map((r) => r.handle)];
  const history =
    handles.length === 0
      ? []
      : await db
          .select()
          .from(tables.auditLog)
          .where(inArray(tables.auditLog.objectHandle, handles))
          .orderBy(desc(tables.auditLog.at), desc(tables.auditLog.id))
          .limit(200);
  const validation = Object.fromEntries(
    await validationHistory(
      db,
      pocs.map((p) => p.handle),
    ),
  );
  // Registry records are public, and the worker hides keys before storing; rows written before
  // it knew every shape of a key (or by hand) are hidden on the page all the same.
  const shownHistory = await auditEntries(db, history);
  const tickets = [...new Set(history.map((row) => row.ticketNumber).filter((t): t is string => !!t))];
  const notes =
    tickets.length === 0
      ? []
      : (
          await db
            .select({ ticket: tables.tickets.number, text: tables.tickets.additionalInfo })
            .from(tables.tickets)
            .where(inArray(tables.tickets.number, tickets))
            .orderBy(desc(tables.tickets.number))
        ).flatMap((row) => (row.text ? [{ ticket: row.ticket, text: row.text }] : []));
  return hideKeysIn({
    validation,
    query,
    readAs,
    nets: nets.map((net) => ({
      net,
      range: `${formatAddress(net.version, net.startAddress)} - ${formatAddress(net.version, net.endAddress)}`,
      pocs: netPocs
        .filter((np) => np.netHandle === net.handle)
        .map(({ pocHandle, role }) => ({ pocHandle, role })),
    })),
    orgs,
    customers,
    pocs,
    removed,
    history: shownHistory,
    notes,
  });
}
