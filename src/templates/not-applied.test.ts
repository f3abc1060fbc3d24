import { describe, expect, it } from 'vitest';
import { templatesNotApplied } from './not-applied.ts';
import { parseSubmission } from './submission.ts';

const POC = (last: string) =>
  [
    'Template: ARIN-POC-5.1',
    '01. Registration Action (N, M or R): N',
    `04. Last Name or Role Account: ${last}`,
    'END OF TEMPLATE',
  ].join('\n');
const quote = (text: string) =>
  text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');

describe('templates someone else wrote, named and not applied', () => {
  it('names a quoted template by its line in the part it stands in (an attachment after the body)', () => {
    const body = 'Ours is attached.';
    const attachment = `${POC('Own')}\n\nTheirs, for reference:\n${quote(POC('Theirs'))}`;
    const text = `${body}\n\n${attachment}`;
    const found = templatesNotApplied({
      text,
      parts: [
        { source: 'body', firstLine: 1 },
        { source: 'attachment', filename: 'poc.txt', firstLine: 3 },
      ],
    });
    expect(found).toEqual([
      {
        code: 'E_QUOTED_TEMPLATE',
        message: expect.stringMatching(
          /^template ARIN-POC-5\.1 at line 7 of the attachment "poc\.txt" is quoted/,
        ),
      },
    ]);
  });

  it('does not name our reply echo quoted back, nor a quote without a template', () => {
    const echo = '> 1 | Template: ARIN-POC-5.1\n> 2 | 01. Registration Action: N\n> 3 | END OF TEMPLATE';
    expect(templatesNotApplied({ text: `${POC('Own')}\n\n${echo}\n> Template: attached` })).toEqual([]);
  });

  it('names a template in a forward inside an attached message, and one behind ">" inside a forward', () => {
    const found = templatesNotApplied({
      text: POC('Own'),
      forwarded: [
        { text: `Hi\n\n${quote(POC('A'))}`, subject: 'older' },
        { text: POC('B'), separator: '-----Original Message-----', subject: 'older', withinAttached: true },
      ],
    });
    expect(found.map((p) => p.code)).toEqual(['E_FORWARDED_TEMPLATE', 'E_FORWARDED_TEMPLATE']);
    expect(found[0]!.message).toContain('at line 3 of the attached message "older" (message/rfc822)');
    expect(found[1]!.message).toContain('is inside a message forwarded within the attached message "older"');
  });

  it('does not count them against the limit, and counts past ten instead of listing them', () => {
    const forward = Array.from({ length: 25 }, (_, i) => POC(`F${i}`)).join('\n\n');
    const parsed = parseSubmission(
      {
        text: Array.from({ length: 3 }, (_, i) => POC(`Own${i}`)).join('\n\n'),
        forwarded: [{ text: forward, separator: 'Begin forwarded message:' }],
      },
      { maxTemplates: 3 },
    );
    if (!parsed.ok) throw new Error(parsed.problem.message);
    expect(parsed.templates).toHaveLength(3);
    expect(parsed.notApplied).toHaveLength(11);
    expect(parsed.notApplied[10]!.message).toMatch(/^and 15 more templates/);
  });

  it('counts a forward of a hundred thousand templates without a sentence each, and cuts what the sender wrote', () => {
    const forward = 'Template: ARIN-POC-5.1\nEND OF TEMPLATE\n'.repeat(100_000);
    const found = templatesNotApplied({
      text: POC('Own'),
      forwarded: [{ text: `Template: ARIN-${'X'.repeat(5_000)}\n${forward}`, subject: 'S'.repeat(5_000) }],
    });
    expect(found).toHaveLength(11);
    expect(found[10]!.message).toMatch(/^and 99,991 more templates/);
    expect(found[0]!.message.length).toBeLessThan(400);
    expect(found[0]!.message).toContain(`"${'S'.repeat(97)}..."`);
  });
});
