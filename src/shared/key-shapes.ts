/**
 * The one recogniser of API keys as a person would read them, used by everything that shows,
 * sends, stores a copy of or counts text (replies and their headers, the console, logs, metrics
 * labels, queue job data). A key is 4 to 8 groups of 4 hex digits; customers write it with or
 * without `API`, with any separator or none, in look-alike letters (`AP1`, Cyrillic `А`), with
 * en-dashes, so the text is first read as a person reads it (key-reading.ts).
 *
 * The rules, chosen so that real data is not damaged:
 * - With the prefix (`API`, `AP1`, `APl`, `A P I`, then up to four separators: `API-`, `API `,
 *   `API_`, `API:`, `API`; `API KEY`, `KEY`), the groups may be separated by a blank or any
 *   ASCII punctuation, or by nothing (`API7F3A9C2EB41D58E6`), and are read as the eye reads them: `O` as 0, `l` `I` as 1, a blank
 *   inside a group stepped over. The prefix needs no word boundary: a key glued to other text
 *   is still a key.
 * - Without the prefix, the groups must be separated (`7F3A-9C2E-B41D-58E6`,
 *   `7F3A 9C2E B41D 58E6`, `7F3A_9C2E_...`): sixteen hex digits in one word are a Message-ID, a
 *   hash, a serial number far more often than a key. The run must stand alone: not inside a
 *   longer run of hex digits (a UUID's `e29b-41d4-a716-446655440000` is not one), and not part of a net
 *   handle (`NET6-2001-0DB8-0000-0000-1`: the registry spells addresses in its handles). Glued
 *   to other words it is a key: `ARIN-POC-7F3A-9C2E-B41D-58E6-5.0` on a Template line,
 *   `key-7F3A-...`.
 * - Without the prefix, groups separated by colons only are an IPv6 address or prefix
 *   (`2001:0DB8:0000:0000` is a /64 written out), never a key. `API:2001:0DB8:...` is a key.
 * - The gaps between the groups of one key read alike where four groups do (blanks aside: a
 *   key folded over two lines is one key; after `API`, glued groups go with any separator), so
 *   a key followed by a number on the next line does not swallow it. Where they do not, mixed
 *   gaps make one key too (`7F3A-9C2E B41D_58E6`), unless one of them is colons alone (an IPv6
 *   address with `::`).
 * Dates (`2026-12-07`), phone numbers (`+1-703-227-9840`) and IPv4 addresses have no run of four
 * 4-digit groups and are never keys; four groups of four decimal digits (a card number) are
 * hidden like a key: nothing tells them apart, and hiding one costs nothing.
 */
import { type ReadOptions, readAsPerson } from './key-reading.ts';

export type { ReadOptions } from './key-reading.ts';

/** One key in a text: where it stands and its groups (upper-case hex). */
export interface KeySpan {
  readonly start: number;
  readonly end: number;
  readonly groups: readonly string[];
  /** Whether it was written with `API` (or a look-alike) before it. */
  readonly prefixed: boolean;
}

const MIN_GROUPS = 4;
const MAX_GROUPS = 8;
/** The most separator characters between two groups (`-\r\n ` when a key is folded). */
const MAX_GAP = 4;
/**
 * Characters that may stand between the groups of a key, as read (dashes read `-`, any other
 * non-ASCII character `~`): a blank or any ASCII punctuation. A person reads `7F3A+9C2E+...`,
 * `7F3A;9C2E;...`, `(7F3A)(9C2E)...` or a key quoted over two lines (`-\n> `) as a key too.
 */
const SEPARATOR_CLASS = '[ !-/:-@[-`{-~]';
const SEPARATOR = new RegExp(`^${SEPARATOR_CLASS}$`);
/**
 * `API` and its look-alikes as read (upper-cased: `l` reads `L`), with `KEY` after it or alone
 * (`API-KEY:7F3A9C2EB41D58E6`, `key 7f3a9c2eb41d58e6`): what follows is read as a key.
 */
