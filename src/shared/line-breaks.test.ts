import { describe, expect, it } from 'vitest';
import { LINE_BREAK, lineBreakName, showLineBreaks, visibleKeyFree } from './line-breaks.ts';

describe('showLineBreaks', () => {
  it('shows every control character but TAB and LF, and LS and PS: C0 as its picture, the others as \\uXXXX', () => {
    expect(
      showLineBreaks(
        'a\u0085b\u2028c\u2029d\u000Be\u000Cf\rg\u001Ch\u001Di\u001Ej\u001Bk\u007Fl\u0086m\tn\no',
      ),
    ).toBe('a\\u0085b\\u2028c\\u2029d\u240Be\u240Cf\u240Dg\u241Ch\u241Di\u241Ej\u241Bk\u2421l\\u0086m\tn\no');
    expect(showLineBreaks('Acme Corp, M\u00fcller \u00a0')).toBe('Acme Corp, M\u00fcller \u00a0');
  });

  it('leaves no character LINE_BREAK matches but LF', () => {
    const every = Array.from({ length: 0x3000 }, (_, i) => String.fromCharCode(i)).join('');
    const shown = showLineBreaks(every);
    expect([...shown].filter((c) => LINE_BREAK.test(c))).toEqual(['\n']);
  });

  it('names each line break, and nothing else', () => {
    expect(lineBreakName(0x2028)).toBe('LS (U+2028, line separator)');
    expect(lineBreakName(0x1b)).toBeUndefined();
  });
});

describe('visibleKeyFree', () => {
  it('shows line breaks and redacts keys', () => {
    expect(visibleKeyFree('Acme\u0085Status: APPROVED')).toBe('Acme\\u0085Status: APPROVED');
    expect(visibleKeyFree('key API-7F3A-9C2E-B41D-58E6')).toBe('key API-****-****-****-58E6');
  });

  it('redacts a key whose groups a line break separates (read as the blank it stands for)', () => {
    for (const c of ['\u2028', '\u0085', '\u000B', '\u2029']) {
      const out = visibleKeyFree(`x 7F3A-9C2E${c}B41D-58E6 y`);
      expect(out).not.toMatch(/7F3A|9C2E|B41D/);
      expect(out).not.toMatch(LINE_BREAK);
    }
  });
});
