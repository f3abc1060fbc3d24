/**
 * Lines of UTF-8 read as Windows-1252 (`CafÃ© ZÃ¼rich AG`), read again as the UTF-8 they are. A
 * part without a charset (or labelled iso-8859-1 or windows-1252) whose bytes are not all UTF-8
 * is read as Windows-1252 as a whole; but a billing system that pastes UTF-8 database values into
 * a Latin-1 skeleton mixes the two line by line, and its UTF-8 values would be published as
 * mojibake. So each line is looked at alone: when its characters are all Windows-1252's and their
 * bytes are valid UTF-8 with a multi-byte sequence, the line is read as UTF-8; a line of real
 * Latin-1 text (`Münster`: an 0xFC followed by a letter) is never valid UTF-8 and stays as it is,
 * but a whole UTF-8 sequence in it (`CafÃ©` beside `Münster`) is read as UTF-8.
 * Two-byte sequences must make letters of Latin, Greek, Cyrillic, Armenian or Hebrew or an
 * accent: a capital with an accent followed by a symbol (`groß“`, 0xDF 0x93) is valid UTF-8 too,
 * but of a script (NKo) no Latin-1 writer means. Bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
 * 0x9D) were read as U+FFFD and cannot be read again: such a line stays, and the templates room
 * refuses the value holding U+FFFD.
 */
import { CP1252_HIGH } from './decode.ts';

/** Windows-1252's byte of each character it has (0x80-0xFF). */
const CP1252_BYTE = new Map<number, number>();
for (let byte = 0x80; byte <= 0xff; byte++) {
  const char = byte < 0xa0 ? CP1252_HIGH.charCodeAt(byte - 0x80) : byte;
  CP1252_BYTE.set(char, byte);
}

/** A UTF-8 continuation byte (0x80-0xBF) read as Windows-1252. */
const CONTINUATION =
  '[\\u00A0-\\u00BF\\u0152\\u0153\\u0160\\u0161\\u0178\\u017D\\u017E\\u0192\\u02C6\\u02DC\\u2013\\u2014\\u2018-\\u201E\\u2020-\\u2022\\u2026\\u2030\\u2039\\u203A\\u20AC\\u2122\\u0081\\u008D\\u008F\\u0090\\u009D]';

/** A UTF-8 lead byte read as Windows-1252 followed by a continuation byte so read. */
const MAY_BE_MISREAD = new RegExp(`[\\u00C2-\\u00F4]${CONTINUATION}`);

/** One whole UTF-8 sequence of two, three or four bytes read as Windows-1252. */
const SEQUENCE = new RegExp(
  `[\\u00C2-\\u00DF]${CONTINUATION}|[\\u00E0-\\u00EF]${CONTINUATION}{2}|[\\u00F0-\\u00F4]${CONTINUATION}{3}`,
  'g',
);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Two-byte UTF-8 that UTF-8 text read as Windows-1252 plausibly came from: letters (Latin, Greek,
 * Cyrillic, Armenian, Hebrew) and combining accents (macOS writes é as e and U+0301), not C1
 * controls, IPA or modifier letters (`CAFÉ»` is 0xC9 0xBB, IPA's ɻ), nor Arabic to NKo.
 */
const plausible = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 && c < 0xa0) return false;
    if (c >= 0x250 && c < 0x300) return false;
    if (c >= 0x600 && c < 0x800) return false;
  }
  return true;
};

/** The text read again as UTF-8, or undefined: a character Windows-1252 has not, bytes not UTF-8, a script no one meant. */
function reread(text: string): string | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const byte = c < 0x80 ? c : CP1252_BYTE.get(c);
    if (byte === undefined) return undefined;
    bytes[i] = byte;
  }
  try {
    const utf8 = strictUtf8.decode(bytes);
    return plausible(utf8) ? utf8 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The line read again as a whole; else, when it mixes the two on one line (`CafÃ© Münster`),
 * each whole UTF-8 sequence in it.
 */
function rereadLine(line: string): string {
  if (!MAY_BE_MISREAD.test(line)) return line;
  return reread(line) ?? line.replace(SEQUENCE, (sequence) => reread(sequence) ?? sequence);
}

/** The text with each line that is UTF-8 read as Windows-1252 read as UTF-8. */
export function rereadMisreadUtf8(text: string): string {
  if (!MAY_BE_MISREAD.test(text)) return text;
  return text
    .split('\n')
    .map((line) => rereadLine(line))
    .join('\n');
}
