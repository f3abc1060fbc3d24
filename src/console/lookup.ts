/**
 * Registry look-up for staff ("did my SWIP go through?"): nets by address, range or handle;
 * orgs, customers and POCs by handle, name or e-mail; and, for each thing found, the audit
 * trail that says which ticket and submission created or changed it.
 */
import { and, asc, desc, eq, gte, ilike, inArray, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { formatAddress, type IpRange, parseRange } from '../ip/index.ts';

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
  readonly history: readonly Row<typeof tables.auditLog>[];
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Nets overlapping the range, most specific first: for one address, every net that contains it. */
async function netsByRange(db: Database, range: IpRange): Promise<Row<typeof tables.nets>[]> {
  const n = tables.nets;
  return await db
    .select()
    .from(n)
    .where(and(eq(n.version, range.version), lte(n.startAddress, range.end), gte(n.endAddress, range.start)))
    .orderBy(sql`${n.endAddress} - ${n.startAddress}`, asc(n.startAddress))
    .limit(LIMIT);
}

export async function lookup(db: Database, rawQuery: string): Promise<LookupResult> {
  const query = rawQuery.trim().slice(0, 200);
  const empty = { query, nets: [], orgs: [], customers: [], pocs: [], history: [] };
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
    nets = await netsByRange(db, range.value);
  } else {
    readAs = 'a handle, name or e-mail address';
    const upper = query.toUpperCase();
    const like = `%${escapeLike(query)}%`;
    const n = tables.nets;
    const o = tables.orgs;
    const c = tables.customers;
    const p = tables.pocs;
    [nets, orgs, customers, pocs] = await Promise.all([
      db
        .select()
        .from(n)
        .where(or(eq(n.handle, upper), ilike(n.name, like)))
        .orderBy(asc(n.handle))
        .limit(LIMIT),
      db
        .select()
        .from(o)
        .where(or(eq(o.handle, upper), ilike(o.name, like)))
        .orderBy(asc(o.handle))
        .limit(LIMIT),
      db
        .select()
        .from(c)
        .where(or(eq(c.handle, upper), ilike(c.name, like)))
        .orderBy(asc(c.handle))
        .limit(LIMIT),
      db
        .select()
        .from(p)
        .where(
          or(
            eq(p.handle, upper),
            ilike(p.lastName, like),
            ilike(p.firstName, like),
            ilike(p.company, like),
            sql`exists (select 1 from unnest(${p.emails}) as e(address) where e.address ilike ${like})`,
          ),
        )
        .orderBy(asc(p.handle))
        .limit(LIMIT),
    ]);
  }

  const netHandles = nets.map((net) => net.handle);
  const netPocs =
    netHandles.length === 0
      ? []
      : await db.select().from(tables.netPocs).where(inArray(tables.netPocs.netHandle, netHandles));
  const handles = [
    ...netHandles,
    ...orgs.map((o) => o.handle),
    ...customers.map((c) => c.handle),
    ...pocs.map((p) => p.handle),
  ];
  const history =
    handles.length === 0
      ? []
      : await db
          .select()
          .from(tables.auditLog)
          .where(inArray(tables.auditLog.objectHandle, handles))
          .orderBy(desc(tables.auditLog.at), desc(tables.auditLog.id))
          .limit(200);
  return {
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
    history,
  };
}
