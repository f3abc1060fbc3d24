/**
 * What a refused template is about (`subjectsRead`: the fields that did read, so the sender's
 * corrected template supersedes it) and what a staff edit changed (`fieldEdits`).
 */
import { describe, expect, it } from 'vitest';
import { fieldEdits } from './field-edits.ts';
import { type ParsedTemplate, parseTemplateBlock, requestSubjects, splitTemplates } from './index.ts';

function parsed(text: string): ParsedTemplate {
  const [block] = splitTemplates(text);
  if (!block) throw new Error('no template');
  return parseTemplateBlock(block, 1);
}

const simple = (fields: Record<string, string>) =>
  [
    'Template: ARIN-REASSIGN-SIMPLE-5.3',
    `01. Registration Action (N, M or R): ${fields['01'] ?? 'N'}`,
    `02. Network Name: ${fields['02'] ?? 'DEMO-NET'}`,
    `03. IP Address and Prefix or Range: ${fields['03'] ?? '198.51.100.16/28'}`,
    `04. Origin AS: ${fields['04'] ?? 'AS64500'}`,
    '06. Customer Name: Example Customer',
    '07. Customer Address: 1 Main St',
    '07. Customer Address: Suite 5',
    '08. Customer City: Springfield',
    '09. Customer State/Province: VA',
    '10. Customer Postal Code: 22150',
    `11. Customer Country Code: ${fields['11'] ?? 'US'}`,
    'END OF TEMPLATE',
  ].join('\n');

const pocChange = (action: string, handle: string, country: string) =>
  [
    'Template: ARIN-POC-5.1',
    `01. Registration Action: ${action}`,
    `02. Existing POC Handle: ${handle}`,
    `12. Country Code: ${country}`,
    'END OF TEMPLATE',
  ].join('\n');

describe('subjectsRead: what a template refused at reading is about', () => {
  it('is the subject the corrected template has, for a field error beside a range that read', () => {
    const fixed = parsed(simple({}));
    if (!fixed.result.ok) throw new Error('the corrected template should read');
    const subjects = requestSubjects(fixed.result.value);
    for (const wrong of [{ '11': 'XX' }, { '04': 'AS-FOO' }, { '02': 'BAD NAME!' }] as Record<
      string,
      string
    >[]) {
      const refused = parsed(simple(wrong));
      expect(refused.result.ok).toBe(false);
      // What read is among what the corrected template names (a name that did not read is left out).
      expect(refused.subjectsRead?.length).toBeGreaterThan(0);
      for (const key of refused.subjectsRead ?? []) expect(subjects).toContain(key);
    }
  });

  it('says a removal is a removal, and a POC or org change names its handle', () => {
    expect(parsed(pocChange('M', 'demo1-arin', 'XX')).subjectsRead).toEqual(['poc:DEMO1-ARIN']);
    const removal = parsed(
      [
        'Template: ARIN-NET-MOD-5.3',
        '01. Registration Action: R',
        '02. IP Address and Prefix or Range: 198.51.100.0/28',
        '04. Origin AS: AS-FOO',
        'END OF TEMPLATE',
      ].join('\n'),
    );
    expect(removal.subjectsRead).toEqual(['remove:range:4:3325256704-3325256719']);
  });

  it('names a new net whose range did not read by its network name and customer, as its corrected resend', () => {
    const fixed = parsed(simple({ '03': '198.51.100.48/29' }));
    if (!fixed.result.ok) throw new Error('the corrected template should read');
    const named = ['simple-n:name:DEMO-NET|EXAMPLE CUSTOMER'];
    expect(requestSubjects(fixed.result.value)).toEqual(expect.arrayContaining(named));
    // The range itself wrong, or written twice: only the names stand for it.
    expect(parsed(simple({ '03': '198.51.100.300/29' })).subjectsRead).toEqual(named);
    expect(
      parsed(
        simple({ '11': 'XX' }).replace(
          '04. Origin',
          '03. IP Address and Prefix or Range: 192.0.2.0/28\n04. Origin',
        ),
      ).subjectsRead,
    ).toEqual(named);
    // A network name refused too: nothing names it.
    expect(parsed(simple({ '02': 'BAD NAME!', '03': '198.51.100.300/29' })).subjectsRead).toBeUndefined();
  });

  it('keeps the kind of change: a Net-Mod M and a Reassign-Simple M of one range are not the same request', () => {
    const netMod = parsed(
      [
        'Template: ARIN-NET-MOD-5.3',
        '01. Registration Action: M',
        '02. IP Address and Prefix or Range: 198.51.100.0/28',
        '04. Origin AS: AS64999X',
        'END OF TEMPLATE',
      ].join('\n'),
    );
    const simpleM = parsed(simple({ '01': 'M', '03': '198.51.100.0/28' }));
    if (!simpleM.result.ok) throw new Error('the Reassign-Simple M should read');
    expect(netMod.subjectsRead).toEqual(['netmod-m:range:4:3325256704-3325256719']);
    expect(requestSubjects(simpleM.result.value)).not.toContain(netMod.subjectsRead![0]);
    const fixedNetMod = parsed(
      [
        'Template: ARIN-NET-MOD-5.3',
        '01. Registration Action: M',
        '02. IP Address and Prefix or Range: 198.51.100.0/28',
        '04. Origin AS: AS64999',
        'END OF TEMPLATE',
      ].join('\n'),
    );
    if (!fixedNetMod.result.ok) throw new Error('the corrected Net-Mod should read');
    expect(requestSubjects(fixedNetMod.result.value)).toEqual(netMod.subjectsRead);
  });

  it('names nothing it cannot read unambiguously', () => {
    // The range and the names wrong; the action missing or wrong (a removal or not?).
    expect(
      parsed(simple({ '02': 'BAD NAME!', '03': '198.51.100.300/28', '11': 'XX' })).subjectsRead,
    ).toBeUndefined();
    expect(parsed(simple({ '01': 'X', '11': 'XX' })).subjectsRead).toBeUndefined();
    expect(parsed(simple({ '01': '', '11': 'XX' })).subjectsRead).toBeUndefined();
    // A create names no handle (one written there is itself refused); a template that read has none.
    expect(parsed(pocChange('N', 'DEMO1-ARIN', 'XX')).subjectsRead).toBeUndefined();
    expect(parsed(simple({})).subjectsRead).toBeUndefined();
  });
});

