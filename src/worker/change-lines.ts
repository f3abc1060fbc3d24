/**
 * What a change did to a record, field by field, old -> new, for the notice its contacts get: a
 * contact who did not ask for the change sees what to put back ("emails: noc@a.example ->
 * attacker@b.example"), not only that something changed. Read from the operation's audit row
 * (its before and after), so the notice says what the registry stored, not what was asked.
 * Fields kept for staff (an org's tax ID) and bookkeeping (times) are never told.
 */
import type { AuditRow } from '../registry/index.ts';

/** Not told in a notice: kept for staff only, or bookkeeping. */
const UNTOLD = new Set(['taxId', 'createdAt', 'updatedAt', 'validatedAt', 'handle']);

/** At most this many characters of a value: a notice is short. */
const VALUE_CHARACTERS = 200;

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

function isRecord(value: unknown): value is Readonly<Record<string, Json>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `postalCode` -> `postal code`. */
function fieldName(key: string): string {
  return key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function phoneText(value: Json): string {
  if (!isRecord(value)) return valueText(value);
  const ext = typeof value['extension'] === 'string' && value['extension'] ? ` x${value['extension']}` : '';
  const kind = typeof value['kind'] === 'string' ? ` (${value['kind']})` : '';
  return `${valueText(value['number'] ?? null)}${ext}${kind}`;
}

function valueText(value: Json | undefined): string {
  if (value === null || value === undefined || value === '') return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map((v) => phoneText(v)).join(', ');
  if (isRecord(value)) return JSON.stringify(value);
  const text = String(value).replace(/\s+/g, ' ').trim();
  return text.length > VALUE_CHARACTERS ? `${text.slice(0, VALUE_CHARACTERS)}...` : text;
}

/** `city: Springfield -> Reston`, one line per field whose value changed. */
function changeLines(before: unknown, after: unknown): string[] {
  if (!isRecord(before) || !isRecord(after)) return [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !UNTOLD.has(k));
  return keys.flatMap((key) => {
    const old = valueText(before[key]);
    const now = valueText(after[key]);
    return old === now ? [] : [`${fieldName(key)}: ${old} -> ${now}`];
  });
}

/** The lines of the modifications among `rows` of the record (`poc`, `org`) with this handle. */
export function recordChangeLines(rows: readonly AuditRow[], objectType: string, handle: string): string[] {
  return rows
    .filter((r) => r.action === 'modify' && r.objectType === objectType && r.objectHandle === handle)
    .flatMap((r) => changeLines(r.before, r.after));
}

/**
 * The addresses a POC had before the change: a modification that replaces them (a hijack, or a
 * mistake) is told to the old addresses too, else only the new owner of the record would hear.
 */
export function emailsBefore(rows: readonly AuditRow[], handle: string): string[] {
  return rows
    .filter((r) => r.action === 'modify' && r.objectType === 'poc' && r.objectHandle === handle)
    .flatMap((r) => {
      const emails = isRecord(r.before) ? r.before['emails'] : undefined;
      return Array.isArray(emails) ? emails.filter((e): e is string => typeof e === 'string') : [];
    });
}