const PREFIX = /A ?P ?[I1L|!](?:[-_ ]?KEY)?|(?<![A-Z])KEY(?![A-Z])/g;
/** Where an unprefixed key may start: four hex digits, not inside a longer hex word, then a separator. */
const GROUP_START = new RegExp(`(?<![0-9A-F])[0-9A-F]{4}(?=${SEPARATOR_CLASS})`, 'g');

/**
 * What a plain ASCII character is to the pre-check: a hex digit, a separator between groups
 * (SEPARATOR_CLASS, and the blanks the reading makes spaces), a colon (separates the groups of an
 * IPv6 address, never of an unprefixed key, alone), or anything else; and -1 for a character the
 * plain reading does not cover (non-ASCII, a control character: the full reading decides).
 */
const HEX = 1;
const SEPARATES = 2;
const COLON = 3;
const OTHER = 0;
const ASCII_CLASS = (() => {
  const classes = new Int8Array(128).fill(-1);
  for (let c = 0x20; c <= 0x7e; c++) {
    const ch = String.fromCharCode(c);
    classes[c] = /[0-9A-Fa-f]/.test(ch) ? HEX : ch === ':' ? COLON : SEPARATOR.test(ch) ? SEPARATES : OTHER;
  }
  for (const blank of [0x09, 0x0a, 0x0b, 0x0c, 0x0d]) classes[blank] = SEPARATES;
  return classes;
})();

/**
 * Whether the full reading could find anything in `text`, decided in one pass over its
 * characters (most strings a message stores and most reply lines: names, addresses, IPv6 text
 * with more than sixteen hex digits, all hold none, and each used to take several regular
 * expressions or the whole reading). Exact for what it rules out:
 * - outside plain ASCII (or with escapes to undo) it cannot tell: true;
 * - `API` or a look-alike (`a ?p ?[i1l|!]`, any case) or `key` anywhere: a prefixed key, or a
 *   key-like `API-...`, may follow: true;
 * - otherwise a key is unprefixed, and every group of one is a hex word of exactly four digits
 *   (the first not inside a longer hex word, the others bounded by a gap, the last dropped when
 *   hex follows it), each gap one to MAX_GAP separators and, among the first four groups, none
 *   of colons alone (spansInReading skips such a run): without four such words in such a chain
 *   there is no key.
 */
export function mayHoldKey(text: string, options: ReadOptions = {}): boolean {
  if (options.escapes) return true;
  const length = text.length;
  let hexRun = 0;
  /** Where the last four-digit hex word ended, and how many such words stand chained before it. */
  let quadEnd = -2;
  let chain = 0;
  /** Since the last hex word: separators seen, and whether all were colons or blanks. */
  let gap = 0;
  let gapColonsOnly = true;
  let gapHasColon = false;
  let gapBroken = false;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? text.charCodeAt(i) : 0x20;
    const kind = c < 128 ? ASCII_CLASS[c]! : -1;
    if (kind < 0) return true;
    if (kind === HEX) {
      if (hexRun === 0) {
        // A word starts: chained to the last four-digit word only across a gap a key may have.
        const chained =
          quadEnd >= 0 && !gapBroken && gap >= 1 && gap <= MAX_GAP && !(gapColonsOnly && gapHasColon);
        if (!chained) chain = 0;
      }
      hexRun++;
    } else {
      if (hexRun > 0) {
        if (hexRun === 4) {
          chain++;
          if (chain >= MIN_GROUPS) return true;
          quadEnd = i;
        } else {
          chain = 0;
          quadEnd = -2;
        }
        hexRun = 0;
        gap = 0;
        gapColonsOnly = true;
        gapHasColon = false;
        gapBroken = false;
      }
      if (kind === OTHER) gapBroken = true;
      else {
        gap++;
        if (kind === COLON) gapHasColon = true;
        else if (!isBlank(c)) gapColonsOnly = false;
      }
    }
    // `API` or a look-alike, and `KEY`, in any case, with a key's first group after them.
    const lower = c | 0x20;
    if (lower === 0x61 /* a */ && prefixedGroupAfterA(text, i + 1)) return true;
    if (lower === 0x6b /* k */ && isKeyWord(text, i) && groupAfterGap(text, i + 3)) return true;
  }
  return false;
}

