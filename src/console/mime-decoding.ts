/**
 * What the console's raw view needs to see what a reader of a stored message could see
 * (raw-message.ts, key-hiding.ts): the readings of bytes as text (declared charset, UTF-8,
 * UTF-16 either way), encoded-words found anywhere, structured header values. The decoding is
 * the mail libraries' (libqp for quoted-printable, libmime for RFC 2047 words and RFC 2231
 * parameters, iconv-lite for UTF-7, UTF-16 and UTF-32, which Node's TextDecoder lacks); what is
 * ours is being liberal: finding what a person could undo, not only what the RFCs allow. Pure,
 * bytes or text in, text out; nothing here throws on bad input.
 */
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { decode as decodeQp } from 'libqp';
import { decodeText, guessCharset } from '../mail/index.ts';

/** One way of reading bytes as text, and its name for the page (`UTF-16LE`). */
export interface Reading {
  readonly label: string;
  readonly text: string;
}

/**
 * Quoted-printable -> bytes: `=XX` in either case, soft line breaks (`=`, blanks a relay may have
 * added, the line end); an `=` that starts neither is kept as it is (libqp, read byte for byte).
 */
export function decodeQuotedPrintable(input: Uint8Array): Buffer {
  // libqp knows the soft break before LF and CRLF; a reader sees one before a lone CR too.
  return decodeQp(
    Buffer.from(input)
      .toString('latin1')
      .replace(/=[ \t]*\r(?!\n)/g, ''),
  );
}

/**
 * Base64 (either alphabet) -> bytes, ignoring whatever is not base64. Padding inside the text
 * (base64 chunks put one after the other) starts a new chunk instead of ending the decoding.
 */
export function decodeBase64(text: string): Buffer {
  const chunks = text
    .replace(/[^A-Za-z0-9+/_=-]+/g, '')
    .split(/=+/)
    .filter((chunk) => chunk.length > 1);
  return Buffer.concat(chunks.map((chunk) => Buffer.from(chunk, 'base64')));
}

/** Mostly base64: at least 16 characters of it, and nothing else but line breaks and blanks. */
export function looksLikeBase64(text: string): boolean {
  const compact = text.replace(/\s+/g, '');
  // A search for one character outside the alphabet, not `^[...]+$`: on a part of megabytes the
  // anchored loop's backtracking overflowed the stack (RangeError on a 10 MB attachment).
  return compact.length >= 16 && !/[^A-Za-z0-9+/_=-]/.test(compact);
}

/** `Content-Transfer-Encoding` -> the decoding it asks for; anything unknown is taken as is. */
export type TransferEncoding = 'identity' | 'quoted-printable' | 'base64';

export function parseTransferEncoding(value: string | undefined): TransferEncoding {
  const name = (value ?? '')
    .replace(/\([^)]*\)/g, '')
    .trim()
    .toLowerCase();
  if (name === 'quoted-printable') return 'quoted-printable';
  if (name === 'base64') return 'base64';
  return 'identity';
}

export function transferDecode(bytes: Buffer, encoding: TransferEncoding): Buffer {
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(bytes);
  if (encoding === 'base64') return decodeBase64(bytes.toString('latin1'));
  return bytes;
}

/** The charset the bytes name by their byte order mark, if any (it wins over any label). */
function byteOrderMark(bytes: Uint8Array): string | undefined {
  const [a, b, c, d] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return 'UTF-8';
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32LE';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32BE';
  if (a === 0xfe && b === 0xff) return 'UTF-16BE';
  if (a === 0xff && b === 0xfe) return 'UTF-16LE';
  return undefined;
}

