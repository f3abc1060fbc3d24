/**
 * Mail from an address nobody verified gets one answer whether the address has an account, none
 * or two: a spoofer trying addresses must not learn which are ours. Staff still see the
 * difference in the rejection queue. SMTP in (no key, no DKIM): the prober's own envelope sender
 * passes SPF, so the refusals reach it (an unverified sender alone hears nothing at all), and the
 * replies are compared.
 */
import { eq } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { stubResolver } from '../support/dkim.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { type Reply, rejectionsOf } from './support/outcomes.ts';
import { submit } from './support/session.ts';

/** Everything a sender reads in a reply, with what differs by nature (ids, the address) made equal. */
async function asSeen(reply: Reply, submissionId: string, localPart: string) {
  const mail = await simpleParser(reply.mail.raw);
  const same = (text: string) =>
    text
      .replaceAll(submissionId, 'S')
      .replaceAll(`${localPart}@`, 'someone@')
      .replace(/SWIP \d+/g, 'SWIP');
  return {
    summary: reply.parsed.summary,
    refusal: reply.parsed.refusal && { ...reply.parsed.refusal, message: same(reply.parsed.refusal.message) },
    status: mail.headers.get('x-hostmaster-status'),
    subject: same(mail.subject ?? ''),
    text: same(mail.text ?? ''),
  };
}

describe('who has an account is not told to someone who did not prove the address', () => {
  let stack: Stack;
  let messages = 0;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      // The SMTP client is 127.0.0.1: the prober's own domain passes SPF for it.
      resolver: stubResolver({ spf: { 'prober.example': 'v=spf1 ip4:127.0.0.1 -all' } }),
    });
    // An address on two accounts: the demo ISP's and the other ISP's.
    const accounts = await stack.database.db.select({ id: tables.accounts.id }).from(tables.accounts);
    await stack.database.db
      .insert(tables.accountEmails)
      .values(accounts.map((a) => ({ accountId: a.id, email: 'shared@demo-isp.example' })));
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function unverified(localPart: string) {
    const address = `${localPart}@demo-isp.example`;
    const { id, reply } = await submit(stack, [simpleReassignment({ range: '198.51.100.64/29' })], {
      subject: `SWIP ${++messages}`,
      from: `Someone <${address}>`,
      envelopeFrom: 'probe@prober.example',
    });
    expect(reply.mail.rcptTo).toEqual(['probe@prober.example']);
    return { id, reply, seen: await asSeen(reply, id, localPart) };
  }

  it('answers a registered, an unknown and a shared address alike, E_SENDER_NOT_VERIFIED', async () => {
    const registered = await unverified('noc');
    const unknown = await unverified('newcomer');
    const shared = await unverified('shared');
    expect(registered.seen.refusal?.code).toBe('E_SENDER_NOT_VERIFIED');
    expect(registered.seen.refusal?.message).not.toMatch(/account/i);
    expect(unknown.seen).toEqual(registered.seen);
    expect(shared.seen).toEqual(registered.seen);

    // Staff see which was which.
    const reasons = await Promise.all(
      [registered, unknown, shared].map(
        async ({ id }) => (await rejectionsOf(stack.database.db, id))[0]?.reason,
      ),
    );
    expect(reasons[0]).toMatch(/for staff: noc@demo-isp\.example belongs to registry account \d+\)$/);
    expect(reasons[1]).toMatch(/for staff: newcomer@demo-isp\.example belongs to no registry account\)$/);
    expect(reasons[2]).toMatch(
      /for staff: shared@demo-isp\.example belongs to registry accounts \d+, \d+\)$/,
    );
    // ...and the sender's own words, stored with the submission, stay what the sender was told.
    const [row] = await stack.database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, registered.id));
    expect(row?.refusalMessage).not.toContain('for staff');
  });
});
