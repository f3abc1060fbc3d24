/**
 * API keys out of text shown to staff, in every form a person could read back without effort
 * (the console shows keys redacted: staff screens are shared and screenshotted). Any shape of a
 * key (with or without `API`, any separator, look-alikes: src/shared/key-shapes.ts) is found;
 * a key can also be:
 * - spelled with escapes a reader undoes at sight: quoted-printable (`=2D`, a soft line break
 *   inside the key), percent (`%2D`), HTML (`&#45;`), `\u002D`;
 * - broken by what does not show or is skipped by eye: blanks, line breaks, NUL bytes (UTF-16 or
 *   UTF-32 text read as bytes), control pictures, zero-width and other invisible characters;
 * - in look-alike characters: fullwidth or mathematical letters (NFKC), other dashes, Cyrillic
 *   or Greek capitals that look like A B C E I P;
 * - split by HTML tags or comments a browser would not show;
 * - inside base64 (lines, or one long word) of UTF-8 or UTF-16 text, RFC 2047 encoded-words
 *   or uuencoded blocks, nested to a few levels.
 * The first four are redacted where they stand (`API-****-****-****-0001`); base64,
 * encoded-words and uuencoded blocks holding a key are replaced by their decoded text,
 * redacted and marked.
 */
import { redactKeyShapes, redactValidationTokens } from '../shared/index.ts';
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

/**
 * Read twice: once with what looks like an HTML tag skipped (a key split by tags), once with it
 * read as text, since `<API-5EC2-E7A9-1D4B-77C3>` (a key in angle brackets, a Message-ID made
 * of one) looks like a tag too and would otherwise be skipped whole, key and all. The reading
 * and the shapes a key may take are the project's one recogniser (src/shared/key-shapes.ts).
 */
