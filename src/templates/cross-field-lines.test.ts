/**
 * Every cross-field rule of the forms' `build` (a postal code and state an address in the US
 * needs, a person's first name, what a new org or POC written out needs, a net POC's type) points
 * its error at the field's own line when the field is in the template, left blank: never at the
 * Template: line (review 24 mail finding 10).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../shared/index.ts';
import { parseSubmission } from './index.ts';

/** The published blank form with these values filled in (by field number), the rest left blank. */
function filled(form: string, values: Readonly<Record<string, string>>): string {
  const blank = readFileSync(new URL(`../../templates/${form}.txt`, import.meta.url), 'utf8');
  const template = blank.slice(0, blank.indexOf('END OF TEMPLATE') + 'END OF TEMPLATE'.length);
  return template
    .split('\n')
    .map((line) => {
      const number = /^(\d\d)\./.exec(line)?.[1];
      return number !== undefined && values[number] !== undefined ? `${line} ${values[number]}` : line;
    })
    .join('\n');
}

function problemsOf(text: string): readonly Problem[] {
  const parsed = parseSubmission({ text });
  if (!parsed.ok) throw new Error(parsed.problem.message);
  const [t] = parsed.templates;
  if (!t || t.result.ok) throw new Error('expected problems');
  return t.result.error;
}

/** Each problem as `CODE field line`, and the line it points at starts with its field's number. */
function pinned(text: string): string[] {
  const lines = text.split('\n');
  return problemsOf(text).map((p) => {
    expect(lines[(p.line ?? 0) - 1], `${p.code} ${p.message}`).toMatch(new RegExp(`^${p.field}\\.`));
    return `${p.code} ${p.field}`;
  });
}

const US_ADDRESS_WITHOUT_STATE_AND_POSTAL_CODE = { '08': '1 Main St', '09': 'Springfield', '12': 'US' };

describe('cross-field rules point at the blank field they are about', () => {
  it('REASSIGN-SIMPLE: the state and postal code of a US customer', () => {
    const text = filled('ARIN-REASSIGN-SIMPLE-5.3', {
      '01': 'N',
      '03': '198.51.100.16/28',
      '06': 'Example Customer',
      '07': '1 Main St',
      '08': 'Springfield',
      '11': 'US',
    });
    expect(pinned(text)).toEqual(['E_MISSING_FIELD 09', 'E_MISSING_FIELD 10']);
  });

  it("POC: a person's first name, the state and postal code of a US address", () => {
    const text = filled('ARIN-POC-5.1', {
      '01': 'N',
      '03': 'P',
      '04': 'Example',
      ...US_ADDRESS_WITHOUT_STATE_AND_POSTAL_CODE,
      '13': '+1-703-555-0100',
      '15': 'noc@example.net',
    });
    expect(pinned(text)).toEqual(['E_MISSING_FIELD 05', 'E_MISSING_FIELD 10', 'E_MISSING_FIELD 11']);
  });

  it("ORG: the org's state and postal code in Canada", () => {
    const text = filled('ARIN-ORG-5.2', {
      '01': 'N',
      '03': 'Example Org',
      '06': '1 Main St',
      '07': 'Ottawa',
      '10': 'CA',
      '11': 'DEMO1-ARIN',
      '12': 'DEMO1-ARIN',
      '13': 'DEMO1-ARIN',
    });
    expect(pinned(text)).toEqual(['E_MISSING_FIELD 08', 'E_MISSING_FIELD 09']);
  });

  it('REASSIGN-DETAILED 4.1: a new org, its POC written out, and a net POC without its type', () => {
    const text = filled('ARIN-REASSIGN-DETAILED-4.1', {
      '02': 'Example Org',
      '03': '1 Main St',
      '04': 'Springfield',
      '07': 'US',
      '09': 'P',
      '10': 'Example',
      '13': '1 Main St',
      '14': 'Springfield',
      '15': 'VA',
      '16': '22150',
      '17': 'US',
      '18': '+1-703-555-0100',
      '19': 'noc@example.net',
      '20': '198.51.100.16/28',
      '21': 'EXAMPLE-NET',
      '25': 'DEMO1-ARIN',
    });
    expect(pinned(text)).toEqual([
      'E_MISSING_FIELD 05',
      'E_MISSING_FIELD 06',
      'E_MISSING_FIELD 11',
      'E_MISSING_FIELD 24',
    ]);
  });
});
