/**
 * Line breaks other than LF, and how we show them. A reply is read by machines line by line, and
 * not every reader ends a line only at LF: Python's `str.splitlines` also ends one at CR, VT, FF,
 * FS, GS, RS, NEL (U+0085), LS (U+2028) and PS (U+2029); Java's `\R` and .NET's readers at CR,
 * VT, FF, NEL, LS and PS; JavaScript's `^`/`$` with the `m` flag at CR, LS and PS. A customer's
 * value holding one of them, written raw into our mail, would be a line the customer wrote inside
 * our block (`Acme<NEL>Status: APPROVED`). So no value may hold one (the templates room refuses it),
 * and every text of a customer's we write is shown with them made visible.
 */
import { redactApiKeys } from './redact.ts';

/** Every character some common reader ends a line at, LF and CR included. */
export const LINE_BREAK = /[\n\v\f\r\u001C-\u001E\u0085\u2028\u2029]/;

/** What the templates room calls each of them in a refusal. */
const NAMES: Readonly<Record<number, string>> = {
  10: 'LF (U+000A, line feed)',
  11: 'VT (U+000B, vertical tab)',
  12: 'FF (U+000C, form feed)',
  13: 'CR (U+000D, carriage return)',
  28: 'FS (U+001C, file separator)',
  29: 'GS (U+001D, group separator)',
  30: 'RS (U+001E, record separator)',
  133: 'NEL (U+0085, next line)',
  8232: 'LS (U+2028, line separator)',
  8233: 'PS (U+2029, paragraph separator)',
};

/** `NEL (U+0085, next line)` for a line break's code; undefined for any other character. */
export function lineBreakName(code: number): string | undefined {
  return NAMES[code];
}

/**
 * Control characters (C0 but TAB and LF, DEL, C1), the line and paragraph separators, and the
 * bidirectional embeddings, overrides and isolates (which lay a line out in an order nobody
 * wrote: WHOIS escapes them too): none is written as itself into a line of ours. CR is among
 * them: where a line may end, the caller turns CRLF into LF first.
 */
const NOT_WRITTEN_AS_IS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/**
 * One character as we show it: a C0 control or DEL as its symbol from Unicode's Control Pictures
 * block (VT -> U+240B "␋", as the mail room hands control characters on, so the echo shows the
 * same symbol wherever the character came from), a C1 control or a separator, which have no
 * picture, as `\u0085` (as WHOIS writes them).
 */
function shown(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * The text with every control character but TAB and LF, and LS and PS, made visible: what is
 * left ends a line only at LF, for every reader. For a customer's text in a mail of ours (the
 * echo of a template, a value named in a note, the record in a validation mail).
 */
export function showLineBreaks(text: string): string {
  return text.replace(NOT_WRITTEN_AS_IS, shown);
}

/** Whether the text holds nothing showLineBreaks would change (the common case, checked cheaply). */
export function writtenAsIs(text: string): boolean {
  return !ANY_NOT_WRITTEN_AS_IS.test(text);
}

const ANY_NOT_WRITTEN_AS_IS = new RegExp(NOT_WRITTEN_AS_IS.source);

/**
 * A customer's text for a mail of ours: line breaks made visible (showLineBreaks) and API keys
 * redacted. A key whose groups such a character separates (`7F3A-9C2E<LS>B41D-58E6`) is found
 * only when the character is read as the blank it stands for, and would be found no more once it
 * is written `\u2028`: then the text is written with blanks in their place, key redacted.
 */
export function visibleKeyFree(text: string): string {
  if (writtenAsIs(text)) return redactApiKeys(text);
  const blanked = text.replace(NOT_WRITTEN_AS_IS, ' ');
  const redacted = redactApiKeys(blanked);
  return redacted !== blanked ? redacted : redactApiKeys(showLineBreaks(text));
}