/** NUL bytes mostly at odd offsets: UTF-16LE text of mostly ASCII; at even offsets: UTF-16BE. */
function wideByteOrder(bytes: Uint8Array): 'UTF-16LE' | 'UTF-16BE' | undefined {
  let even = 0;
  let odd = 0;
  const end = Math.min(bytes.length, 65536);
  for (let i = 0; i < end; i++) {
    if (bytes[i] !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  if (even + odd < end / 8) return undefined;
  return odd >= even ? 'UTF-16LE' : 'UTF-16BE';
}

function canonicalLabel(charset: string): string {
  return charset
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
}

/**
 * The bytes as text in `charset` (a byte order mark wins over the label). Wide charsets without
 * byte order are told by where their NUL bytes are; other labels go to `decodeText`, which falls
 * back to UTF-8, else Windows-1252, for a label it does not know.
 */
export function decodeCharset(bytes: Uint8Array, charset?: string): Reading {
  const bom = byteOrderMark(bytes);
  const label = bom ?? canonicalLabel(charset ?? '');
  switch (label.replace(/[^a-z0-9]/gi, '').toLowerCase()) {
    case 'utf32le':
      return { label: 'UTF-32LE', text: iconv.decode(Buffer.from(bytes), 'utf-32le') };
    case 'utf32':
    case 'utf32be':
    case 'ucs4':
      return { label: 'UTF-32BE', text: iconv.decode(Buffer.from(bytes), 'utf-32be') };
    case 'utf7':
    case 'unicode11utf7':
      return { label: 'UTF-7', text: iconv.decode(Buffer.from(bytes), 'utf-7') };
    case 'utf16':
    case 'ucs2':
    case 'unicode': {
      const order = wideByteOrder(bytes) ?? 'UTF-16LE';
      return { label: order, text: decodeText(bytes, order.toLowerCase()) };
    }
    case '': {
      const order = wideByteOrder(bytes);
      if (order) return { label: order, text: decodeText(bytes, order.toLowerCase()) };
      return guessCharset(bytes);
    }
    default:
      return { label: label.toUpperCase(), text: decodeText(bytes, label) };
  }
}

function hasNul(bytes: Uint8Array): boolean {
  return bytes.includes(0);
}

/**
 * Every reading of the bytes as text that could show a key: the declared charset (or the best
 * guess), UTF-8, and, when NUL bytes hint at a wide charset, UTF-16 in both byte orders. ASCII
 * in UTF-32 needs no reading of its own: read as UTF-8 it is the text with NULs between.
 */
export function readings(bytes: Uint8Array, charset?: string): Reading[] {
  const all: Reading[] = [
    decodeCharset(bytes, charset),
    { label: 'UTF-8', text: Buffer.from(bytes).toString('utf8') },
  ];
  if (hasNul(bytes)) {
    all.push({ label: 'UTF-16LE', text: decodeText(bytes, 'utf-16le') });
    all.push({ label: 'UTF-16BE', text: decodeText(bytes, 'utf-16be') });
  }
  const seen = new Set<string>();
  return all.filter((r) => {
    if (seen.has(r.text)) return false;
    seen.add(r.text);
    return true;
  });
}

/** One run of encoded-words (only blanks between them), in the text it was found in. */
export interface EncodedWordRun {
  readonly start: number;
  readonly end: number;
  /** Each word's charset and bytes; words of one charset in a row are joined, as RFC 2047 wants. */
  readonly pieces: readonly { readonly charset: string; readonly bytes: Buffer }[];
}

/** Liberal: also inside words and quoted strings, and with a language tag (`utf-8*en`). */
const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g;

/** An encoded-word's bytes, as libmime decodes its B or Q text (read as Latin-1: byte for byte). */
function wordBytes(encoding: string, payload: string): Buffer {
  return Buffer.from(libmime.decodeWord('iso-8859-1', encoding, payload), 'latin1');
}

export function findEncodedWords(text: string): EncodedWordRun[] {
  const runs: EncodedWordRun[] = [];
  let current: { start: number; end: number; pieces: { charset: string; bytes: Buffer }[] } | undefined;
  for (const match of text.matchAll(ENCODED_WORD)) {
    const start = match.index;
    const end = start + match[0].length;
    const charset = match[1]!;
    const bytes = wordBytes(match[2]!, match[3]!);
    if (current && /^\s*$/.test(text.slice(current.end, start))) {
      const last = current.pieces[current.pieces.length - 1]!;
      if (canonicalLabel(last.charset) === canonicalLabel(charset)) {
        current.pieces[current.pieces.length - 1] = { charset, bytes: Buffer.concat([last.bytes, bytes]) };
      } else {
        current.pieces.push({ charset, bytes });
      }
      current.end = end;
      continue;
    }
    if (current) runs.push(current);
    current = { start, end, pieces: [{ charset, bytes }] };
  }
  if (current) runs.push(current);
  return runs;
}

/**
 * Each reading of a run of encoded-words: as their charsets say, then (the label may lie) as
 * UTF-8 and as UTF-16 in both byte orders.
 */
export function encodedWordReadings(run: EncodedWordRun): Reading[] {
  const declared = run.pieces.map((p) => decodeCharset(p.bytes, p.charset).text).join('');
  const all: Reading[] = [{ label: 'declared', text: declared }];
  const bytes = Buffer.concat(run.pieces.map((p) => p.bytes));
  for (const r of readings(bytes, 'utf-8')) all.push(r);
  return all;
}

/** The text with every run of encoded-words replaced by its declared reading (RFC 2047). */
export function decodeEncodedWords(text: string): string {
  let out = '';
  let at = 0;
  for (const run of findEncodedWords(text)) {
    out += text.slice(at, run.start) + encodedWordReadings(run)[0]!.text;
    at = run.end;
  }
  return out + text.slice(at);
}

/** A structured header value (`Content-Type`, `Content-Disposition`): its first word and its parameters. */
export interface StructuredValue {
  readonly value: string;
  /** Lower-case names; RFC 2231 sections joined and decoded, encoded-words decoded. */
  readonly parameters: ReadonlyMap<string, string>;
}

/** libmime's reading: quoted strings, RFC 2231 sections joined and decoded in their charset, then encoded-words. */
export function parseStructured(header: string): StructuredValue {
  const parsed = libmime.parseHeaderValue(header);
  // libmime decodes the words of RFC 2231 sections only; a reader decodes them in any value.
  const parameters = Object.entries(parsed.params).map(([name, value]): [string, string] => [
    name,
    decodeEncodedWords(value),
  ]);
  return { value: parsed.value || '', parameters: new Map(parameters) };
}
