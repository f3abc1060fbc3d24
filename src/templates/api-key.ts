/**
 * API keys: the classic four groups of four hex digits, or (since 2024) up to eight groups.
 * A key authorizes; it must never be echoed, logged or stored in clear, so everything that
 * leaves this module as text goes through `redactApiKeys`.
 */
import { findKeySpans, redactedKey } from '../shared/index.ts';
import { isComment } from './read-fields.ts';
import type { NumberedLine } from './split.ts';

/** Exactly a key, nothing around it. */
export const API_KEY_EXACT = /^API(?:-[0-9A-Fa-f]{4}){4,8}$/i;

/** How a key must be written, spelled out for people (no hex digit in it, so no redaction eats it). */
export const API_KEY_FORMAT =
  'API-XXXX-XXXX-XXXX-XXXX: "API", then 4 to 8 groups of 4 hex digits (0-9, A-F), each after a hyphen';

/**
 * Why a line 00 value is not a key, in words that never repeat it: a key written in another
 * shape (`7F3A-9C2E-B41D-58E6`, `API 7F3A 9C2E ...`, `AP1-...`) is named by its redacted form,
 * so the sender can tell which key we mean, and told how it must look.
 */
export function malformedKeyMessage(raw: string): string {
  const [shape] = findKeySpans(raw);
  const seen = shape
    ? `the API key is malformed: ${redactedKey(shape.groups)} (shown redacted) is not written as a key is`
    : 'the API key is malformed';
  return `${seen}; write it as ${API_KEY_FORMAT}`;
}
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
