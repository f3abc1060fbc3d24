/**
 * Whether the sender of an answer to our mail was among its recipients is judged by the address
 * the sender proved (SPF, DKIM), never by a From anyone can write: a stranger writing as the
 * ticket's owner is shown to staff as a stranger, and its acknowledgement goes to its own address.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { rejectionsOf, replyFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

describe('a forged From on a question about a ticket (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      resolver: stubResolver({
        dkimDomains: ['demo-isp.example'],
        spf: { 'evil.example': 'v=spf1 ip4:127.0.0.1 ip6:::1 -all' },
      }),
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('is linked as a stranger, and acknowledged only at the address it proved', async () => {
    const { reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.120/29', name: 'VICTIM-1' }),
    ]);
    const ticket = reply.parsed.blocks[0]!.ticket!;
    const raw = mail({
      from: 'Demo ISP NOC <noc@demo-isp.example>',
      subject: `Re: ticket ${ticket}`,
      body: 'I did NOT make this change. Please send me what was changed.\n',
    });
    const question = await stack.send(raw, { from: 'attacker@evil.example' });
    const acknowledgement = await replyFor(stack.sink, question);
    expect(acknowledgement.mail.rcptTo).toEqual(['attacker@evil.example']);
    const links = await stack.database.db
      .select()
      .from(tables.messageLinks)
      .where(eq(tables.messageLinks.submissionId, question));
    expect(links.length).toBeGreaterThan(0);
    expect(links.every((l) => !l.senderWasRecipient)).toBe(true);
    const [row] = await rejectionsOf(stack.database.db, question);
    expect(row?.reason).toContain('the sender was not among the recipients of our mail about it');
  });
});