const isKeyWord = (text: string, at: number) =>
  (text.charCodeAt(at) | 0x20) === 0x6b &&
  (text.charCodeAt(at + 1) | 0x20) === 0x65 &&
  (text.charCodeAt(at + 2) | 0x20) === 0x79;

/**
 * Whether a key may follow the `A` at `at - 1`: `API-` and four letters or digits (redactApiKeys
 * hides such a key cut short), or `A ?P ?[I1L|!]` (then perhaps `[-_ ]?KEY`) with a first group
 * after it as spansInReading reads one. `API Key: API-****-****-****-58E6`, every reply's echo of
 * the key line, has neither.
 */
function prefixedGroupAfterA(text: string, at: number): boolean {
  let i = at;
  if (isBlank(text.charCodeAt(i))) i++;
  if ((text.charCodeAt(i) | 0x20) !== 0x70 /* p */) return false;
  i++;
  if (isBlank(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  const lower = c | 0x20;
  if (!(lower === 0x69 || lower === 0x6c || c === 0x31 || c === 0x7c || c === 0x21)) return false;
  i++;
  if (i === at + 2 && text.charCodeAt(i) === 0x2d && keyCutShort(text, i + 1)) return true;
  if (groupAfterGap(text, i)) return true;
  // `API-KEY`, `API_KEY`, `API KEY`, `APIKEY`: the prefix goes on to the end of the word.
  const keyAt =
    text.charCodeAt(i) === 0x2d || text.charCodeAt(i) === 0x5f || isBlank(text.charCodeAt(i)) ? i + 1 : i;
  return isKeyWord(text, keyAt) && groupAfterGap(text, keyAt + 3);
}

/** Four letters, digits or dashes at `at` (KEY_LIKE in redact.ts, after `API-`). */
function keyCutShort(text: string, at: number): boolean {
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i);
    const alnum = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2d;
    if (!alnum) return false;
  }
  return true;
}

/**
 * Whether, after at most MAX_GAP separators from `at`, four digits of a group start as a
 * prefixed key's are read (hex, or `O` `I` `L` `|` for digits; blanks inside after its first).
 */
function groupAfterGap(text: string, at: number): boolean {
  let i = at;
  while (i < at + MAX_GAP && i < text.length && isSeparator(text.charCodeAt(i))) i++;
  let digits = 0;
  for (; digits < 4 && i < text.length; i++) {
    const c = text.charCodeAt(i);
    const lower = c | 0x20;
    const digit =
      (c < 128 && ASCII_CLASS[c] === HEX) || lower === 0x6f || lower === 0x69 || lower === 0x6c || c === 0x7c;
    if (digit) digits++;
    else if (!(isBlank(c) && digits > 0)) return false;
  }
  return digits === 4;
}

const isSeparator = (c: number) => c < 128 && (ASCII_CLASS[c] === SEPARATES || ASCII_CLASS[c] === COLON);

/** A blank as the reading has it: a space, or a tab or line break (read as a space). */
const isBlank = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

const PLAIN_ASCII = /^[\t\n\v\f\r\x20-\x7e]*$/;

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46);
const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a);

/** Look-alikes a person reads as digits inside a key written after `API`: `O` 0, `I` `L` `|` 1. */
const DIGIT_ALIKES: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1', '|': '1' };

/**
 * The group of four hex digits at `at`: its digits and where it ends, or undefined. `lenient`
 * (after `API`) reads digit look-alikes and steps over blanks inside the group
 * (`API-5EC2-E7 A9-...`), as the eye does.
 */
function hexGroupAt(text: string, at: number, lenient = false): { digits: string; end: number } | undefined {
  let digits = '';
  let i = at;
  while (digits.length < 4 && i < text.length) {
    const c = text.charAt(i);
    if (isHex(c.charCodeAt(0))) digits += c;
    else if (lenient && DIGIT_ALIKES[c]) digits += DIGIT_ALIKES[c];
    else if (!(lenient && c === ' ' && digits.length > 0)) return undefined;
    i++;
  }
  return digits.length === 4 ? { digits, end: i } : undefined;
}

