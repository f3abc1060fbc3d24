import { describe, expect, it } from 'vitest';
import { decodeText, guessCharset, looksLikeText } from './decode.ts';

const TEXT = 'Template: ARIN-POC-5.1\r\n04. Last Name or Role Account: Müller\r\n';
const utf16le = (s: string) => Buffer.from(s, 'utf16le');
const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
const mark = (bytes: number[], body: Buffer) => Buffer.concat([Buffer.from(bytes), body]);
const utf32 = (s: string, order: 'LE' | 'BE') => {
  const points = [...s].map((c) => c.codePointAt(0)!);
  const out = Buffer.alloc(points.length * 4);
  points.forEach((p, i) => {
    if (order === 'LE') out.writeUInt32LE(p, i * 4);
    else out.writeUInt32BE(p, i * 4);
  });
  return out;
};
/** A template a third of whose characters are Cyrillic (values), the rest ASCII (labels). */
const CYRILLIC =
  'Template: ARIN-POC-5.1\r\n07. Company Name: ООО Демо Провайдер\r\n18. Public Comments: Круглосуточная служба эксплуатации сети, ответ в течение часа\r\nEND OF TEMPLATE\r\n';

/** What Windows and its tools save "text" as, and the labels (or none) mail clients put on it. */
const WRITTEN: ReadonlyArray<readonly [what: string, bytes: Buffer]> = [
  ['UTF-16LE with a byte order mark (Notepad "Unicode")', mark([0xff, 0xfe], utf16le(TEXT))],
  ['UTF-16BE with a byte order mark (Notepad "Unicode big endian")', mark([0xfe, 0xff], utf16be(TEXT))],
  ['UTF-8 with a byte order mark (Notepad "UTF-8")', mark([0xef, 0xbb, 0xbf], Buffer.from(TEXT, 'utf8'))],
  ['UTF-16LE without a mark (.NET, PowerShell exports)', utf16le(TEXT)],
  ['UTF-16BE without a mark', utf16be(TEXT)],
  ['UTF-32LE with a byte order mark', mark([0xff, 0xfe, 0, 0], utf32(TEXT, 'LE'))],
  ['UTF-32BE with a byte order mark', mark([0, 0, 0xfe, 0xff], utf32(TEXT, 'BE'))],
];

describe('text bytes read by their byte order mark, or the NULs of UTF-16', () => {
  it.each(WRITTEN)('%s: read without a label, and under a wrong one', (_what, bytes) => {
    expect(decodeText(bytes)).toBe(TEXT);
    for (const label of ['us-ascii', 'iso-8859-1', 'windows-1252', 'utf-8'])
      expect(decodeText(bytes, label)).toBe(TEXT);
    expect(looksLikeText(bytes)).toBe(true);
    expect(guessCharset(bytes).text).toBe(TEXT);
  });

  it('names the guess', () => {
    expect(guessCharset(mark([0xff, 0xfe], utf16le(TEXT))).label).toBe('UTF-16LE');
    expect(guessCharset(utf16be(TEXT)).label).toBe('UTF-16BE');
    expect(guessCharset(Buffer.from(TEXT, 'utf8')).label).toBe('UTF-8');
    expect(guessCharset(Buffer.from(TEXT, 'latin1')).label).toBe('WINDOWS-1252');
  });

  it('a byte order mark wins over a label naming another Unicode encoding', () => {
    expect(decodeText(mark([0xfe, 0xff], utf16be(TEXT)), 'utf-16le')).toBe(TEXT);
  });

  it('does not take bytes for UTF-16 on a few NULs: binary stays binary, an odd length is no UTF-16', () => {
    const binary = Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 1, 2, 3, 0, 0, 0xff, 0x10]);
    expect(looksLikeText(binary)).toBe(false);
    expect(guessCharset(binary).label).not.toMatch(/UTF-16/);
    const odd = Buffer.concat([utf16le(TEXT), Buffer.from([0x41])]);
    expect(guessCharset(odd).label).not.toMatch(/UTF-16/);
    // A NUL pasted into single-byte text is kept where it stands (the templates room refuses it by name).
    expect(decodeText(Buffer.from('Name: A\u0000B\r\n', 'latin1'))).toBe('Name: A\u0000B\r\n');
  });

  it('names UTF-32 by its mark; FF FE 00 00 on bytes that are no whole UTF-32 characters is UTF-16LE', () => {
    expect(guessCharset(mark([0xff, 0xfe, 0, 0], utf32(TEXT, 'LE'))).label).toBe('UTF-32LE');
    expect(guessCharset(mark([0, 0, 0xfe, 0xff], utf32(TEXT, 'BE'))).label).toBe('UTF-32BE');
    // UTF-16LE's mark, then a NUL character and one more: six bytes.
    expect(guessCharset(Buffer.from([0xff, 0xfe, 0, 0, 0x41, 0])).label).toBe('UTF-16LE');
    // Past U+10FFFF: not UTF-32 (read as the bytes allow).
    expect(guessCharset(Buffer.from([0xff, 0xfe, 0, 0, 0, 0, 0x11, 0])).label).not.toMatch(/UTF-32/);
    expect(decodeText(mark([0xff, 0xfe, 0, 0], utf32('Name: 😀 Ω\n', 'LE')))).toBe('Name: 😀 Ω\n');
  });

  it.each([
    ['UTF-16LE', utf16le(CYRILLIC)],
    ['UTF-16BE', utf16be(CYRILLIC)],
  ])('%s of Cyrillic text without a mark is read, unlabelled and under a utf-8 label', (label, bytes) => {
    expect(guessCharset(bytes).label).toBe(label);
    expect(decodeText(bytes)).toBe(CYRILLIC);
    expect(decodeText(bytes, 'utf-8')).toBe(CYRILLIC);
    expect(looksLikeText(bytes)).toBe(true);
  });

  it('real UTF-8 stays UTF-8: Cyrillic, CJK, a NUL pasted in, and text of even length', () => {
    for (const text of [
      CYRILLIC,
      `${CYRILLIC}一二三 中文 一\r\n`,
      CYRILLIC.replace('ООО', 'О\u0000О'),
      'ab',
    ]) {
      const bytes = Buffer.from(text, 'utf8');
      expect(guessCharset(bytes).label).toBe('UTF-8');
      expect(decodeText(bytes, 'utf-8')).toBe(text);
      expect(decodeText(bytes)).toBe(text);
    }
  });

  it('UTF-32 without a mark (NULs at both positions of a pair) is not taken for UTF-16', () => {
    expect(guessCharset(utf32(TEXT, 'LE')).label).not.toMatch(/UTF-16/);
  });

  it('binary with a NUL in one byte of four is not UTF-16: read as UTF-16 it is control characters', () => {
    const binary = Buffer.from(Array.from({ length: 400 }, (_, i) => (i % 4 === 1 ? 0 : 1 + ((i * 7) % 30))));
    expect(guessCharset(binary).label).not.toMatch(/UTF-16/);
  });

  it('UTF-16 of control characters is not text', () => {
    expect(looksLikeText(mark([0xff, 0xfe], Buffer.from(new Uint16Array(64).fill(1).buffer)))).toBe(false);
  });
});
