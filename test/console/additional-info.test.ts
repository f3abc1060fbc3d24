/**
 * A sender's Additional Information (ARIN's note to the hostmaster) where staff look: mailed over
 * SMTP to the whole daemon, a refused template's note is on its row of the rejection queue and
 * on the submission page (beside the parse result and in the tickets table), as the sender
 * wrote it, lines kept, an API key in it hidden.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import { fillForm } from '../pipeline/support/forms.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { pageText, type SignedInGet, signIn } from './support/sign-in.ts';

const NOTE = ['Ticket 20261201-X0000042 asked us to resend this;', 'please call Dana on +1-703-555-0199.'];

describe('Additional Information in the console (PostgreSQL)', () => {
  let stack: ConsoleStack;
  let get: SignedInGet;
  let refused: { submissionId: string; rejectionId: number; reasonCode: string };

  beforeAll(async () => {
    stack = await startConsoleStack();
    // A net that is not the sender's: refused, and waiting for staff in the queue.
    const messageId = await stack.send({
      from: `Demo ISP billing <${DEMO_SENDER}>`,
      subject: `NET-MOD ${DEMO_API_KEY}`,
      text: fillForm('ARIN-NET-MOD-5.3', {
        '01': 'M',
        '02': '203.0.113.0/24',
        '03': 'NOT-OURS',
        '09': [...NOTE, 'Our key is API-1111-2222-3333-4444.'],
      }),
    });
    refused = await stack.rejectionFor(messageId);
    get = await signIn(stack.baseUrl, STAFF_EMAIL, STAFF_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows it on the rejection queue row of the refused template', async () => {
    const page = await get('/rejections?state=all');
    expect(page.status).toBe(200);
    const row = /<tr[^>]*>(?:(?!<\/tr>)[\s\S])*?#rejection-(\d+)[\s\S]*?<\/tr>/g;
    const rows = [...page.body.matchAll(row)].filter((m) => m[1] === String(refused.rejectionId));
    expect(rows).toHaveLength(1);
    const text = pageText(rows[0]![0]);
    expect(text).toContain(`Additional information: ${NOTE.join('\n')}`);
    expect(text).toContain('API-****-****-****-4444');
    expect(page.body).not.toContain('API-1111-2222-3333-4444');
  });

  it('shows it on the submission page, beside the parse result and on the ticket', async () => {
    const page = await get(`/submissions/${encodeURIComponent(refused.submissionId)}`);
    expect(page.status).toBe(200);
    const note = `${NOTE.join('\n')}\nOur key is API-****-****-****-4444.`;
    // Beside the parse result, and in the tickets table.
    expect(page.body).toContain(`<dd class="additional-info">${note}</dd>`);
    expect(page.body).toContain(`<td class="additional-info">${note}</td>`);
    expect(pageText(page.body)).toContain(`Additional information${note}`);
    expect(page.body).not.toContain('API-1111-2222-3333-4444');
  });
});
