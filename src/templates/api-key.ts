/**
 * API keys: the classic four groups of four hex digits, or (since 2024) up to eight groups.
 * A key authorizes; it must never be echoed, logged or stored in clear, so everything that
 * leaves this module as text goes through `redactApiKeys`.
 */
import { findKeySpans, redactedKey } from '../shared/index.ts';
import { isComment, writtenLabel } from './read-fields.ts';
import type { NumberedLine } from './split.ts';
import type { VersionIndex } from './version-index.ts';

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
/** Line 00's label, `API Key`, as `normalizeLabel` writes it: the same on every form and version. */
const KEY_LABEL = 'apikey';

/**
 * Whether the label from `from` on can read as `API Key`: its first letter or digit outside
 * parentheses (the ones `normalizeLabel` keeps) is an `a`. Most labels are ruled out at once.
 */
function mayBeKeyLabel(text: string, from: number): boolean {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 /* ( */) depth++;
    else if (c === 41 /* ) */) depth = depth > 0 ? depth - 1 : 0;
    else if (depth > 0) continue;
    else if (c === 58 /* : */) return false;
    else if (c === 65 || c === 97) return true;
    else if ((c >= 48 && c <= 57) || (c >= 66 && c <= 90) || (c >= 98 && c <= 122)) return false;
  }
  return false;
}

/**
 * Keys written on a template's line 00 (numbered, or `API Key:` without its number), or on the
 * lines that continue it, whether or not the template can be read (an unknown form, a field in
 * error, two 00 lines): the one-key-per-message rule must see every key the sender gave. A line
 * is line 00 or another field as the template reader reads it: by its label when that is one of
 * the form's (`index`, when the form is known; `API Key` on every form), else by its number.
 * Upper-cased, unique.
 */
export function findKeyLineKeys(body: readonly NumberedLine[], index?: VersionIndex): string[] {
  const keys = new Set<string>();
  let onKeyLine = false;
  for (const { text } of body) {
    const trimmed = text.trim();
    if (trimmed.length === 0 || isComment(trimmed)) continue;
    // As the reader finds a field: by its label when it is one of the form's, else by its number.
    // A label is looked up only when it may be `API Key`, or may end line 00 (every line holds
    // one, and this runs before any template is read).
    const numbered = NUMBERED_LINE.exec(text);
    const from = numbered ? numbered[0].length : 0;
    const wanted = mayBeKeyLabel(text, from) || (numbered ? KEY_LINE.test(text) : onKeyLine);
    const label = wanted ? writtenLabel(text.slice(from).trim())?.label : undefined;
    if (label === KEY_LABEL) onKeyLine = true;
    else if (label !== undefined && index?.byLabel.has(label)) onKeyLine = false;
    else if (numbered) onKeyLine = KEY_LINE.test(text);
    if (onKeyLine) for (const key of findApiKeys(text)) keys.add(key);
  }
  return [...keys];
}
