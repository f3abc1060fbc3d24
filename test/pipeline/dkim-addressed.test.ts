/**
 * A DKIM signature is no bearer token. Demo ISP's NOC signs a message to a colleague holding a
 * template; the colleague (or anyone the mail reached) sends those very bytes to us. The
 * signature passes, but the To and Cc it signed name no address of ours: refused as a whole,
 * E_NOT_ADDRESSED_TO_US, nothing applied. The refusal reaches the one who sent it to us only when
 * its envelope passes SPF (the signature proves nothing about them); else nobody, and staff see it.
 * SMTP in, reply out, the registry read afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { caughtFor, netByName, rejectionsOf, replyFor, templateRows } from './support/outcomes.ts';

/** A relay whose SPF passes for the test's SMTP client (127.0.0.1). */
const THIRD_PARTY = { from: 'forwarder@relay.example', to: ['hostmaster@localhost'] };
const UNVERIFIED_THIRD_PARTY = { from: 'someone@elsewhere.example', to: ['hostmaster@localhost'] };

describe.each(BACKENDS)('a DKIM-signed message written to someone else, sent to us (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend,
      resolver: stubResolver({
        dkimDomains: ['demo-isp.example'],
        spf: { 'relay.example': 'v=spf1 ip4:127.0.0.1 -all' },
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Demo ISP's NOC, signed by its domain, addressed to `to`. */
  function signedTo(to: string, name: string, id: string): Promise<Buffer> {
    const raw = mail({
      subject: 'Please file this customer',
      messageId: `<${id}@demo-isp.example>`,
      body: simpleReassignment({ range: '198.51.100.64/29', name }),
    }).replace('To: hostmaster@localhost\r\n', `To: ${to}\r\n`);
    return dkimSignMessage(raw, 'demo-isp.example');
  }

  it('is refused E_NOT_ADDRESSED_TO_US and nothing is applied, even with our address put on top', async () => {
    const toColleague = await signedTo('Colleague <colleague@demo-isp.example>', 'DEMO-BEARER', 'bearer-1');
    const withOurTo = Buffer.concat([Buffer.from('To: hostmaster@localhost\r\n'), toColleague]);
    for (const raw of [toColleague, withOurTo]) {
      const id = await stack.send(raw, THIRD_PARTY);
      const reply = await replyFor(stack.sink, id);
      expect(reply.mail.rcptTo).toEqual(['forwarder@relay.example']);
      expect(reply.parsed.summary).toBe('hostmasterd refused your message: E_NOT_ADDRESSED_TO_US.');
      expect(reply.parsed.refusal?.code).toBe('E_NOT_ADDRESSED_TO_US');
      expect(reply.parsed.refusal?.message).toContain('name none of our hostmaster addresses');
      expect(reply.mail.raw).toContain('a signed message authorizes changes only when it was');
      expect(await templateRows(stack.database.db, id)).toEqual([]);
      const [rejection] = await rejectionsOf(stack.database.db, id);
      expect(rejection?.reasonCode).toBe('E_NOT_ADDRESSED_TO_US');
      expect(rejection?.reason).toContain('for staff: noc@demo-isp.example belongs to registry account');
    }
    expect(await netByName(stack.database.db, 'DEMO-BEARER')).toEqual([]);
  });

  it('sent on by someone who proves nothing: refused, nobody is mailed, staff see why', async () => {
    const id = await stack.send(
      await signedTo('Colleague <colleague@demo-isp.example>', 'DEMO-BEARER-2', 'bearer-2'),
      UNVERIFIED_THIRD_PARTY,
    );
    await stack.processed(id, 60_000);
    expect(caughtFor(stack.sink, id)).toEqual({ replies: 0, notices: 0 });
    const [rejection] = await rejectionsOf(stack.database.db, id);
    expect(rejection?.reasonCode).toBe('E_NOT_ADDRESSED_TO_US');
    expect(rejection?.reason).toMatch(/not answered/);
    expect(await netByName(stack.database.db, 'DEMO-BEARER-2')).toEqual([]);
  });

  it('the same message signed to us is applied', async () => {
    const id = await stack.send(
      await signedTo('hostmaster@localhost', 'DEMO-SIGNED', 'signed-1'),
      THIRD_PARTY,
    );
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.refusal).toBeUndefined();
    expect(reply.parsed.blocks.map((b) => [b.status, b.errors])).toEqual([['APPROVED', []]]);
    expect(await netByName(stack.database.db, 'DEMO-SIGNED')).toHaveLength(1);
  });
});
