/**
 * Objects the registry no longer holds, found by what staff type: "my net vanished, who removed
 * it?" is asked with the handle an audit row or a reply links to, or with an address it held. The
 * registry's tables keep only what exists; the audit log keeps every removal with the object as
 * it was (`before`), so a removed net, org, POC or customer is found there by its handle, and a
 * removed net by an address or range it covered. Its history is then read like a live object's.
 */
import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/index.ts';
import { formatAddress, type IpRange } from '../ip/index.ts';

const REMOVABLE = ['net', 'org', 'poc', 'customer'] as const;

export interface RemovedObject {
  readonly objectType: string;
  readonly handle: string;
  /** The name it had (a net's, an org's, a customer's; a POC's last name). */
  readonly name: string;
  /** A net's range as it was, `a - b`. */
  readonly range?: string;
  readonly removedAt: Date;
  readonly removedBy: string;
  readonly ticket: string | null;
  readonly submissionId: string | null;
}

type RemovedRow = {
  object_type: string;
  object_handle: string;
  before: Record<string, unknown> | null;
  at: Date | string;
  actor: string;
  ticket_number: string | null;
  submission_id: string | null;
};

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function toRemoved(row: RemovedRow): RemovedObject {
  const before = row.before ?? {};
  const version = before['version'] === 6 ? 6 : 4;
  const start = text(before['startAddress']);
  const end = text(before['endAddress']);
  const name = text(before['name']) || text(before['lastName']);
  return {
    objectType: row.object_type,
    handle: row.object_handle,
    name,
    ...(row.object_type === 'net' && /^\d+$/.test(start) && /^\d+$/.test(end)
      ? { range: `${formatAddress(version, BigInt(start))} - ${formatAddress(version, BigInt(end))}` }
      : {}),
    removedAt: new Date(row.at),
    removedBy: row.actor,
    ticket: row.ticket_number,
    submissionId: row.submission_id,
  };
}

/**
 * Removals of objects by handle (as typed, any case), or of nets that covered the range, the latest
 * removal of each handle that does not exist again (`live`: the handles the registry holds now).
 */
export async function removedObjects(
  db: Database,
  query: { readonly handle?: string; readonly range?: IpRange },
  live: ReadonlySet<string>,
  limit: number,
): Promise<RemovedObject[]> {
  const where = query.range
    ? sql`a.object_type = 'net'
        AND (a.before->>'version')::int = ${query.range.version}
        AND (a.before->>'startAddress')::numeric <= ${query.range.end.toString()}::numeric
        AND (a.before->>'endAddress')::numeric >= ${query.range.start.toString()}::numeric`
    : sql`a.object_type IN (${sql.join(
        REMOVABLE.map((t) => sql`${t}`),
        sql`, `,
      )}) AND a.object_handle = ${(query.handle ?? '').toUpperCase()}`;
  const rows = await queryRows<RemovedRow>(
    db,
    sql`SELECT DISTINCT ON (a.object_handle) a.object_type, a.object_handle, a.before, a.at, a.actor,
          a.ticket_number, a.submission_id
        FROM audit_log AS a
        WHERE a.action = 'remove' AND ${where}
        ORDER BY a.object_handle, a.at DESC, a.id DESC
        LIMIT ${limit}`,
  );
  return rows.filter((row) => !live.has(row.object_handle)).map(toRemoved);
}
