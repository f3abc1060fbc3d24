/**
 * Text as a person reads it, for the key recogniser (key-shapes.ts): one character of the
 * reading per character of the text that shows, with where it came from, so a key found in the
 * reading can be redacted where it stands in the text.
 * - letters are upper-cased; look-alikes fold to ASCII (fullwidth and mathematical letters by
 *   NFKC, Cyrillic and Greek capitals that look like A B C E I P);
 * - every kind of dash reads `-`, every kind of blank (space, tab, line end, no-break space) ` `;
 * - what does not show is dropped: zero-width and other invisible characters, control
 *   characters (a NUL between the bytes of UTF-16 text read as bytes), control pictures;
 * - other ASCII punctuation reads as itself, any other character `~`;
 * - with `escapes`, escapes a reader undoes at sight read as what they stand for:
 *   quoted-printable (`=2D`, a soft line break), percent (`%2D`), HTML (`&#45;`, `&ndash;`),
 *   `\u002D`; with `skipTags` too, HTML tags and comments are dropped as a browser would.
 * Pure; typed arrays, since the console reads a 10 MB message this way several times.
 */

export interface ReadOptions {
  /** Undo quoted-printable, percent, HTML and backslash escapes (see the file comment). */
  readonly escapes?: boolean;
  /** Drop what looks like an HTML tag or comment (only with `escapes`). */
  readonly skipTags?: boolean;
}

export interface Reading {
  /** The text as read, one UTF-16 unit per character that shows. */
  readonly text: string;
  /** Where each character of the reading starts in the original text. */
  readonly starts: Int32Array;
  /** How many units of the original text it stands for (an escape is several). */
  readonly lengths: Uint16Array;
}

const SKIP = -1;
const OTHER = -2;
const BLANK = 0x20;
const DASH = 0x2d;
const UNKNOWN = 0x7e; // '~'

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

const SPACE = /^\p{Zs}$/u;
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Z}\p{M}\p{Default_Ignorable_Code_Point}]+$/u;
const DASHLIKE = /^[\p{Pd}\u2212\u2043\u02D7\u2796]$/u;

/** What one character is to a reader: the ASCII it reads as, nothing (SKIP), or OTHER. */
function classify(char: string, code: number): number {
  if (code < 0x80) {
    if (code >= 0x61 && code <= 0x7a) return code - 0x20;
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return BLANK;
    if (code < 0x20 || code === 0x7f) return SKIP;
    return code;
  }
  if (code >= 0x2400 && code <= 0x243f) return SKIP; // control pictures (␀ for a NUL)
  if (SPACE.test(char)) return BLANK;
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
function escapeAt(text: string, i: number, skipTags: boolean): { length: number; code: number } | undefined {
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
  if (c === 0x3c /* < */) {
    if (!skipTags) return undefined;
    // An HTML tag or comment inside a key (`API-5EC2<b>-E7A9</b>`): a browser would not show it.
    const tag = /^<(?:!--[\s\S]{0,200}?--|\/?[A-Za-z][^<>]{0,200})>/.exec(text.slice(i, i + 210));
    return tag ? { length: tag[0].length, code: SKIP } : undefined;
  }
  if (c === 0x5c /* \ */) {
    const m = /^\\(?:u\{?([0-9A-Fa-f]{4,6})\}?|x([0-9A-Fa-f]{2}))/.exec(text.slice(i, i + 10));
    if (!m) return undefined;
    const point = Number.parseInt(m[1] ?? m[2]!, 16);
    return point <= 0x10ffff ? { length: m[0].length, code: point } : undefined;
  }
  return undefined;
}

/** = % & < \ */
const ESCAPE_STARTS = new Set([0x3d, 0x25, 0x26, 0x3c, 0x5c]);

/** The text as a person reads it (see the file comment). */
export function readAsPerson(text: string, options: ReadOptions = {}): Reading {
  const escapes = options.escapes === true;
  const skipTags = options.skipTags === true;
  const read = new Uint16Array(text.length);
  const starts = new Int32Array(text.length);
  const lengths = new Uint16Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; ) {
    const unit = text.charCodeAt(i);
    const escaped = escapes && ESCAPE_STARTS.has(unit) ? escapeAt(text, i, skipTags) : undefined;
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
      read[n] = cls === OTHER ? UNKNOWN : cls;
      starts[n] = i;
      lengths[n] = length;
      n++;
    }
    i += length;
  }
  return {
    text: new TextDecoder('utf-16le').decode(read.subarray(0, n)),
    starts: starts.subarray(0, n),
    lengths: lengths.subarray(0, n),
  };
}
