/**
 * A key typed into a template's text (a comment, a name) instead of its "00. API Key:" line
 * would otherwise be written into registry records, and those are public (whois). Every string
 * of a request is passed through the redaction before the registry sees it; ranges, numbers and
 * flags are left as they are.
 */
import { redactApiKeys } from '../shared/index.ts';

export const KEY_HIDDEN_NOTE =
  'An API key written in the text of this template was hidden before anything was stored: registry records are public. Put your key only on the "00. API Key:" line or in the Subject.';

/** The value with every string redacted, and whether anything changed. */
export function hideKeysBeforeStoring<T>(value: T): { readonly value: T; readonly changed: boolean } {
  let changed = false;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const hidden = redactApiKeys(v);
      if (hidden !== v) changed = true;
      return hidden;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    }
    return v;
  };
  const result = walk(value) as T;
  return { value: changed ? result : value, changed };
}
