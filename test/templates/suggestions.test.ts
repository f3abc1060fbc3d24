/** "Did you mean": the obvious wrong thing a person types, answered with what they meant. */
import { describe, expect, it } from 'vitest';
import { suggestCountry } from '../../src/templates/country-suggestion.ts';
import { parseSubmission } from '../../src/templates/index.ts';
import { editDistance, nearest } from '../../src/templates/nearest.ts';

describe('suggestions', () => {
  it.each([
    ['USA', 'US'],
    ['United States', 'US'],
    ['U.S.', 'US'],
    ['u.s.a.', 'US'],
    ['UK', 'GB'],
    ['United Kingdom', 'GB'],
    ['Deutschland', 'DE'],
    ['Canada', 'CA'],
    ['DEU', 'DE'],
    ['Österreich', 'AT'],
  ])('country %s -> %s', (written, code) => {
    expect(suggestCountry(written)).toBe(code);
  });

  it('suggests nothing for what is near no country, and does not look at absurd lengths', () => {
    expect(suggestCountry('Springfield')).toBeUndefined();
    expect(suggestCountry('x'.repeat(100_000))).toBeUndefined();
  });

  it('a country name longer than the field is refused as a country, not as too long', () => {
    const r = parseSubmission({
      text: [
        'Template: ARIN-POC-5.1',
        '01. Registration Action: N',
        '12. Country Code: United States of America',
        'END OF TEMPLATE',
      ].join('\n'),
    });
    if (!r.ok || r.templates[0]!.result.ok) throw new Error('expected problems');
    const country = r.templates[0]!.result.error.filter((p) => p.field === '12');
    expect(country.map((p) => [p.code, p.message])).toEqual([
      [
        'E_INVALID_COUNTRY',
        '"United States of America" is not an ISO 3166 two-letter country code; did you mean US?',
      ],
    ]);
  });

  it('nearest: within a quarter of the length, else nothing', () => {
    expect(editDistance('kitten', 'sitting', 5)).toBe(3);
    const names = [['ARIN-REASSIGN-SIMPLE', 1] as const, ['ARIN-POC', 2] as const];
    expect(nearest('ARIN-REASIGN-SIMPLE', names)).toBe(1);
    expect(nearest('ARIN-FOOBAR', names)).toBeUndefined();
    expect(nearest('x'.repeat(10_000), names)).toBeUndefined();
  });
});
