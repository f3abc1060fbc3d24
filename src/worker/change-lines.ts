/**
 * What a change did to a record, field by field, old -> new, for the notice its contacts get: a
 * contact who did not ask for the change sees what to put back ("E-mail Address: noc@a.example ->
 * attacker@b.example"), not only that something changed. Read from the operation's audit row
 * (its before and after), so the notice says what the registry stored, not what was asked.
 * Fields kept for staff (an org's tax ID) and bookkeeping (times) are never told. Each field is
 * named as the form names it, as the reply's `modified (...)` line does (OperationContext.fieldWords).
 */
import type { AuditRow } from '../registry/index.ts';
import { type FieldWords, recordAsForm } from '../templates/index.ts';

/** At most this many characters of a value: a notice is short. */
const VALUE_CHARACTERS = 200;

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

function isRecord(value: unknown): value is Readonly<Record<string, Json>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function phoneText(value: Json): string {
  if (!isRecord(value)) return valueText(value);
  const ext = typeof value['extension'] === 'string' && value['extension'] ? ` x${value['extension']}` : '';
  return `${valueText(value['number'] ?? null)}${ext}`;
}

function valueText(value: Json | undefined): string {
  if (value === null || value === undefined || value === '') return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map((v) => phoneText(v)).join(', ');
  if (isRecord(value)) return JSON.stringify(value);
  const text = String(value).replace(/\s+/g, ' ').trim();
  return text.length > VALUE_CHARACTERS ? `${text.slice(0, VALUE_CHARACTERS)}...` : text;
}

/** Not told in a notice though its form has a field for it: kept for staff only. */
const UNTOLD = new Set(['taxId']);

/**
 * `Postal Code: 22150 -> 20190`, one line per field of the form whose value changed, named in
 * the form's words as the reply names them (`Org Postal Code` on an org's form), never by our
 * columns (`postal code`): the contact reads the notice beside the form.
 */
function changeLines(objectType: string, before: unknown, after: unknown, words: FieldWords): string[] {
  if (!isRecord(before) || !isRecord(after)) return [];
  const old = recordAsForm(objectType, before) ?? [];
  const now = new Map((recordAsForm(objectType, after) ?? []).map((f) => [f.key, f.value as Json]));
  return old.flatMap(({ key, label, value }) => {
    if (UNTOLD.has(key)) return [];
    const [was, is] = [valueText(value as Json), valueText(now.get(key))];
    // The template's own form first (its version's words), else the record's own form's.
    return was === is ? [] : [`${words(key) ?? label}: ${was} -> ${is}`];
  });
}

/**
 * The lines of the modifications among `rows` of the record (`poc`, `org`) with this handle, in
 * the words of the form the change came in on (fieldWords of its form and version).
 */
export function recordChangeLines(
  rows: readonly AuditRow[],
  objectType: 'poc' | 'org',
  handle: string,
  words: FieldWords,
): string[] {
  return rows
    .filter((r) => r.action === 'modify' && r.objectType === objectType && r.objectHandle === handle)
    .flatMap((r) => changeLines(objectType, r.before, r.after, words));
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
