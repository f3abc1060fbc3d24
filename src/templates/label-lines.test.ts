/**
 * A field line written without its number (`City: Reston`) is that field, as ARIN's processor
 * reads templates (`^\s*(?:\d+\.)?\s*(label)\s*:`): never one more line of the field above it,
 * which published hostmaster-only notes and put a city into the street (finding mail25 F1).
 */
import { describe, expect, it } from 'vitest';
import type { Problem } from '../shared/index.ts';
import { findForm, findVersion } from './forms/index.ts';
import { type ParsedTemplate, parseSubmission, type TemplateRequest } from './index.ts';
import { readFields } from './read-fields.ts';
import { indexOf } from './version-index.ts';

const KEY = 'API-1234-5678-9ABC-DEF0';

function template(text: string, subject?: string): ParsedTemplate {
  const r = parseSubmission({ text, subject });
  if (!r.ok) throw new Error(`message refused: ${r.problem.code}`);
  return r.templates[0]!;
}
function request(t: ParsedTemplate): TemplateRequest {
  if (!t.result.ok) throw new Error(JSON.stringify(t.result.error));
  return t.result.value;
}
function problems(t: ParsedTemplate): readonly Problem[] {
  if (t.result.ok) throw new Error('expected problems');
  return t.result.error;
}
const codes = (ps: readonly Problem[]) => ps.map((p) => `${p.code} ${p.field ?? '-'} ${p.line ?? '-'}`);

const simple = (lines: readonly string[]) =>
  ['Template: ARIN-REASSIGN-SIMPLE-5.3', ...lines, 'END OF TEMPLATE'].join('\n');
const SIMPLE_OK = [
  `00. API Key: ${KEY}`,
  '01. Registration Action (N, M or R): N',
  '03. IP Address and Prefix or Range: 198.51.100.16/28',
  '06. Customer Name: Example Customer',
  '07. Customer Address: 1 Main St',
  '08. Customer City: Springfield',
  '09. Customer State/Province: VA',
  '10. Customer Postal Code: 22150',
  '11. Customer Country Code: US',
];
/** The same lines as the sender would write them without numbers. */
const unnumbered = (lines: readonly string[]) => lines.map((l) => l.replace(/^\d+\.\s*/, ''));

const pocModify = (lines: readonly string[]) =>
  [
    'Template: ARIN-POC-5.1',
    `00. API Key: ${KEY}`,
    '01. Registration Action (N, M or R): M',
    '02. Existing POC Handle (leave blank when creating): DEMO1-ARIN',
    ...lines,
    'END OF TEMPLATE',
  ].join('\n');

describe('the reader', () => {
  const poc = findVersion(findForm('ARIN-POC')!, 5)!;
  const body = ['08. Address: 200 New Street', 'Suite 5', 'city : Reston', 'c/o City: Reston'].map(
    (text, i) => ({
      text,
      line: i + 2,
    }),
  );

  it("takes a line whose text before the colon is one of the form's labels for that field, number or not", () => {
    const fields = readFields(body, [], indexOf(poc));
    expect(
      fields.map((f) => [f.number, f.numbered, f.label, f.value, f.continuations.map((c) => c.text)]),
    ).toEqual([
      ['08', true, 'Address', '200 New Street', ['Suite 5']],
      // Case and spacing as loose as on a numbered line; a colon inside a line of text is no label.
      ['09', false, 'city', 'Reston', ['c/o City: Reston']],
    ]);
  });

  it('without the form (one we do not know), reads numbered lines only', () => {
    const fields = readFields(body, []);
    expect(fields.map((f) => f.continuations.length)).toEqual([3]);
  });
});

