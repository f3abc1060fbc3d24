/**
 * API keys: the classic four groups of four hex digits, or (since 2024) up to eight groups.
 * A key authorizes; it must never be echoed, logged or stored in clear, so everything that
 * leaves this module as text goes through `redactApiKeys`.
 */
import { redactKey } from '../shared/redact.ts';

/** Exactly a key, nothing around it. */
export const API_KEY_EXACT = /^API(?:-[0-9A-Fa-f]{4}){4,8}$/i;
/** A key inside other text (a Subject, a template line). */
const API_KEY_ANYWHERE = /\bAPI(?:-[0-9A-Fa-f]{4}){4,8}\b/gi;
/** Anything that starts like a key, so a mistyped key is hidden too. */
const API_KEY_LIKE = /API-[0-9A-Za-z-]{4,}/gi;

/**
 * Hides every key-looking string in a text. Well-formed keys keep their last group, in the
 * shape of shared's `redactKey` (`API-****-****-****-CDEF`); a mistyped key, which shared's
 * pattern would not see, becomes `[redacted]`.
 */
export function redactApiKeys(text: string): string {
  return text.replace(API_KEY_LIKE, (match) => (API_KEY_EXACT.test(match) ? redactKey(match) : '[redacted]'));
}

/** Keys written in a Subject line (some billing systems append the key there). Upper-cased, unique. */
export function findApiKeys(text: string): string[] {
  return [...new Set([...text.matchAll(API_KEY_ANYWHERE)].map((m) => m[0].toUpperCase()))];
}