describe('fieldEdits: what staff changed', () => {
  it('lists each field whose values changed, by the form’s number and label', () => {
    expect(fieldEdits(simple({ '11': 'XX', '04': 'AS-FOO' }), simple({}))).toEqual([
      { field: '04', label: 'Origin AS', before: ['AS-FOO'], after: ['AS64500'] },
      { field: '11', label: 'Customer Country Code', before: ['XX'], after: ['US'] },
    ]);
  });

  it('reads repeated and continued lines as one field, and says a field emptied or taken out', () => {
    const before = simple({});
    const after = before
      .replace('07. Customer Address: Suite 5', '07. Customer Address: Suite 6')
      .replace('04. Origin AS: AS64500\n', '')
      .replace('02. Network Name: DEMO-NET', '02. Network Name:');
    expect(fieldEdits(before, after)).toEqual([
      { field: '02', label: 'Network Name', before: ['DEMO-NET'], after: [] },
      {
        field: '07',
        label: 'Customer Address',
        before: ['1 Main St', 'Suite 5'],
        after: ['1 Main St', 'Suite 6'],
      },
      { field: '04', label: 'Origin AS', before: ['AS64500'], after: [] },
    ]);
  });

  it('is empty when only the layout changed, and names a changed form line', () => {
    const text = simple({});
    expect(fieldEdits(text, text.replace('04. Origin AS:', '04.  origin as  :'))).toEqual([]);
    expect(fieldEdits(text, text.replace('REASSIGN-SIMPLE-5.3', 'REASSIGN-SIMPLE-5.2'))).toEqual([
      {
        label: 'Template',
        before: ['ARIN-REASSIGN-SIMPLE-5.3'],
        after: ['ARIN-REASSIGN-SIMPLE-5.2'],
      },
    ]);
  });
});
