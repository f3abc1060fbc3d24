/**
 * API keys: the classic four groups of four hex digits, or (since 2024) up to eight groups.
 * A key authorizes; it must never be echoed, logged or stored in clear, so everything that
 * leaves this module as text goes through `redactApiKeys`.
 */
import { isComment } from './read-fields.ts';
import type { NumberedLine } from './split.ts';

export { redactApiKeys } from '../shared/redact.ts';

/** Exactly a key, nothing around it. */
export const API_KEY_EXACT = /^API(?:-[0-9A-Fa-f]{4}){4,8}$/i;
/** A key inside other text (a Subject, a template line). */
const API_KEY_ANYWHERE = /\bAPI(?:-[0-9A-Fa-f]{4}){4,8}\b/gi;
/** Keys written in a Subject line (some billing systems append the key there). Upper-cased, unique. */
export function findApiKeys(text: string): string[] {
  return [...new Set([...text.matchAll(API_KEY_ANYWHERE)].map((m) => m[0].toUpperCase()))];
}

/** Line 00 (`00.`, `0.`, `00 .`): where every form and version takes the API key. */
const KEY_LINE = /^\s*0{1,3}[a-zA-Z]?\s*\./;
/** Any other numbered line ends what an unlabelled line would continue. */
const NUMBERED_LINE = /^\s*\d{1,3}[a-zA-Z]?\s*\./;

/**
 * Keys written on a template's line 00, or on the unlabelled lines that continue it, whether or
 * not the template can be read (an unknown form, a field in error, two 00 lines): the
 * one-key-per-message rule must see every key the sender gave. Upper-cased, unique.
 */
export function findKeyLineKeys(body: readonly NumberedLine[]): string[] {
  const keys = new Set<string>();
  let onKeyLine = false;
  for (const { text } of body) {
    const trimmed = text.trim();
    if (trimmed.length === 0 || isComment(trimmed)) continue;
    if (KEY_LINE.test(text)) onKeyLine = true;
    else if (NUMBERED_LINE.test(text)) onKeyLine = false;
    if (onKeyLine) for (const key of findApiKeys(text)) keys.add(key);
  }
  return [...keys];
}
