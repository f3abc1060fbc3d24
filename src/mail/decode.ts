/**
 * Attachment bytes -> text. mailparser undoes base64/quoted-printable but leaves attachments
 * in their charset; bodies it decodes itself. Only parts that are really text are kept: a
 * template sent as `application/octet-stream` (some billing systems do) is text; a PDF is not.
 */
import { TextDecoder } from 'node:util';

/**
 * Labels decoded as Windows-1252. Senders who say ISO-8859-1 often mean 1252 (WHATWG decodes it
 * so too), and 1252 is a superset for printable text.
 */
const WINDOWS_1252_LABELS = new Set([
  'iso-8859-1',
  'iso8859-1',
  'latin1',
  'l1',
  'us-ascii',
  'ascii',
  'cp1252',
  'windows-1252',
  'cp819',
]);

/** 0x80-0x9F in Windows-1252 (Node 20's TextDecoder maps these to C1 controls, as Latin-1). */
export const CP1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

/** Latin-1 with 0x80-0x9F mapped: at the speed a multi-megabyte attachment needs. */
export function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH.charAt(c.charCodeAt(0) - 0x80));
}

/** What bytes without a (known) charset label are read as, and the name of that reading. */
export interface CharsetGuess {
  readonly label: 'UTF-8' | 'WINDOWS-1252';
  readonly text: string;
}

/**
 * The project's one guess for unlabelled bytes: UTF-8 if they decode cleanly (a leading byte
 * order mark dropped), else Windows-1252, which reads any byte.
 */
export function guessCharset(bytes: Uint8Array): CharsetGuess {
  try {
    return {
      label: 'UTF-8',
      text: new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, ''),
    };
  } catch {
    return { label: 'WINDOWS-1252', text: decodeWindows1252(bytes) };
  }
}

function decodeAs(bytes: Uint8Array, charset: string | undefined): string | undefined {
  if (!charset) return undefined;
  const name = charset.toLowerCase().trim();
  if (WINDOWS_1252_LABELS.has(name)) return decodeWindows1252(bytes);
  try {
    return new TextDecoder(name).decode(bytes);
  } catch {
    return undefined; // an unknown charset label: guess below
  }
}

/** A label `decodeText` decodes by itself (not by the UTF-8-else-Windows-1252 guess). */
export function isKnownCharset(charset: string): boolean {
  return decodeAs(new Uint8Array(0), charset) !== undefined;
}

/** Text-like: no NUL byte and few control characters besides tab/CR/LF/FF. */
export function looksLikeText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 8192);
  let control = 0;
  for (const b of sample) {
    if (b === 0) return false;
    if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) control++;
  }
  return control <= sample.length / 100;
}

/** Declared charset first; otherwise UTF-8 if it decodes cleanly, else Windows-1252. */
export function decodeText(bytes: Uint8Array, charset?: string): string {
  const text = decodeAs(bytes, charset) ?? guessCharset(bytes).text;
  return text.replace(/^\uFEFF/, '');
}

/** CRLF and lone CR -> LF, so line numbers mean the same thing everywhere. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** The text without its trailing line feeds. An index loop: `/\n+$/` is quadratic on a run of them. */
export function trimTrailingNewlines(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** C0 controls but TAB, LF and CR, and DEL: no template value or header we keep may hold one. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/**
 * Each control character -> its symbol from Unicode's Control Pictures block (NUL -> U+2400 "␀",
 * DEL -> U+2421 "␡"). Nothing after the mail room receives a control character (PostgreSQL refuses
 * NUL in text, so a NUL that got through failed every try of the job), yet the sender's echo and
 * the staff console still show where it was, and the templates room refuses a value holding one
 * with a specific error instead of storing it silently cleaned.
 */
export function replaceControlCharacters(text: string): string {
  return text.replace(CONTROL, (c) =>
    String.fromCharCode(c === '\u007F' ? 0x2421 : 0x2400 + c.charCodeAt(0)),
  );
}
