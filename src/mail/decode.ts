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
  readonly label: 'UTF-8' | WideEncoding | 'WINDOWS-1252';
  readonly text: string;
}

/** The Unicode encodings of more than a byte a character that text may come in. */
export type WideEncoding = 'UTF-16LE' | 'UTF-16BE' | 'UTF-32LE' | 'UTF-32BE';

type Unicode = 'UTF-8' | WideEncoding;

/**
 * The encoding a byte order mark at the start names. Windows Notepad saves "Unicode" as UTF-16LE
 * with FF FE, "Unicode big endian" with FE FF, and "UTF-8" with EF BB BF; a file attached as
 * text/plain usually carries no charset label, and a label that contradicts the mark is wrong
 * (no single-byte text starts with those bytes), so the mark wins, as browsers decide too.
 * UTF-32 (editors' and converters' "UTF-32", Python's `encode('utf-32')`) marks itself FF FE 00 00
 * or 00 00 FE FF; FF FE 00 00 is also UTF-16LE's mark before a NUL, which no text starts with,
 * so it is UTF-32LE whenever the bytes are whole UTF-32 characters.
 */
function byteOrderMark(bytes: Uint8Array): Unicode | undefined {
  const [a, b, c, d] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return 'UTF-8';
  if (a === 0xff && b === 0xfe && c === 0 && d === 0 && bytes.length % 4 === 0) return 'UTF-32LE';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32BE';
  if (a === 0xff && b === 0xfe) return 'UTF-16LE';
  if (a === 0xfe && b === 0xff) return 'UTF-16BE';
  return undefined;
}

/**
 * UTF-32 in the byte order named, or undefined when it is not (a length that is no multiple of
 * four, a value past U+10FFFF or a surrogate): Node's TextDecoder has no UTF-32 (WHATWG dropped it).
 */
function decodeUtf32(bytes: Uint8Array, order: 'UTF-32LE' | 'UTF-32BE'): string | undefined {
  if (bytes.length % 4 !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = order === 'UTF-32LE';
  const chunks: string[] = [];
  let units: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    const point = view.getUint32(i, little);
    if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return undefined;
    if (point > 0xffff) units.push(0xd800 + ((point - 0x10000) >> 10), 0xdc00 + ((point - 0x10000) & 0x3ff));
    else units.push(point);
    // fromCharCode takes its arguments on the stack: a few thousand at a time.
    if (units.length >= 4096) {
      chunks.push(String.fromCharCode(...units));
      units = [];
    }
  }
  chunks.push(String.fromCharCode(...units));
  return chunks.join('').replace(/^\uFEFF/, '');
}

/** The bytes read in a wide encoding, or undefined when they are not written in it. */
function decodeWideText(bytes: Uint8Array, encoding: WideEncoding): string | undefined {
  return encoding === 'UTF-32LE' || encoding === 'UTF-32BE'
    ? decodeUtf32(bytes, encoding)
    : decodeWide(bytes, encoding);
}

/** Bytes looked at to tell UTF-16 without a byte order mark (an even count). */
const WIDE_SAMPLE = 8192;

/**
 * UTF-16 without a byte order mark, told only where it cannot be anything else: an even number
 * of bytes and, in the sample, NULs at one position of the pairs and (almost) none at the other.
 * Latin text has a NUL in every pair (the high byte: `T\0e\0m\0`). Text in another script
 * (Cyrillic, Greek, Hebrew, Arabic, CJK: high bytes 04, 03, 05, 06, 4E-9F) has them only in its
 * ASCII characters, which in a template are every label, number and `Template:` line: a quarter
 * of the pairs at least is asked for. A few NULs at the other position are characters U+xx00
 * (`一` U+4E00). No text a person writes in UTF-8 or a single-byte charset holds a NUL in one
 * byte of four; and read as UTF-16 the sample must be text (almost no control character, no
 * broken surrogate), so binary with NULs is not taken for it. UTF-32 without a mark (NULs at
 * both positions) is not guessed.
 */
function wideWithoutMark(bytes: Uint8Array): 'UTF-16LE' | 'UTF-16BE' | undefined {
  if (bytes.length < 4 || bytes.length % 2 !== 0) return undefined;
  const end = Math.min(bytes.length, WIDE_SAMPLE);
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < end; i += 2) {
    if (bytes[i] === 0) evenNul++;
    if (bytes[i + 1] === 0) oddNul++;
  }
  const pairs = end / 2;
  const order =
    oddNul * 4 >= pairs && evenNul * 16 <= oddNul
      ? 'UTF-16LE'
      : evenNul * 4 >= pairs && oddNul * 16 <= evenNul
        ? 'UTF-16BE'
        : undefined;
  return order && readsAsText(bytes.subarray(0, end), order) ? order : undefined;
}

