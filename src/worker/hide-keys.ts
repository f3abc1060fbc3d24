/**
 * A key typed into a template's text (a comment, a name) instead of its "00. API Key:" line
 * would otherwise be written into registry records, and those are public (whois). Every string
 * of a request is passed through the redaction before the registry sees it; ranges, numbers and
 * flags are left as they are.
 */
import { mapArrayOnChange, redactApiKeys } from '../shared/index.ts';

export const KEY_HIDDEN_NOTE =
  'An API key written in the text of this template was hidden before anything was stored: registry records are public. Put your key only on the "00. API Key:" line or in the Subject.';

/** The value with every string redacted, and whether anything changed. */
export function hideKeysBeforeStoring<T>(value: T): { readonly value: T; readonly changed: boolean } {
  const hidden = hideIn(value);
  return { value: hidden as T, changed: hidden !== value };
}

/**
 * `value` itself when none of its strings holds a key, else a copy with them redacted. Nearly
 * every request and decision holds none: copying each of their objects and arrays on the way
 * was most of this walk's time and garbage, so a copy is made only above a string that changed.
 */
function hideIn(value: unknown): unknown {
  if (typeof value === 'string') return redactApiKeys(value);
  if (Array.isArray(value)) return mapArrayOnChange(value, hideIn);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const key in record) {
      const inner = record[key];
      const hidden = hideIn(inner);
      if (hidden !== inner) {
        copy ??= { ...record };
        copy[key] = hidden;
      }
    }
    return copy ?? value;
  }
  return value;
}
