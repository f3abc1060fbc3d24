import { describe, expect, it } from 'vitest';
import { decodeText, guessCharset, looksLikeText } from './decode.ts';

const TEXT = 'Template: ARIN-POC-5.1\r\n04. Last Name or Role Account: Müller\r\n';
const utf16le = (s: string) => Buffer.from(s, 'utf16le');
const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
const mark = (bytes: number[], body: Buffer) => Buffer.concat([Buffer.from(bytes), body]);

/** What Windows and its tools save "text" as, and the labels (or none) mail clients put on it. */
const WRITTEN: ReadonlyArray<readonly [what: string, bytes: Buffer]> = [
  ['UTF-16LE with a byte order mark (Notepad "Unicode")', mark([0xff, 0xfe], utf16le(TEXT))],
  ['UTF-16BE with a byte order mark (Notepad "Unicode big endian")', mark([0xfe, 0xff], utf16be(TEXT))],
  ['UTF-8 with a byte order mark (Notepad "UTF-8")', mark([0xef, 0xbb, 0xbf], Buffer.from(TEXT, 'utf8'))],
  ['UTF-16LE without a mark (.NET, PowerShell exports)', utf16le(TEXT)],
  ['UTF-16BE without a mark', utf16be(TEXT)],
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

  it('UTF-16 of control characters is not text', () => {
    expect(looksLikeText(mark([0xff, 0xfe], Buffer.from(new Uint16Array(64).fill(1).buffer)))).toBe(false);
  });
});
