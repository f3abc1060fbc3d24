/**
 * Every change to the registry leaves one audit row: who, what, which object, from which ticket
 * and submission, and the object before and after.
 */
import { insertRows, type RowValues, type TogetherWrite, type Transaction, tables } from '../db/index.ts';
import { mapArrayOnChange } from '../shared/index.ts';
import type { Actor, OperationContext } from './types.ts';

/** `account:12`, `staff:alice@registry.example`, or the system component's name (e.g. `seed`). */
export function renderActor(actor: Actor): string {
  switch (actor.kind) {
    case 'account':
      return `account:${actor.accountId}`;
    case 'staff':
      return `staff:${actor.email}`;
    case 'system':
      return actor.name;
  }
}

export type AuditAction = 'create' | 'modify' | 'remove' | 'link' | 'unlink' | 'revoke';

export interface AuditEntry {
  readonly action: AuditAction;
  readonly objectType: 'org' | 'poc' | 'customer' | 'net' | 'account' | 'api_key';
  readonly objectHandle: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly note?: string;
}

/**
 * Rows hold bigints (addresses) and Dates; JSON columns need plain values. A plain object or
 * array already made of plain values is returned as it is (an undefined member stays, and JSON
 * leaves it out as a copy did): every message's requests and rows came through here copied
 * whole, a share of the worker's garbage.
 */
export function toAuditJson(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return mapArrayOnChange(value, toAuditJson);
  if (typeof value === 'object') {
    // Another kind of object (a class's) becomes a plain one, as JSON would read its fields.
    const asIs = Object.getPrototypeOf(value) === Object.prototype;
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined = asIs ? undefined : {};
    for (const [key, inner] of Object.entries(record)) {
      if (inner === undefined) continue;
      const plain = toAuditJson(inner);
      if (out === undefined && plain !== inner) out = copyUntil(record, key);
      if (out !== undefined) out[key] = plain;
    }
    return out ?? value;
  }
  return value;
}

/** The members of `record` before `stop`, the undefined ones left out (a copy begun late). */
function copyUntil(record: Record<string, unknown>, stop: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(record)) {
    if (key === stop) break;
    if (inner !== undefined) out[key] = inner;
  }
  return out;
}

const AUDIT_COLUMNS = [
  'actor',
  'action',
  'objectType',
  'objectHandle',
  'ticketNumber',
  'submissionId',
  'before',
  'after',
  'note',
] as const;

/** An audit row as written: every column but the id and the time. */
export type AuditRow = RowValues<typeof tables.auditLog, typeof AUDIT_COLUMNS>;

function auditRow(context: OperationContext, entry: AuditEntry): AuditRow {
  return {
    actor: renderActor(context.actor),
    action: entry.action,
    objectType: entry.objectType,
    objectHandle: entry.objectHandle,
    ticketNumber: context.ticketNumber ?? null,
    submissionId: context.submissionId ?? null,
    before: toAuditJson(entry.before),
    after: toAuditJson(entry.after),
    note: entry.note ?? null,
  };
}

/**
 * Written at once, or, when the context gathers them (`pendingAudit`), handed to the caller, who
 * writes them in the same transaction once it knows the operation was kept.
 */
export async function writeAudit(
  tx: Transaction,
  context: OperationContext,
  entry: AuditEntry,
): Promise<void> {
  const row = auditRow(context, entry);
  if (context.pendingAudit) context.pendingAudit.push(row);
  else await tx.insert(tables.auditLog).values(row);
}

/** Gathered audit rows as one insert, to send with other writes (`writeTogether`); none is fine. */
export function auditRowsWrite(rows: readonly AuditRow[]): TogetherWrite {
  return insertRows(tables.auditLog, AUDIT_COLUMNS, rows);
}
