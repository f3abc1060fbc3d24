import { describe, expect, it } from 'vitest';
import { parseSubmission } from './index.ts';

const refusal = (unread: readonly { contentType: string; filename?: string }[]) => {
  const parsed = parseSubmission({ text: 'Please find the template attached.', unread });
  if (parsed.ok) throw new Error('expected a refusal');
  return parsed.problem;
};

describe('E_NO_TEMPLATE names the attachments not read', () => {
  it('names each with its type, and tells an Outlook user of winmail.dat to send plain text', () => {
    const p = refusal([
      { contentType: 'image/png', filename: 'logo.png' },
      { contentType: 'application/ms-tnef', filename: 'winmail.dat' },
      { contentType: 'application/pdf' },
    ]);
    expect(p.code).toBe('E_NO_TEMPLATE');
    expect(p.message).toContain(
      'These attachments were not read for templates: "logo.png" (image/png), "winmail.dat" (application/ms-tnef: Outlook\'s Rich Text format, which we do not read: in Outlook, send the message as plain text',
    );
    expect(p.message).toContain('an attachment without a name (application/pdf)');
  });

  it('lists five and counts the rest, redacts a key in a file name, and says nothing when all were read', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({ contentType: 'image/png', filename: `p${i}.png` }));
    expect(refusal(many).message).toContain('"p4.png" (image/png) and 3 more.');
    expect(
      refusal([{ contentType: 'image/png', filename: 'API-1A2B-3C4D-5E6F-7A8B.png' }]).message,
    ).not.toContain('1A2B');
    expect(refusal([]).message).not.toContain('not read for templates');
  });
});