describe('fields written without their number', () => {
  it('reads a template written label-only as the numbered one', () => {
    const numbered = request(template(simple(SIMPLE_OK)));
    const t = template(simple(unnumbered(SIMPLE_OK)));
    expect(request(t)).toEqual(numbered);
    expect(t.notes).toEqual([]);
    // ARIN's blank forms print a parenthetical hint; case and spacing vary.
    const loose = unnumbered(SIMPLE_OK).map((l) =>
      l
        .replace('Registration Action (N, M or R)', 'REGISTRATION ACTION')
        .replace('Customer City', 'customer  city '),
    );
    expect(request(template(simple(loose)))).toEqual(numbered);
  });

  it('keeps Additional Information written without its number out of Public Comments, and says so', () => {
    const t = template(
      simple([
        ...SIMPLE_OK,
        '12. Public Comments: Example Customer',
        'Additional Information: cost center 12-3456',
      ]),
    );
    const r = request(t);
    expect(r.kind === 'reassign-simple.create' && r.publicComments).toEqual(['Example Customer']);
    expect(t.additionalInfo).toBe('cost center 12-3456');
    expect(t.notes).toEqual([
      'read by their labels without a number: line 12 "Additional Information:" is field 13 (Additional Information), not one more line of field 12 (Public Comments)',
      "field 13 (Additional Information, line 12) passed to hostmaster staff with this template's ticket; it is not published",
    ]);
  });

  it('applies a City written without its number below an Address to the city, and says so', () => {
    const t = template(pocModify(['08. Address: 200 New Street', 'City: Reston']));
    expect(request(t)).toEqual({
      kind: 'poc.modify',
      handle: 'DEMO1-ARIN',
      changes: { street: ['200 New Street'], city: 'Reston' },
    });
    expect(t.notes).toEqual([
      'read by their labels without a number: line 6 "City:" is field 09 (City), not one more line of field 08 (Address)',
    ]);
  });

  it('keeps continuation lines that start with no label of the form', () => {
    const t = template(
      pocModify([
        '08. Address: 200 New Street',
        'Attn: Billing',
        'Building B, Suite 5',
        '18. Public Comments: first',
        'Hours: 9-5',
        '19. Additional Information: moved offices',
        'Ticket: 4711',
      ]),
    );
    expect(request(t)).toEqual({
      kind: 'poc.modify',
      handle: 'DEMO1-ARIN',
      changes: {
        street: ['200 New Street', 'Attn: Billing', 'Building B, Suite 5'],
        publicComments: ['first', 'Hours: 9-5'],
      },
      additionalInfo: 'moved offices\nTicket: 4711',
    });
    // Only the note that Additional Information goes to staff: nothing was read by a label alone.
    expect(t.notes).toHaveLength(1);
  });

  it('keeps a line starting like a misspelt label as the value above, and says so', () => {
    const t = template(pocModify(['08. Address: 200 New Street', 'Cty: Reston', 'Attn: Billing']));
    expect(request(t)).toEqual({
      kind: 'poc.modify',
      handle: 'DEMO1-ARIN',
      changes: { street: ['200 New Street', 'Cty: Reston', 'Attn: Billing'] },
    });
    expect(t.notes).toEqual([
      'read as lines of the field above: line 6 "Cty:" is one more line of field 08 (Address); for field 09 (City) write its label as the form prints it',
    ]);
  });

  it('refuses a field given twice, numbered and not, as any repeated field', () => {
    const t = template(simple([...SIMPLE_OK, 'Customer City: Reston']));
    expect(codes(problems(t))).toEqual(['E_TOO_MANY_VALUES 08 11']);
  });

  it('reads a numbered line by its label when the number is another field, and says so', () => {
    const t = template(pocModify(['09. Address: 200 New Street', '37. City: Reston']));
    expect(request(t)).toEqual({
      kind: 'poc.modify',
      handle: 'DEMO1-ARIN',
      changes: { street: ['200 New Street'], city: 'Reston' },
    });
    expect(t.notes).toEqual([
      // A number that names no field (37, as on the 5.0-era forms) could mean nothing else: not said.
      'read by their labels, the number only a hint: line 5 "09. Address" is field 08 (Address); on ARIN-POC-5.x 09 is City',
    ]);
  });

  it('names a line before any field that is no label of the form', () => {
    const ps = problems(template(simple(['Cty: Reston', ...SIMPLE_OK])));
    expect(codes(ps)).toEqual(['E_UNEXPECTED_LINE - 2']);
    expect(ps[0]!.message).toMatch(/"Label: value" with a label of this form/);
  });

  it('reads an API Key line written without its number, and counts it against another key', () => {
    const t = template(simple([`API Key: ${KEY}`, ...SIMPLE_OK.slice(1)]));
    expect(t.apiKey).toBe(KEY);
    const two = parseSubmission({
      subject: 'API-AAAA-BBBB-CCCC-DDDD',
      text: simple([`API Key: ${KEY}`, ...SIMPLE_OK.slice(1)]),
    });
    expect(!two.ok && two.problem.code).toBe('E_MULTIPLE_API_KEYS');
    // A key below the next field's label belongs to that field, not to line 00.
    const later = parseSubmission({
      subject: KEY,
      text: simple([...SIMPLE_OK.slice(1), 'Public Comments: see API-AAAA-BBBB-CCCC-DDDD']),
    });
    expect(later.ok).toBe(true);
  });
});

describe('numbered lines whose label is none of the form, under a value of more lines', () => {
  const base = SIMPLE_OK.filter((l) => !/^0[78]/.test(l));

  it('keeps a numbered list indented inside Additional Information in the note, unpublished', () => {
    const t = template(
      simple([
        ...SIMPLE_OK,
        '13. Additional Information: internal steps:',
        '  12. step: call customer at home 555-0199',
      ]),
    );
    const r = request(t);
    expect(r.kind === 'reassign-simple.create' && r.publicComments).toEqual([]);
    expect(t.additionalInfo).toBe('internal steps:\n12. step: call customer at home 555-0199');
  });

  it('refuses one whose number goes back to an earlier field, rather than guess', () => {
    const ps = problems(template(simple([...SIMPLE_OK, '12. Public Comments: our office', '7. floor: 3'])));
    expect(codes(ps)).toEqual(['E_AMBIGUOUS_LINE 7 12']);
    expect(ps[0]!.message).toBe(
      'the line "7. floor:" stands under field 12 (Public Comments), which goes on over more lines, but its label is none of this form\'s and its number goes back to field 07 (Customer Address): write "07. Customer Address:" to give that field, or indent the line or leave its number out to go on with field 12',
    );
  });

  it("still reads a field by its number under a label of the sender's own, in order or repeated", () => {
    const r = request(
      template(
        simple([...base, '07. Cust Addr: 1 Main St', '07. Cust Addr: Suite 5', '08. Cust City: Springfield']),
      ),
    );
    expect(r.kind === 'reassign-simple.create' && r.customer.address).toMatchObject({
      street: ['1 Main St', 'Suite 5'],
      city: 'Springfield',
    });
  });
});