/** The sample read as UTF-16 is text: control characters (NUL among them) in 1 of 100 at most, one broken surrogate (the cut). */
function readsAsText(sample: Uint8Array, order: 'UTF-16LE' | 'UTF-16BE'): boolean {
  const text = new TextDecoder(order.toLowerCase()).decode(sample);
  let odd = 0;
  let broken = 0;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (u === 0xfffd) broken++;
    else if (u < 32 && u !== 9 && u !== 10 && u !== 13 && u !== 12) odd++;
  }
  return broken <= 1 && odd * 100 <= text.length;
}

/**
 * Text decoded as UTF-8 (or ASCII) from UTF-16: a NUL for each ASCII character (an eighth of the
 * first 4,096 characters at least: UTF-16 of another script has NULs in its ASCII characters
 * alone, see wideWithoutMark). A NUL or two pasted into a value is not it.
 */
export function misreadUtf16(text: string): boolean {
  if (!text.includes('\u0000')) return false;
  const end = Math.min(text.length, 4096);
  let nul = 0;
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 0) nul++;
  return end > 0 && nul * 8 >= end;
}

/** UTF-16 in the byte order named, or undefined when it is not (an unpaired surrogate, an odd byte). */
function decodeWide(bytes: Uint8Array, order: 'UTF-16LE' | 'UTF-16BE'): string | undefined {
  try {
    return new TextDecoder(order.toLowerCase(), { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return undefined;
  }
}

/** The wide encoding the bytes are written in, by their byte order mark or UTF-16's NULs, or undefined. */
export function wideEncoding(bytes: Uint8Array): WideEncoding | undefined {
  const mark = byteOrderMark(bytes);
  if (mark === 'UTF-8') return undefined;
  return mark ?? wideWithoutMark(bytes);
}

/**
 * The project's one guess for unlabelled bytes: UTF-16 when a byte order mark or the NULs of
 * UTF-16 say so (and the bytes decode as it), else UTF-8 if they decode cleanly (a leading byte
 * order mark dropped), else Windows-1252, which reads any byte.
 */
export function guessCharset(bytes: Uint8Array): CharsetGuess {
  const wide = wideEncoding(bytes);
  const wideText = wide ? decodeWideText(bytes, wide) : undefined;
  if (wide && wideText !== undefined) return { label: wide, text: wideText };
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

/** Control characters other than tab/CR/LF/FF/ESC among the units, or -1 when one is a NUL. */
function controlCount(units: ArrayLike<number>): number {
  let control = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u === 0) return -1;
    if (u < 32 && u !== 9 && u !== 10 && u !== 13 && u !== 12 && u !== 27) control++;
  }
  return control;
}

/**
 * Text-like: no NUL and few control characters besides tab/CR/LF/FF, read as bytes or, for
 * UTF-16 (a byte order mark or its NULs), as the characters they encode.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, WIDE_SAMPLE);
  const wide = wideEncoding(bytes);
  if (wide) {
    const text =
      wide === 'UTF-32LE' || wide === 'UTF-32BE'
        ? (decodeUtf32(sample.subarray(0, sample.length - (sample.length % 4)), wide) ?? '\u0000')
        : new TextDecoder(wide.toLowerCase()).decode(sample);
    const units: number[] = [];
    for (let i = 0; i < text.length; i++) units.push(text.charCodeAt(i));
    const control = controlCount(units);
    return control >= 0 && control <= text.length / 100;
  }
  const control = controlCount(sample);
  return control >= 0 && control <= sample.length / 100;
}

/**
 * A byte order mark first (it wins over any label: see byteOrderMark); then the declared charset;
 * otherwise the guess (UTF-16 by its NULs, UTF-8 if it decodes cleanly, else Windows-1252).
 */
export function decodeText(bytes: Uint8Array, charset?: string): string {
  const mark = byteOrderMark(bytes);
  if (mark === 'UTF-8') return new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  if (mark === 'UTF-16LE' || mark === 'UTF-16BE')
    return new TextDecoder(mark.toLowerCase()).decode(bytes).replace(/^\uFEFF/, '');
  // UTF-32 that does not decode (a value past U+10FFFF) is read by the label or the guess below.
  const wide32 = mark ? decodeUtf32(bytes, mark) : undefined;
  if (wide32 !== undefined) return wide32;
  // A label that names no wide encoding, on bytes with UTF-16's NULs, is wrong (a billing
  // system's default `us-ascii` or `utf-8`): no single-byte or UTF-8 text has a NUL in every
  // other byte.
  if (!/^\s*(utf-?(16|32)|ucs-?[24]|unicode)/i.test(charset ?? '')) {
    const wide = wideWithoutMark(bytes);
    const wideText = wide ? decodeWide(bytes, wide) : undefined;
    if (wideText !== undefined) return wideText;
  }
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
