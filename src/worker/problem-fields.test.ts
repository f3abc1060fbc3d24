import { describe, expect, it } from 'vitest';
import { problem } from '../shared/errors.ts';
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
    expect(pinToField(t, problem('E_NOT_AUTHORIZED', 'x')).field).toBeUndefined();
  });
});
