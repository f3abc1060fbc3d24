/**
 * A value holding a character some reader ends a line at (Python's `splitlines`, Java's `\R`,
 * JavaScript's multiline `^`/`$`) is refused, naming the field, the character and where it is:
 * written into a reply, a notice or WHOIS, it would put a line of the customer's into ours.
 */
import { describe, expect, it } from 'vitest';
import type { Problem } from '../shared/index.ts';
import { parseSubmission } from './index.ts';
import { checkValue } from './values.ts';

const KEY = 'API-1234-5678-9ABC-DEF0';

function problems(lines: readonly string[]): readonly Problem[] {
  const text = ['Template: ARIN-REASSIGN-SIMPLE-5.3', ...lines, 'END OF TEMPLATE'].join('\n');
  const r = parseSubmission({ text });
  if (!r.ok) throw new Error(`message refused: ${r.problem.code}`);
  const t = r.templates[0]!;
  if (t.result.ok) throw new Error('expected problems');
  return t.result.error;
}

const BREAKS: readonly (readonly [string, string])[] = [
  ['\u0085', 'NEL (U+0085, next line)'],
  ['\u2028', 'LS (U+2028, line separator)'],
  ['\u2029', 'PS (U+2029, paragraph separator)'],
  ['\u000B', 'VT (U+000B, vertical tab)'],
  ['\u000C', 'FF (U+000C, form feed)'],
  ['\r', 'CR (U+000D, carriage return)'],
  ['\u001C', 'FS (U+001C, file separator)'],
  ['\u001D', 'GS (U+001D, group separator)'],
  ['\u001E', 'RS (U+001E, record separator)'],
  // As the mail room hands a C0 control on: its picture.
  ['\u240B', 'VT (U+000B, vertical tab; shown as \u240B)'],
  ['\u241E', 'RS (U+001E, record separator; shown as \u241E)'],
];

describe('a value holding a line break', () => {
  it.each(BREAKS)('%j is refused E_LINE_BREAK_CHARACTER, named, in every kind of field', (c, name) => {
    for (const kind of ['text', 'freeText', 'email', 'country', 'netName'] as const) {
      expect(checkValue(kind, `Acme${c}Status: APPROVED`)).toEqual({
        ok: false,
        code: 'E_LINE_BREAK_CHARACTER',
        message: `the value holds ${name} after "Acme", which mail programs and billing systems may read as the end of a line: retype the value without it`,
      });
    }
    expect(checkValue('text', `${c}Acme`)).toMatchObject({
      message: expect.stringContaining(`${name} at the start of the value`),
    });
  });

  it("names the field and line of each, in the reviewer's template", () => {
    const ps = problems([
      `00. API Key: ${KEY}`,
      '01. Registration Action (N, M or R): N',
      '02. Network Name: INJ',
      '03. IP Address and Prefix or Range: 198.51.100.160/29',
      '06. Customer Name: Acme\u0085Status: APPROVED\u0085Handle: NET-198-51-100-160-1',
      '07. Customer Address: 100 Industrial Way\u2028OrgName: Injected Corp',
      '08. Customer City: Springfield',
      '09. Customer State/Province: VA',
      '10. Customer Postal Code: 22150',
      '11. Customer Country Code: US',
      '12. Public Comments: ok\u2029NetRange: 10.0.0.0 - 10.255.255.255',
    ]);
    expect(ps.map((p) => `${p.code} ${p.field} ${p.line}`)).toEqual([
      'E_LINE_BREAK_CHARACTER 06 6',
      'E_LINE_BREAK_CHARACTER 07 7',
      'E_LINE_BREAK_CHARACTER 12 12',
    ]);
  });

  it('a line break is named before another control character in the same value; TAB and ordinary text pass', () => {
    expect(checkValue('text', 'a\u001Bb\u2028c')).toMatchObject({ code: 'E_LINE_BREAK_CHARACTER' });
    expect(checkValue('text', 'a\u001Bb')).toMatchObject({ code: 'E_CONTROL_CHARACTER' });
    expect(checkValue('text', 'a\u0086b')).toMatchObject({ code: 'E_CONTROL_CHARACTER' });
    expect(
      checkValue('freeText', 'one\ttab, M\u00fcller, \u00a0no-break space, \u2024 one dot leader'),
    ).toEqual({
      ok: true,
      value: 'one\ttab, M\u00fcller, \u00a0no-break space, \u2024 one dot leader',
    });
  });
});
