/**
 * The decoders the console's raw view needs to see what a reader of a stored message could see
 * (raw-message.ts, key-hiding.ts): quoted-printable, base64, RFC 2047 encoded-words, RFC 2231
 * parameters and charsets, including the wide ones (UTF-16, UTF-32) and UTF-7 that Node's
 * TextDecoder lacks. Liberal on purpose: they undo what a person could undo, not only what the
 * RFCs allow. Pure, bytes or text in, text out; nothing here throws on bad input.
 */
import { decodeText, guessCharset } from '../mail/index.ts';

/** One way of reading bytes as text, and its name for the page (`UTF-16LE`). */
export interface Reading {
  readonly label: string;
  readonly text: string;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Quoted-printable -> bytes: `=XX` in either case, soft line breaks (`=`, blanks a relay may have
 * added, the line end); an `=` that starts neither is kept as it is.
 */
export function decodeQuotedPrintable(input: Uint8Array): Buffer {
  const out = Buffer.alloc(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte !== 0x3d) {
      out[n++] = byte;
      continue;
    }
    let j = i + 1;
    while (input[j] === 0x20 || input[j] === 0x09) j++;
    if (j >= input.length || input[j] === 0x0a || input[j] === 0x0d) {
      if (input[j] === 0x0d && input[j + 1] === 0x0a) j++;
      i = j;
      continue;
    }
    const high = hexValue(input[i + 1]);
    const low = hexValue(input[i + 2]);
    if (high >= 0 && low >= 0) {
      out[n++] = high * 16 + low;
      i += 2;
      continue;
    }
    out[n++] = byte;
  }
  return out.subarray(0, n);
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
  return compact.length >= 16 && /^[A-Za-z0-9+/_=-]+$/.test(compact);
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

function decodeUtf32(bytes: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const point = view.getUint32(i, littleEndian);
    const valid = point <= 0x10ffff && (point < 0xd800 || point > 0xdfff);
    parts.push(valid ? String.fromCodePoint(point) : '\uFFFD');
  }
  return parts.join('').replace(/^\uFEFF/, '');
}

/** UTF-7 (RFC 2152): `+` base64 of UTF-16BE `-`, `+-` for a plus sign, the rest as ASCII. */
function decodeUtf7(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('latin1')
    .replace(/\+([A-Za-z0-9+/]*)-?/g, (whole, shifted: string) => {
      if (shifted === '') return whole === '+-' ? '+' : whole;
      const wide = decodeBase64(shifted);
      return new TextDecoder('utf-16be').decode(wide.subarray(0, wide.length - (wide.length % 2)));
    });
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
      return { label: 'UTF-32LE', text: decodeUtf32(bytes, true) };
    case 'utf32':
    case 'utf32be':
    case 'ucs4':
      return { label: 'UTF-32BE', text: decodeUtf32(bytes, false) };
    case 'utf7':
    case 'unicode11utf7':
      return { label: 'UTF-7', text: decodeUtf7(bytes) };
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

function wordBytes(encoding: string, payload: string): Buffer {
  if (encoding.toUpperCase() === 'B') return decodeBase64(payload);
  return decodeQuotedPrintable(Buffer.from(payload.replace(/_/g, ' '), 'utf8'));
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

/** Splits at `;` outside quoted strings. */
function splitParameters(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && quoted && i + 1 < value.length) {
      current += c + value[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

function percentDecode(value: string): Buffer {
  const bytes: number[] = [];
  const raw = Buffer.from(value, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const high = raw[i] === 0x25 ? hexValue(raw[i + 1]) : -1;
    const low = high >= 0 ? hexValue(raw[i + 2]) : -1;
    if (low >= 0) {
      bytes.push(high * 16 + low);
      i += 2;
    } else {
      bytes.push(raw[i]!);
    }
  }
  return Buffer.from(bytes);
}

/** A structured header value (`Content-Type`, `Content-Disposition`): its first word and its parameters. */
export interface StructuredValue {
  readonly value: string;
  /** Lower-case names; RFC 2231 sections joined and decoded, encoded-words decoded. */
  readonly parameters: ReadonlyMap<string, string>;
}

export function parseStructured(header: string): StructuredValue {
  const [first = '', ...rest] = splitParameters(header);
  const plain = new Map<string, string>();
  const sections = new Map<string, { index: number; extended: boolean; text: string }[]>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const text = unquote(part.slice(eq + 1));
    // `name*` (extended), `name*0` (a section), `name*0*` (an extended section).
    const m = /^([^*]+)\*(\d+)?(\*)?$/.exec(key);
    if (!m) {
      plain.set(key, decodeEncodedWords(text));
      continue;
    }
    const name = m[1]!;
    const list = sections.get(name) ?? [];
    list.push({ index: Number(m[2] ?? 0), extended: m[2] === undefined || m[3] === '*', text });
    sections.set(name, list);
  }
  for (const [name, list] of sections) {
    list.sort((a, b) => a.index - b.index);
    let charset = 'utf-8';
    const bytes: Buffer[] = [];
    for (const [i, s] of list.entries()) {
      let text = s.text;
      if (s.extended && i === 0) {
        const m = /^([^']*)'[^']*'(.*)$/s.exec(text);
        if (m) {
          charset = m[1] || charset;
          text = m[2]!;
        }
      }
      bytes.push(s.extended ? percentDecode(text) : Buffer.from(text, 'utf8'));
    }
    plain.set(name, decodeCharset(Buffer.concat(bytes), charset).text);
  }
  return { value: first.trim(), parameters: plain };
}