export function redactKeysAsRead(text: string): string {
  return redactKeyShapes(redactKeyShapes(text, { escapes: true, skipTags: true }), { escapes: true });
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

/** Whether a base64 line leaves the quanta after it aligned (its length a multiple of 4). */
const whole = (line: string) => line.trim().length % 4 === 0;

/** The first reading of the run's base64, at an alignment that shows a key, hidden. */
function base64Holding(run: readonly string[], depth: number): { label: string; text: string } | undefined {
  const compact = run.join('').replace(/\s+/g, '');
  if (compact.length < MIN_BASE64_KEY) return undefined;
  let found = firstHolding(readingsOfBase64(compact), depth);
  // A run that does not add up to whole base64 quanta, or a short one, may start with a word
  // that only looks like base64: try the other alignments too (a long, whole one is a body).
  if (compact.length % 4 !== 0 || compact.length < 4096) {
    for (let shift = 1; shift < 4 && !found; shift++) {
      found = firstHolding(readingsOfBase64(compact.slice(shift)), depth);
    }
  }
  return found;
}

/**
 * Runs of base64 lines whose decoded text holds a key -> that text, hidden, between markers.
 * A run is read whole; when it holds no key and a line inside it has a length base64 lines do
 * not have (not a multiple of 4: a word before a block, a block of another encoder), each
 * stretch up to such a line is read on its own too.
 */
function hideBase64Lines(text: string, depth: number): HiddenText {
  const lines = text.split('\n');
  const out: string[] = [];
  let decoded = false;
  const show = (run: readonly string[], found: { label: string; text: string }) => {
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
  };
  const flush = (run: string[]) => {
    if (run.length === 0) return;
    const found = base64Holding(run, depth);
    if (found) return show(run, found);
    if (run.slice(0, -1).every(whole)) return out.push(run.join('\n'));
    let start = 0;
    for (let i = 0; i < run.length; i++) {
      if (i < run.length - 1 && whole(run[i]!)) continue;
      const stretch = run.slice(start, i + 1);
      const inStretch = base64Holding(stretch, depth);
      if (inStretch) show(stretch, inStretch);
      else out.push(stretch.join('\n'));
      start = i + 1;
    }
  };
  let run: string[] = [];
  for (const line of lines) {
    if (BASE64_LINE.test(line)) {
      run.push(line);
      continue;
    }
    flush(run);
    run = [];
    out.push(line);
  }
  flush(run);
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

/**
 * No form of a key is shorter than four groups of four with three separators
 * (`7F3A-9C2E-B41D-58E6`) or glued after `API` (`API7F3A9C2EB41D58E6`): 19 characters.
 */
const SHORTEST_KEY = 19;

/** A uuencoded block (`begin 644 name` ... `end`), as mail clients of old attached files. */
const UUENCODED = /^begin [0-7]{3,4} [^\r\n]*\r?\n((?:[^\r\n]*\r?\n){0,200000}?)end[ \t]*\r?$/gm;

function uudecode(block: string): Buffer {
  const bytes: number[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.length === 0) continue;
    const count = (line.charCodeAt(0) - 32) & 63;
    const start = bytes.length;
    for (let i = 1; i < line.length && bytes.length - start < count; i += 4) {
      const q = [0, 1, 2, 3].map((k) => ((line.charCodeAt(i + k) || 32) - 32) & 63);
      bytes.push((q[0]! << 2) | (q[1]! >> 4), ((q[1]! & 15) << 4) | (q[2]! >> 2), ((q[2]! & 3) << 6) | q[3]!);
    }
    bytes.length = Math.min(bytes.length, start + count);
  }
  return Buffer.from(bytes);
}

/** uuencoded blocks whose decoded text holds a key -> that text, hidden, between markers. */
function hideUuencoded(text: string, depth: number): HiddenText {
  let decoded = false;
  const out = text.replace(UUENCODED, (block, body: string) => {
    const found = firstHolding(readings(uudecode(body)), depth);
    if (!found) return block;
    decoded = true;
    const eol = block.includes('\r\n') ? '\r\n' : '\n';
    return `[uuencoded part shown decoded: it contained an API key, redacted below]${eol}${found.text.replace(/\r?\n$/, '')}${eol}[end of decoded part]`;
  });
  return { text: decoded ? out : text, decoded };
}

/**
 * Long texts already searched while one message is shown, by depth: a base64 body is read once
 * as its transfer encoding and again as base64 lines, and its readings are the same texts.
 */
let memo: Map<string, HiddenText>[] | undefined;
const MEMO_MIN_LENGTH = 65536;

/** Runs `fn` with long texts searched once (see `memo`); the memo is dropped afterwards. */
export function searchingOnce<T>(fn: () => T): T {
  const outer = memo;
  memo = outer ?? [];
  try {
    return fn();
  } finally {
    memo = outer;
  }
}

function hideKeysAt(text: string, depth: number): HiddenText {
  if (text.length < SHORTEST_KEY) return { text, decoded: false };
  if (!memo || text.length < MEMO_MIN_LENGTH) return searchAt(text, depth);
  // A search that went deeper (a smaller depth) hides at least as much: it serves too.
  for (let d = 0; d <= depth; d++) {
    const known = memo[d]?.get(text);
    if (known) return known;
  }
  const found = searchAt(text, depth);
  const level = memo[depth] ?? new Map<string, HiddenText>();
  memo[depth] = level;
  level.set(text, found);
  return found;
}

function searchAt(text: string, depth: number): HiddenText {
  let decoded = false;
  let current = text;
  if (depth < MAX_DEPTH) {
    const uu = hideUuencoded(current, depth);
    const lines = hideBase64Lines(uu.text, depth);
    const inline = hideInlineEncodings(lines.text, depth);
    current = inline.text;
    decoded = uu.decoded || lines.decoded || inline.decoded;
  }
  // A validation token quoted in an answer is a secret too: staff need not see it to read the answer.
  return { text: redactValidationTokens(redactKeysAsRead(current)), decoded };
}

/** The text with every key hidden, in every form the file comment lists. */
export function hideKeys(text: string): HiddenText {
  return hideKeysAt(text, 0);
}

/** Whether the text shows a key in any of those forms. */
export function holdsKey(text: string): boolean {
  return hideKeysAt(text, 0).text !== text;
}

/**
 * Every string inside a row or view (plain objects and arrays, walked; dates and numbers left
 * as they are) with keys hidden: a page shows every column, and any column a sender's text
 * reached (a form name read off the Template line, a recipient taken from Reply-To, a delivery
 * error quoting an address) can hold a key.
 */
export function hideKeysIn<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return hideKeys(v).text;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    }
    return v;
  };
  return walk(value) as T;
}
