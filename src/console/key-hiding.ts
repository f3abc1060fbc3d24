/**
 * API keys out of text shown to staff, in every form a person could read back without effort
 * (DESIGN.md section 5: the console shows keys redacted). `redactApiKey` finds a key as it is
 * written; a key can also be:
 * - spelled with escapes a reader undoes at sight: quoted-printable (`=2D`, a soft line break
 *   inside the key), percent (`%2D`), HTML (`&#45;`), `\u002D`;
 * - broken by what does not show or is skipped by eye: blanks, line breaks, NUL bytes (UTF-16 or
 *   UTF-32 text read as bytes), control pictures, zero-width and other invisible characters;
 * - in look-alike characters: fullwidth or mathematical letters (NFKC), other dashes, Cyrillic
 *   or Greek capitals that look like A B C E I P;
 * - inside base64 (lines, or one long word) of UTF-8 or UTF-16 text, or inside RFC 2047
 *   encoded-words, nested to a few levels.
 * The first three are redacted where they stand (`API-****-****-****-0001`); base64 and
 * encoded-words holding a key are replaced by their decoded text, redacted and marked.
 */
import { API_KEY_PATTERN, redactKey } from '../shared/redact.ts';
import {
  decodeBase64,
  encodedWordReadings,
  findEncodedWords,
  type Reading,
  readings,
} from './mime-decoding.ts';

export interface HiddenText {
  readonly text: string;
  /** True when base64 or an encoded-word was replaced by its decoded text (not only redacted). */
  readonly decoded: boolean;
}

/** How deep encodings inside decoded text are followed (base64 of base64 of ...). */
const MAX_DEPTH = 6;

// ---------------------------------------------------------------------------------------------
// Characters as a reader sees them

const SKIP = -1;
const OTHER = -2;
const DASH = 0x2d;

/** Look-alikes NFKC does not fold: Cyrillic and Greek capitals and small letters. */
const LOOK_ALIKES = new Map<number, string>([
  ...[...'\u0410\u0430\u0412\u0421\u0441\u0415\u0435\u0406\u0456\u04C0\u0420\u0440'].map(
    (c, i): [number, string] => [c.charCodeAt(0), 'AABCCEEIIIPP'.charAt(i)],
  ),
  ...[...'\u0391\u0392\u0395\u0399\u03A1\u03F9'].map((c, i): [number, string] => [
    c.charCodeAt(0),
    'ABEIPC'.charAt(i),
  ]),
]);

const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Z}\p{M}\p{Default_Ignorable_Code_Point}]+$/u;
const DASHLIKE = /^[\p{Pd}\u2212\u2043\u02D7\u2796]$/u;

/** What one character is to a reader: a key character (upper case), nothing, or something else. */
function classify(char: string, code: number): number {
  if (code < 0x80) {
    if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || code === DASH) return code;
    if (code >= 0x61 && code <= 0x7a) return code - 0x20;
    if (code <= 0x20 || code === 0x7f) return SKIP;
    return OTHER;
  }
  if (code >= 0x2400 && code <= 0x243f) return SKIP; // control pictures (␀ for a NUL)
  if (INVISIBLE.test(char)) return SKIP;
  if (DASHLIKE.test(char)) return DASH;
  const alike = LOOK_ALIKES.get(code);
  if (alike) return alike.charCodeAt(0);
  const folded = char.normalize('NFKC');
  if (folded.length === 1 && folded.charCodeAt(0) < 0x80 && folded !== char) {
    const c = classify(folded, folded.charCodeAt(0));
    return c === SKIP ? OTHER : c;
  }
  return OTHER;
}

let bmpTable: Int16Array | undefined;
const astral = new Map<number, number>();

function classOf(code: number): number {
  if (code < 0x10000) {
    if (!bmpTable) {
      bmpTable = new Int16Array(0x10000);
      for (let c = 0; c < 0x10000; c++) {
        bmpTable[c] = c >= 0xd800 && c <= 0xdfff ? OTHER : classify(String.fromCharCode(c), c);
      }
    }
    return bmpTable[code]!;
  }
  let c = astral.get(code);
  if (c === undefined) {
    c = classify(String.fromCodePoint(code), code);
    astral.set(code, c);
  }
  return c;
}

const NAMED_DASHES: Readonly<Record<string, number>> = {
  hyphen: DASH,
  dash: DASH,
  minus: DASH,
  ndash: DASH,
  mdash: DASH,
  horbar: DASH,
};

