import { describe, expect, it } from 'vitest';
import { problem } from '../shared/index.ts';
import { parseSubmission } from '../templates/index.ts';
import { pinToField } from './problem-fields.ts';

function only(text: string) {
  const parsed = parseSubmission({ text });
  if (!parsed.ok) throw new Error(parsed.problem.message);
  return parsed.templates[0]!;
}

describe('pinToField', () => {
  it('points a range rule at the field that carried the range, in the version the sender used', () => {
    const v5 = only(
      'Template: ARIN-NET-MOD-5.0\n01. Registration Action: R\n02. IP Address and Prefix or Range: 198.51.100.0/28\nEND OF TEMPLATE\n',
    );
    expect(pinToField(v5, problem('E_OVERLAP', 'x')).field).toBe('02');
    const v3 = only(
      'Template: REASSIGN-SIMPLE-3.0\n1. Registration Action: R\n3. IP Address and Prefix or Range: 198.51.100.0/28\nEND OF TEMPLATE\n',
    );
    expect(pinToField(v3, problem('E_NOT_WITHIN_PARENT', 'x')).field).toBe('3');
  });

  it('leaves alone a problem that already has a field, or is about no field', () => {
    const t = only(
      'Template: ARIN-NET-MOD-5.0\n01. Registration Action: R\n02. IP Address and Prefix or Range: 198.51.100.0/28\nEND OF TEMPLATE\n',
    );
    expect(pinToField(t, problem('E_OVERLAP', 'x', { field: '07' })).field).toBe('07');
    expect(pinToField(t, problem('E_NOT_AUTHORIZED', 'x')).field).toBe('02');
    expect(pinToField(t, problem('E_PROCESSING_FAILED', 'x')).field).toBeUndefined();
  });

  it('names the field of the object an authority or not-found sentence is about', () => {
    const org = only(
      [
        'Template: ARIN-ORG-5.2',
        '01. Registration Action: N',
        "03. Organization's Legal Name: Example",
        '06. Org Address: 1 Main St',
        '07. Org City: Springfield',
        '08. Org State/Province: VA',
        '09. Org Postal Code: 22150',
        '10. Org Country Code: US',
        '11. Admin POC Handle: DEMO1-ARIN',
        '12. Tech POC Handle: DEMO1-ARIN',
        '12. Tech POC Handle: GONE9-ARIN',
        'END OF TEMPLATE',
      ].join('\n'),
    );
    expect(pinToField(org, problem('E_OBJECT_NOT_FOUND', 'tech POC GONE9-ARIN does not exist')).field).toBe(
      '12',
    );
    expect(pinToField(org, problem('E_NOT_AUTHORIZED', 'you do not hold POC DEMO1-ARIN')).field).toBe('11');
    const poc = only(
      'Template: ARIN-POC-5.1\n01. Registration Action: R\n02. Existing POC Handle: XY1-ARIN\nEND OF TEMPLATE\n',
    );
    expect(pinToField(poc, problem('E_NOT_AUTHORIZED', 'not yours')).field).toBe('02');
  });
});