/** How many separator characters start at `at` (at most MAX_GAP). */
function gapAt(text: string, at: number): number {
  let n = 0;
  while (n < MAX_GAP && at + n < text.length && SEPARATOR.test(text.charAt(at + n))) n++;
  return n;
}

/** What a gap is, blanks aside (`-\r\n ` is `-`); blanks alone are ` `. */
function gapKind(gap: string): string {
  const kind = gap.replace(/ /g, '');
  return kind === '' && gap !== '' ? ' ' : kind;
}

interface Run {
  readonly end: number;
  readonly groups: string[];
  /** The kind of the gaps between the groups ('' when they are glued). */
  readonly kind: string;
  /** Every kind of gap met (more than one only when `mixed`). */
  readonly kinds: ReadonlySet<string>;
  /** Whether the run stopped at a gap of another kind (read mixed, it might go on). */
  readonly stoppedAtOtherKind: boolean;
}

/**
 * Up to eight groups from `at`, every gap alike unless `mixed`; gaps may be empty only when
 * `glued` allows.
 */
function groupsFrom(text: string, at: number, glued: boolean, mixed = false): Run {
  const groups: string[] = [];
  const kinds = new Set<string>();
  let kind: string | undefined;
  let i = at;
  let end = at;
  let stoppedAtOtherKind = false;
  while (groups.length < MAX_GROUPS) {
    let next = i;
    if (groups.length > 0) {
      const gap = gapAt(text, i);
      if (gap === 0 && !glued) break;
      const k = gapKind(text.slice(i, i + gap));
      // Glued groups (a prefixed key typed partly without separators) go with any separator.
      if (!mixed && kind !== undefined && k !== kind && !(glued && (k === '' || kind === ''))) {
        stoppedAtOtherKind = true;
        break;
      }
      if (!hexGroupAt(text, i + gap, glued)) break;
      kinds.add(k);
      if (kind === undefined || kind === '') kind = k;
      next = i + gap;
    }
    const group = hexGroupAt(text, next, glued);
    if (!group) break;
    groups.push(group.digits);
    i = group.end;
    end = i;
  }
  return { end, groups, kind: kind ?? '', kinds, stoppedAtOtherKind };
}

/**
 * The run from `at`: its gaps alike when four groups are (so a key followed by a number on the
 * next line does not swallow it), else its gaps mixed (`7F3A-9C2E B41D_58E6` reads as one key).
 */
function runFrom(text: string, at: number, glued: boolean, enough: (run: Run) => boolean): Run {
  const alike = groupsFrom(text, at, glued);
  return enough(alike) || !alike.stoppedAtOtherKind ? alike : groupsFrom(text, at, glued, true);
}

/** Colons alone between groups: an IPv6 address or prefix (`2001:0db8::abcd:1234`). */
const isColons = (kind: string) => /^:+$/.test(kind);

interface ReadSpan {
  readonly start: number;
  readonly end: number;
  readonly groups: readonly string[];
  readonly prefixed: boolean;
}

