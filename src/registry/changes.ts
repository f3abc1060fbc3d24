/**
 * What a modify (an M template) changed: the fields whose stored value differs from the value the
 * modify would store, each compared after the same cleaning the form's values get before they are
 * stored (trimmed text, upper-cased country codes, canonical handles, blank lines dropped). A
 * billing system sends the whole form every time: the fields it filled in are not the fields
 * that changed, and the reply, the contacts' notice, the audit row and a record's Updated date
 * are about the latter only.
 */
import { isDeepStrictEqual } from 'node:util';

/** Absent, null and an empty list are one value: nothing stored. */
function stored(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value) && value.length === 0) return null;
  return value;
}

/** The fields, in the order given, whose values differ between `before` and `after`. */
export function changedFields<K extends string>(
  before: Readonly<Record<K, unknown>>,
  after: Readonly<Record<K, unknown>>,
  fields: readonly K[],
): K[] {
  return fields.filter((field) => !isDeepStrictEqual(stored(before[field]), stored(after[field])));
}

/**
 * A modify's line in the reply: the fields that changed (request keys, shown in the form's words
 * when the caller gives them: OperationContext.fieldWords), or that none did. The second is an
 * answer of its own (APPROVED, `unchanged`: nothing written, nobody notified), worded as a
 * resend's is (`nothing changed`), so a reader that looks for the words finds them in both.
 */
export function modifiedLine(
  what: string,
  changed: readonly string[],
  words: ((key: string) => string | undefined) | undefined,
): string {
  return changed.length > 0
    ? `${what} modified (${changed.map((key) => words?.(key) ?? key).join(', ')}).`
    : `${what} not modified: it already holds every value the template gives, nothing changed.`;
}