/** An escape at `i` a reader undoes at sight: its length and the character it stands for (or SKIP). */
function escapeAt(text: string, i: number): { length: number; code: number } | undefined {
  const c = text.charCodeAt(i);
  if (c === 0x3d /* = */) {
    const soft = /^=[ \t]*\r?\n/.exec(text.slice(i, i + 40));
    if (soft) return { length: soft[0].length, code: SKIP };
    const hex = /^=([0-9A-Fa-f]{2})/.exec(text.slice(i, i + 3));
    if (hex) return { length: 3, code: Number.parseInt(hex[1]!, 16) };
    return undefined;
  }
  if (c === 0x25 /* % */) {
    const hex = /^%([0-9A-Fa-f]{2})/.exec(text.slice(i, i + 3));
    return hex ? { length: 3, code: Number.parseInt(hex[1]!, 16) } : undefined;
  }
  if (c === 0x26 /* & */) {
    const m = /^&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]{2,8}));?/.exec(text.slice(i, i + 12));
    if (!m) return undefined;
    if (m[3]) {
      const named = NAMED_DASHES[m[3].toLowerCase()];
      return named === undefined ? undefined : { length: m[0].length, code: named };
    }
    const point = m[1] ? Number(m[1]) : Number.parseInt(m[2]!, 16);
    return point <= 0x10ffff ? { length: m[0].length, code: point } : undefined;
  }
  if (c === 0x5c /* \ */) {
    const m = /^\\(?:u\{?([0-9A-Fa-f]{4,6})\}?|x([0-9A-Fa-f]{2}))/.exec(text.slice(i, i + 10));
    if (!m) return undefined;
    const point = Number.parseInt(m[1] ?? m[2]!, 16);
    return point <= 0x10ffff ? { length: m[0].length, code: point } : undefined;
  }
  return undefined;
}

/**
 * Every key in the text, however spelled (see the file comment), redacted where it stands: the
 * text is read as a reader would (escapes undone, invisible characters dropped, look-alikes
 * folded), keys are found in that reading, and each one's span in the text is replaced by its
 * redacted form.
 */
export function redactKeysAsRead(text: string): string {
  // One character of the reading per character (or escape) of the text that is not skipped,
  // with where it starts in the text and how long it is there. Typed arrays: a 10 MB message
  // is read this way several times.
  const read = new Uint16Array(text.length);
  const starts = new Int32Array(text.length);
  const lengths = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; ) {
    const unit = text.charCodeAt(i);
    // Escapes start with one of = % & \ only; other characters are looked up.
    const escaped =
      unit === 0x3d || unit === 0x25 || unit === 0x26 || unit === 0x5c ? escapeAt(text, i) : undefined;
    let length: number;
    let cls: number;
    if (escaped) {
      length = escaped.length;
      cls = escaped.code === SKIP ? SKIP : classOf(escaped.code);
    } else if (unit >= 0xd800 && unit <= 0xdbff) {
      const code = text.codePointAt(i)!;
      length = code > 0xffff ? 2 : 1;
      cls = classOf(code);
    } else {
      length = 1;
      cls = classOf(unit);
    }
    if (cls !== SKIP) {
      read[n] = cls === OTHER ? 0x7e : cls;
      starts[n] = i;
      lengths[n] = length;
      n++;
    }
    i += length;
  }
  const reading = new TextDecoder('utf-16le').decode(read.subarray(0, n));
  let out = '';
  let at = 0;
  for (const match of reading.matchAll(API_KEY_PATTERN)) {
    const last = match.index + match[0].length - 1;
    out += text.slice(at, starts[match.index]!) + redactKey(match[0]);
    at = starts[last]! + lengths[last]!;
  }
  return at === 0 ? text : out + text.slice(at);
}

// ---------------------------------------------------------------------------------------------
// Encodings that hide a key from the eye but not from a decoder

/** The first reading (in the order given) that shows a key, hidden; undefined when none does. */
function firstHolding(
  candidates: readonly Reading[],
  depth: number,
): { label: string; text: string } | undefined {
  for (const r of candidates) {
    const hidden = hideKeysAt(r.text, depth + 1).text;
    if (hidden !== r.text) return { label: r.label, text: hidden };
  }
  return undefined;
}

/** A line that is base64 and nothing else (blanks around allowed: folded headers, indented blocks). */
const BASE64_LINE = /^[ \t]*[A-Za-z0-9+/]{4,}={0,2}[ \t]*\r?$/;
/** Base64 shorter than this cannot hold a key (its 23 bytes take at least 31 characters). */
const MIN_BASE64_KEY = 28;
/** A base64 word long enough to hold a key. */
const BASE64_WORD = /[A-Za-z0-9+/]{28,}={0,2}|[A-Za-z0-9_-]{28,}={0,2}/g;

