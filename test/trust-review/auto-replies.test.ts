/**
 * Re-review of "mail that must never be answered" (issue 14, items 4-5): auto-responders that do
 * not write Auto-Submitted mark their mail otherwise: `X-Autoreply: yes` (vacation programs),
 * `X-Autorespond`, `Precedence: auto_reply`. Such a reply to one of ours, from a mailbox whose
 * domain signs it (so its From is verified), must not be answered: each answer would draw the
 * next auto-reply. Through SMTP, DKIM-signed by the test key; the sink must catch nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SENDER } from '../../src/registry/index.ts';
import { caughtFor, rejectionsOf, replyFor } from '../pipeline/support/outcomes.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';

const MARKS: ReadonlyArray<Readonly<Record<string, string>>> = [
  { 'X-Autoreply': 'yes' },
  { 'X-Autorespond': 'Out of office' },
  { Precedence: 'auto_reply' },
];

describe('trust review: auto-replies marked without Auto-Submitted (PGlite, real SMTP)', () => {
  let stack: Stack;
  let sent = 0;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  const outOfOffice = async (headers: Record<string, string>) => {
    const raw = mail({
      from: `Demo ISP NOC <${DEMO_SENDER}>`,
      subject: `Out of office: Re: your message ${++sent}`,
      body: 'I am out of the office until Monday and will read your message then.\n',
      messageId: `<ooo-${sent}-${Date.now()}@demo-isp.example>`,
      headers,
    });
    return stack.send(await dkimSignMessage(raw, 'demo-isp.example'));
  };

  for (const headers of MARKS) {
    it(`does not answer ${JSON.stringify(headers)}`, async () => {
      const id = await outOfOffice(headers);
      await stack.processed(id, 60_000);
      // The decision is recorded with the message; the outbox would send after it.
      const whole = (await rejectionsOf(stack.database.db, id)).find((r) => r.templateIndex === null);
      expect(whole?.reason ?? '').toMatch(/not answered: .*answering automatic mail makes loops/);
      expect(caughtFor(stack.sink, id)).toEqual({ replies: 0, notices: 0 });
    }, 120_000);
  }

  it('answers the same signed mail without the marks, X-Auto-Response-Suppress too (billing systems write it)', async () => {
    const id = await outOfOffice({ 'X-Auto-Response-Suppress': 'All', 'X-Autoreply': 'no' });
    const reply = await replyFor(stack.sink, id);
    expect(reply.mail.rcptTo).toEqual([DEMO_SENDER]);
  }, 120_000);
});
