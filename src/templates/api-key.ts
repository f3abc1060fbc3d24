/**
 * API keys: the classic four groups of four hex digits, or (since 2024) up to eight groups.
 * A key authorizes; it must never be echoed, logged or stored in clear, so everything that
 * leaves this module as text goes through `redactApiKeys`.
 */
export { redactApiKeys } from '../shared/redact.ts';

/** Exactly a key, nothing around it. */
export const API_KEY_EXACT = /^API(?:-[0-9A-Fa-f]{4}){4,8}$/i;
/** A key inside other text (a Subject, a template line). */
const API_KEY_ANYWHERE = /\bAPI(?:-[0-9A-Fa-f]{4}){4,8}\b/gi;
/** Keys written in a Subject line (some billing systems append the key there). Upper-cased, unique. */
export function findApiKeys(text: string): string[] {
  return [...new Set([...text.matchAll(API_KEY_ANYWHERE)].map((m) => m[0].toUpperCase()))];
}