/** Whether the word at [start, end) is alone on its line but for blanks (then its run was read). */
function aloneOnLine(text: string, start: number, end: number): boolean {
  let before = start - 1;
  while (before >= 0 && (text[before] === ' ' || text[before] === '\t')) before--;
  if (before >= 0 && text[before] !== '\n') return false;
  let after = end;
  while (after < text.length && (text[after] === ' ' || text[after] === '\t' || text[after] === '\r'))
    after++;
  return after >= text.length || text[after] === '\n';
}

function readingsOfBase64(text: string): Reading[] {
  return readings(decodeBase64(text));
}

function describe(label: string): string {
  return label === 'UTF-8' || label === 'declared' ? 'base64' : `base64 (${label})`;
}

/**
 * Runs of base64 lines whose decoded text holds a key -> that text, hidden, between markers. A
 * line of a length base64 lines never have (not a multiple of 4) ends its run, so a word that
 * looks like base64 before a block does not shift the block's decoding.
 */
function hideBase64Lines(text: string, depth: number): HiddenText {
  const lines = text.split('\n');
  const out: string[] = [];
  let run: string[] = [];
  let decoded = false;
  const flush = () => {
    if (run.length === 0) return;
    const joined = run.join('');
    const compact = joined.replace(/\s+/g, '');
    if (compact.length < MIN_BASE64_KEY) {
      out.push(run.join('\n'));
      run = [];
      return;
    }
    let found = firstHolding(readingsOfBase64(compact), depth);
    // A run that does not add up to whole base64 quanta, or a short one, may start with a word
    // that only looks like base64: try the other alignments too (a long, whole one is a body).
    if (compact.length % 4 !== 0 || compact.length < 4096) {
      for (let shift = 1; shift < 4 && !found; shift++)
        found = firstHolding(readingsOfBase64(compact.slice(shift)), depth);
    }
    if (found) {
      const eol = run[0]!.endsWith('\r') ? '\r' : '';
      const body = found.text
        .replace(/\r?\n$/, '')
        .split(/\r?\n/)
        .map((l) => l + eol)
        .join('\n');
      out.push(
        `[${describe(found.label)} part shown decoded: it contained an API key, redacted below]${eol}`,
        body,
        `[end of decoded part]${eol}`,
      );
      decoded = true;
    } else {
      out.push(run.join('\n'));
    }
    run = [];
  };
  for (const line of lines) {
    if (BASE64_LINE.test(line)) {
      run.push(line);
      if (line.trim().length % 4 !== 0) flush();
      continue;
    }
    flush();
    out.push(line);
  }
  flush();
  return { text: decoded ? out.join('\n') : text, decoded };
}

/** Encoded-words (in any text, not only headers) and long base64 words holding a key -> `[decoded: ...]`. */
function hideInlineEncodings(text: string, depth: number): HiddenText {
  const spans: { start: number; end: number; text: string }[] = [];
  for (const run of findEncodedWords(text)) {
    const found = firstHolding(encodedWordReadings(run), depth);
    if (found) spans.push({ start: run.start, end: run.end, text: found.text });
  }
  for (const match of text.matchAll(BASE64_WORD)) {
    const start = match.index;
    const end = start + match[0].length;
    if (spans.some((s) => start < s.end && end > s.start)) continue;
    // A line of base64 and nothing else was read with its run (hideBase64Lines).
    if (/^[A-Za-z0-9+/=]+$/.test(match[0]) && aloneOnLine(text, start, end)) continue;
    // The word may start inside a longer encoding: try each of the four alignments.
    for (let shift = 0; shift < 4; shift++) {
      const found = firstHolding(readingsOfBase64(match[0].slice(shift)), depth);
      if (found) {
        spans.push({ start: start + shift, end, text: found.text });
        break;
      }
    }
  }
  if (spans.length === 0) return { text, decoded: false };
  spans.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += `${text.slice(at, s.start)}[decoded: ${s.text.replace(/\r?\n/g, ' ').trim()}]`;
    at = s.end;
  }
  return { text: out + text.slice(at), decoded: true };
}

/** No form of a key is shorter than the key (`API-` and four groups of four). */
const SHORTEST_KEY = 23;

function hideKeysAt(text: string, depth: number): HiddenText {
  if (text.length < SHORTEST_KEY) return { text, decoded: false };
  let decoded = false;
  let current = text;
  if (depth < MAX_DEPTH) {
    const lines = hideBase64Lines(current, depth);
    const inline = hideInlineEncodings(lines.text, depth);
    current = inline.text;
    decoded = lines.decoded || inline.decoded;
  }
  return { text: redactKeysAsRead(current), decoded };
}

/** The text with every key hidden, in every form the file comment lists. */
export function hideKeys(text: string): HiddenText {
  return hideKeysAt(text, 0);
}

/** Whether the text shows a key in any of those forms. */
export function holdsKey(text: string): boolean {
  return hideKeysAt(text, 0).text !== text;
}