/** Keys in a reading, as [start, end) of the reading, in order, none overlapping. */
function spansInReading(read: string): ReadSpan[] {
  const prefixed: ReadSpan[] = [];
  let coveredUntil = 0;
  for (const m of read.matchAll(PREFIX)) {
    if (m.index < coveredUntil) continue;
    const afterPrefix = m.index + m[0].length;
    const firstGroup = afterPrefix + gapAt(read, afterPrefix);
    const run = runFrom(read, firstGroup, true, (r) => r.groups.length >= MIN_GROUPS);
    if (run.groups.length < MIN_GROUPS) continue;
    // `key` alone is a word of the sentence (`our key 7F3A...`): it stays, the key goes; and
    // what follows it with colons alone is an IPv6 address (`key 2001:0db8:...`), as without it.
    const keyWord = m[0] === 'KEY';
    if (keyWord && run.kinds.size > 0 && [...run.kinds].every(isColons)) continue;
    const start = keyWord ? firstGroup : m.index;
    prefixed.push({ start, end: run.end, groups: run.groups, prefixed: true });
    coveredUntil = run.end;
  }
  const all: ReadSpan[] = [];
  let p = 0;
  coveredUntil = 0;
  for (const m of read.matchAll(GROUP_START)) {
    while (p < prefixed.length && prefixed[p]!.start <= m.index) {
      coveredUntil = Math.max(coveredUntil, prefixed[p]!.end);
      all.push(prefixed[p++]!);
    }
    if (m.index < coveredUntil) continue;
    const run = runFrom(read, m.index, false, (r) => wholeGroups(read, r).length >= MIN_GROUPS);
    const groups = wholeGroups(read, run);
    if (groups.length < MIN_GROUPS) continue;
    if ([...run.kinds].some(isColons)) continue; // an IPv6 address or prefix
    const end = lastEnd(read, m.index, groups.length);
    const handleEnd = netHandleEnd(read, m.index);
    if (handleEnd >= 0) {
      coveredUntil = handleEnd;
      continue;
    }
    all.push({ start: m.index, end, groups, prefixed: false });
    coveredUntil = end;
  }
  all.push(...prefixed.slice(p));
  return all;
}

/** The run's groups that end their hex word: `...-4466` of `446655440000` is not a group. */
function wholeGroups(read: string, run: Run): string[] {
  return isHex(read.charCodeAt(run.end)) ? run.groups.slice(0, -1) : run.groups;
}

/** Where the `count`-th group of the unprefixed run starting at `at` ends (its groups are strict). */
function lastEnd(read: string, at: number, count: number): number {
  let i = at + 4;
  for (let g = 1; g < count; g++) i += gapAt(read, i) + 4;
  return i;
}

/**
 * The end of the net handle (`NET-...`, `NET6-2001-0DB8-0000-0000-1`: the registry's handles
 * spell an address in hex groups) that the run starting at `start` belongs to, or -1 when it
 * belongs to none.
 */
function netHandleEnd(read: string, start: number): number {
  if (read.charAt(start - 1) !== '-') return -1;
  let from = start - 1;
  while (from > 0 && (isAlnum(read.charCodeAt(from - 1)) || read.charAt(from - 1) === '-')) from--;
  if (!/^NET6?-/.test(read.slice(from, from + 5))) return -1;
  let end = start;
  while (end < read.length && (isAlnum(read.charCodeAt(end)) || read.charAt(end) === '-')) end++;
  return end;
}

/** Every key in `text`, as a person would read it (see the file comment), in order. */
export function findKeySpans(text: string, options: ReadOptions = {}): KeySpan[] {
  // Nothing shorter than four groups of four can be a key: skip the reading for short texts.
  if (text.length < 16) return [];
  // Plain ASCII without escapes to undo reads as itself, upper-cased, blanks as spaces: most
  // reply lines and log strings, and most of them hold nothing a key could be (mayHoldKey).
  if (!options.escapes && PLAIN_ASCII.test(text)) {
    if (!mayHoldKey(text)) return [];
    return spansInReading(text.toUpperCase().replace(/[\t\n\v\f\r]/g, ' ')).map((s) => ({ ...s }));
  }
  const reading = readAsPerson(text, options);
  return spansInReading(reading.text).map((s) => ({
    start: reading.starts[s.start]!,
    end: reading.starts[s.end - 1]! + reading.lengths[s.end - 1]!,
    groups: s.groups,
    prefixed: s.prefixed,
  }));
}

/** A key's groups -> `API-****-****-****-58E6`: enough to tell keys apart, useless to an attacker. */
export function redactedKey(groups: readonly string[]): string {
  return ['API', ...groups.slice(0, -1).map(() => '****'), groups[groups.length - 1] ?? ''].join('-');
}

/** `text` with every key replaced by its redacted form where it stands. */
export function redactKeyShapes(text: string, options: ReadOptions = {}): string {
  const spans = findKeySpans(text, options);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + redactedKey(span.groups);
    at = span.end;
  }
  return out + text.slice(at);
}
