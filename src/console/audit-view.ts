/**
 * The audit trail as staff read it: who (an account by its name and addresses, not `account:1`),
 * what, on which object (a registry object links to its look-up), and every value the change
 * moved, old -> new, read from the row's `before` and `after`.
 */
import { inArray } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { formColumns, recordAsForm } from '../templates/index.ts';
import { hideKeysIn } from './key-hiding.ts';
import { type DiffLine, diffLines } from './text-diff.ts';

type AuditRow = typeof tables.auditLog.$inferSelect;

/** One value a change moved; a text of several lines also as its changed lines. */
export interface ValueChange {
  readonly field: string;
  readonly old: string | null;
  readonly new: string | null;
  readonly lines?: readonly DiffLine[];
}

export interface AuditEntryView {
  readonly row: AuditRow;
  /** `account:12` as `DEMO-ISP (noc@demo-isp.example)`; other actors as written. */
  readonly who: { readonly actor: string; readonly account?: AccountName };
  /** Where the object is looked up: registry objects by handle. */
  readonly objectLink: string | undefined;
  readonly changes: readonly ValueChange[];
  /** A staff action whose registry changes can still be taken back from this row (undo.ts). */
  readonly undoable?: boolean;
}

export interface AccountName {
  readonly id: number;
  readonly name: string;
  readonly emails: readonly string[];
}

/** Objects the registry look-up finds by handle. */
const LOOKED_UP = new Set(['org', 'poc', 'customer', 'net']);
/** Bookkeeping columns every write moves: not what anybody changed. */
const NOT_A_CHANGE = new Set(['updatedAt', 'createdAt', 'id']);

function shown(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
  return JSON.stringify(value);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * A row's before or after as staff read it: a record a form writes (POC, org, customer, net) by
 * its form's fields in the form's words (`Org Postal Code`), as the customer's reply and notice
 * name them, then what no form has a field for (a validation state, a parent) by our own names.
 */
function namedFields(objectType: string, value: unknown): Record<string, unknown> | undefined {
  const record = asRecord(value);
  if (!record) return undefined;
  const asForm = recordAsForm(objectType, record);
  if (!asForm) return record;
  const read = formColumns(objectType);
  const named: Record<string, unknown> = {};
  for (const field of asForm) named[field.label] = field.value;
  for (const [key, v] of Object.entries(record)) if (!read.has(key)) named[key] = v;
  return named;
}

/**
 * Every field whose value differs between `before` and `after` (a created object: every field it
 * was given; a removed one: every field it had). A value that is not an object is one change.
 */
export function valueChanges(before: unknown, after: unknown, objectType = ''): ValueChange[] {
  const old = namedFields(objectType, before);
  const now = namedFields(objectType, after);
  if (!old && !now) {
    const [a, b] = [shown(before), shown(after)];
    return a === b ? [] : [{ field: 'value', old: a, new: b }];
  }
  const fields = [...new Set([...Object.keys(old ?? {}), ...Object.keys(now ?? {})])];
  const changes: ValueChange[] = [];
  for (const field of fields) {
    if (NOT_A_CHANGE.has(field)) continue;
    const a = shown(old?.[field]);
    const b = shown(now?.[field]);
    if (a === b || ((a === null || a === '') && (b === null || b === ''))) continue;
    // An empty list is no value, as a blank field is none.
    if ((a === null || a === '' || a === '[]') && (b === null || b === '' || b === '[]')) continue;
    const multiLine = (a ?? '').includes('\n') || (b ?? '').includes('\n');
    changes.push({
      field,
      old: a,
      new: b,
      ...(multiLine ? { lines: diffLines(a ?? '', b ?? '').filter((l) => l.kind !== 'same') } : {}),
    });
  }
  return changes;
}

/** The accounts named by `account:<id>` actors, with their addresses. */
async function accountNames(db: Database, rows: readonly AuditRow[]): Promise<Map<number, AccountName>> {
  const ids = [
    ...new Set(
      rows.flatMap((r) => {
        const m = /^account:(\d+)$/.exec(r.actor);
        return m ? [Number(m[1])] : [];
      }),
    ),
  ];
  if (ids.length === 0) return new Map();
  const [accounts, emails] = await Promise.all([
    db
      .select({ id: tables.accounts.id, name: tables.accounts.name })
      .from(tables.accounts)
      .where(inArray(tables.accounts.id, ids)),
    db
      .select({ id: tables.accountEmails.accountId, email: tables.accountEmails.email })
      .from(tables.accountEmails)
      .where(inArray(tables.accountEmails.accountId, ids)),
  ]);
  return new Map(
    accounts.map((a) => [
      a.id,
      {
        ...a,
        emails: emails
          .filter((e) => e.id === a.id)
          .map((e) => e.email)
          .sort(),
      },
    ]),
  );
}

/** The rows as staff read them (keys hidden, as every page hides them). */
export async function auditEntries(db: Database, rows: readonly AuditRow[]): Promise<AuditEntryView[]> {
  const names = await accountNames(db, rows);
  return hideKeysIn(rows.map((row) => ({ ...row }))).map((row) => {
    const id = /^account:(\d+)$/.exec(row.actor)?.[1];
    const account = id === undefined ? undefined : names.get(Number(id));
    return {
      row,
      who: { actor: row.actor, ...(account ? { account } : {}) },
      objectLink: LOOKED_UP.has(row.objectType)
        ? `/lookup?q=${encodeURIComponent(row.objectHandle)}`
        : undefined,
      changes: valueChanges(row.before, row.after, row.objectType),
    };
  });
}
