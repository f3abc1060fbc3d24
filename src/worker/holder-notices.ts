/**
 * A change staff approved over E_NOT_AUTHORIZED was made in space the requester does not hold:
 * the holder is exactly who must hear of it (a net registered under its allocation, its POCs
 * published as a stranger's customer's contacts). Every org holding a net the change created,
 * changed or removed, or a net above one, is sent a notice with the ticket; the requester has the
 * reply. Ordinary changes are the requester's own space and need none.
 */
import { inArray } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import type { AuditRow } from '../registry/index.ts';
import { type Notice, orgContactEmails } from './notices.ts';

/** A line for the holder: why they hear of a change they did not ask for. */
export const HOLDER_NOTICE_LINE =
  'Hostmaster staff approved this change, asked by another account, in address space your organization holds (a staff override of E_NOT_AUTHORIZED); write to hostmaster quoting the ticket if it is not right.';

/** The holder's line when staff take such a change back: what they were told of is gone again. */
export const HOLDER_UNDO_LINE =
  'Hostmaster staff undid a change they had approved, asked by another account, in address space your organization holds (a staff override of E_NOT_AUTHORIZED): what it registered or changed there is taken back.';

/** What of an audit row tells whose space a change was in. */
type NetChange = Pick<AuditRow, 'objectType' | 'before' | 'after'>;

const field = (value: unknown, key: string): string | undefined => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'string' && found !== '' ? found : undefined;
};

/** The orgs of the nets the audit rows touch and of every net above them, each once, nearest first. */
async function holdersOf(tx: Transaction, rows: readonly NetChange[]): Promise<string[]> {
  const orgs: string[] = [];
  const add = (org: string | undefined) => {
    if (org && !orgs.includes(org)) orgs.push(org);
  };
  let next: string[] = [];
  for (const row of rows) {
    if (row.objectType !== 'net') continue;
    // A changed or removed net's own holder; a new net's org is told as its downstream org.
    add(field(row.before, 'orgHandle'));
    for (const side of [row.after, row.before]) {
      const parent = field(side, 'parentHandle');
      if (parent && !next.includes(parent)) next.push(parent);
    }
  }
  const seen = new Set<string>();
  // Nets nest a few levels deep: one read per level, up to the registry's own allocation.
  while (next.length > 0) {
    for (const handle of next) seen.add(handle);
    const nets = await tx
      .select({ org: tables.nets.orgHandle, parent: tables.nets.parentHandle })
      .from(tables.nets)
      .where(inArray(tables.nets.handle, next));
    for (const net of nets) add(net.org ?? undefined);
    next = [...new Set(nets.map((n) => n.parent).filter((p): p is string => p !== null && !seen.has(p)))];
  }
  return orgs;
}

/**
 * A notice for each org holding space the changes were in (`line` says why they hear of it: the
 * override, or its undo, whose rows are the changes it took back).
 */
export async function holderNotices(
  tx: Transaction,
  rows: readonly NetChange[],
  base: Omit<Notice, 'to' | 'objectType' | 'handle'>,
  line: string = HOLDER_NOTICE_LINE,
): Promise<Notice[]> {
  const notices: Notice[] = [];
  for (const org of await holdersOf(tx, rows)) {
    const to = await orgContactEmails(tx, org);
    if (to.length === 0) continue;
    notices.push({
      ...base,
      summaryLines: [...base.summaryLines, line],
      to,
      objectType: 'org',
      handle: org,
    });
  }
  return notices;
}
