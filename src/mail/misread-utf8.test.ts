import { describe, expect, it } from 'vitest';
import { decodeWindows1252 } from './decode.ts';
import { rereadMisreadUtf8 } from './misread-utf8.ts';

/** What a Windows-1252 reading makes of these bytes. */
const as1252 = (bytes: Buffer) => decodeWindows1252(bytes);

describe('UTF-8 lines read as Windows-1252', () => {
  it('reads a UTF-8 line again as UTF-8 and leaves a Latin-1 line beside it as it is', () => {
    const mixed = Buffer.concat([
      Buffer.from('06. Customer Name: Café Zürich AG\n', 'utf8'),
      Buffer.from('08. Customer City: Münster\n', 'latin1'),
    ]);
    expect(rereadMisreadUtf8(as1252(mixed))).toBe(
      '06. Customer Name: Café Zürich AG\n08. Customer City: Münster\n',
    );
  });

  it('reads each whole UTF-8 sequence of a line that mixes the two', () => {
    // The en dash is Windows-1252's own 0x96 (a Latin-1 writer's), kept as it is.
    const latin1Line = Buffer.from([
      ...Buffer.from('Café ', 'utf8'),
      ...Buffer.from('Münster ', 'latin1'),
      0x96,
      ...Buffer.from(' Zürich’s', 'utf8'),
    ]);
    expect(rereadMisreadUtf8(as1252(latin1Line))).toBe('Café Münster – Zürich’s');
  });

  it("reads Windows-1252's punctuation of UTF-8 (’ “ ” – €), Cyrillic and Greek", () => {
    for (const text of ['O’Brien “Networks” – 5 €', 'ООО Демо', 'Αθήνα', 'Łódź', 'Cafe\u0301 Zu\u0308rich']) {
      expect(rereadMisreadUtf8(as1252(Buffer.from(text, 'utf8')))).toBe(text);
    }
    // Ł is C5 81, 0x81 undefined in Windows-1252: where the reading made it U+FFFD (mailparser's
    // iconv-lite), that line cannot be read again, and the value holding U+FFFD is refused.
    expect(rereadMisreadUtf8('Å\uFFFDÃ³dÅº')).toBe('Å\uFFFDódź');
  });

  it('leaves real Latin-1 text alone, also where a byte pair happens to be valid UTF-8 of another script', () => {
    for (const text of ['José Müller GmbH', 'Straße groß“', 'São Paulo', 'Ü” x', 'CAFÉ»']) {
      expect(rereadMisreadUtf8(text)).toBe(text);
    }
  });

  it('reads the UTF-8 sequences of a line beside a character Windows-1252 has not', () => {
    expect(rereadMisreadUtf8('CafÃ© Ł')).toBe('Café Ł');
  });
});
