/**
 * Backscatter: a forged sender must not make the registry mail a victim. Real SMTP in, the
 * daemon's own worker and outbox, replies caught by an SMTP sink and parsed. Unauthenticated
 * mail (no valid key whose account lists From, From not verified by DKIM or SPF) is answered
 * only at an address that passed SPF or DKIM alignment, never at Reply-To, with nothing of the
 * sender's text; else nobody, and staff see why. Every recipient but the requester's own proven
 * address gets at most REPLY_LIMIT_PER_RECIPIENT_PER_HOUR mails an hour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { caughtFor, rejectionsOf, replyFor } from './support/outcomes.ts';

const LIMIT = 3;
const POC_CHANGE =
  'Template: ARIN-POC-5.1\n01. Registration Action: R\n02. Existing POC Handle: DEMO1-ARIN\nEND OF TEMPLATE\n';
const ATTACKER_SUBJECT = 'Cheap pills at spam.example';

describe('whom a refusal reaches (postgres, real SMTP)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      resolver: stubResolver({
        dkimDomains: ['demo-isp.example'],
        // The SMTP client is 127.0.0.1: this domain's SPF passes for it.
        spf: { 'spf-isp.example': 'v=spf1 ip4:127.0.0.1 -all' },
      }),
      env: { REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: String(LIMIT) },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const mailsTo = (address: string) =>
    stack.sink.accepted.filter((m) => m.rcptTo.some((r) => r.toLowerCase() === address));

  it('forged senders naming a victim in From and Reply-To: nobody is mailed, staff see why', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      // Rotating envelope senders and From addresses, one victim in Reply-To.
      const raw = mail({
        from: `Victim ${i} <victim${i}@victim.example>`,
        subject: `${ATTACKER_SUBJECT} ${i}`,
        body: `Buy now!\n${POC_CHANGE}`,
        headers: { 'Reply-To': 'victim@victim.example' },
      });
      ids.push(await stack.send(raw, { from: `bot${i}@spam${i}.example` }));
    }
    for (const id of ids) await stack.processed(id, 60_000);
    for (const id of ids) {
      expect(caughtFor(stack.sink, id)).toEqual({ replies: 0, notices: 0 });
      const [rejection] = await rejectionsOf(stack.database.db, id);
      // None of these senders proved its address: refused alike, and kept for staff.
      expect(rejection?.reasonCode).toBe('E_SENDER_NOT_VERIFIED');
      expect(rejection?.reason).toMatch(/not answered: unverified sender/);
    }
    expect(mailsTo('victim@victim.example')).toEqual([]);
  });

  it('From verified by SPF but no account: answered at From alone, Reply-To ignored, nothing quoted', async () => {
    const raw = mail({
      from: 'Jane <jane@spf-isp.example>',
      subject: ATTACKER_SUBJECT,
      body: POC_CHANGE,
      messageId: '<buy-pills-now@spf-isp.example>',
      headers: { 'Reply-To': 'victim@victim.example' },
    });
    const id = await stack.send(raw, { from: 'jane@spf-isp.example' });
    const reply = await replyFor(stack.sink, id);
    expect(reply.mail.rcptTo).toEqual(['jane@spf-isp.example']);
    expect(reply.parsed.refusal?.code).toBe('E_UNKNOWN_SENDER');
    expect(reply.parsed.headers?.subject).toBe(`Re: your message ${id}`);
    expect(reply.mail.raw).not.toContain('Cheap pills');
    expect(reply.mail.raw).not.toContain('buy-pills-now');
    expect(mailsTo('victim@victim.example')).toEqual([]);
  });

  it('an SPF-passing envelope sender with a forged From: only the envelope sender is answered', async () => {
    const raw = mail({ from: 'CEO <ceo@victim.example>', subject: ATTACKER_SUBJECT, body: POC_CHANGE });
    const id = await stack.send(raw, { from: 'bounces@spf-isp.example' });
    const reply = await replyFor(stack.sink, id);
    expect(reply.mail.rcptTo).toEqual(['bounces@spf-isp.example']);
    // The From was not proved (SPF is not aligned with it): whether it has an account is not said.
    expect(reply.parsed.refusal?.code).toBe('E_SENDER_NOT_VERIFIED');
    expect(reply.mail.raw).not.toContain('Cheap pills');
    expect(mailsTo('ceo@victim.example')).toEqual([]);
  });

  it('a valid key from its account address: Reply-To and Subject honoured as before', async () => {
    const raw = mail({
      subject: `SWIP billing run ${DEMO_API_KEY}`,
      body: POC_CHANGE,
      headers: { 'Reply-To': 'Billing <billing@demo-isp.example>' },
    });
    const id = await stack.send(raw);
    const reply = await replyFor(stack.sink, id);
    expect(reply.mail.rcptTo).toEqual(['billing@demo-isp.example']);
    expect(reply.parsed.headers?.subject).toMatch(/^Re: SWIP billing run/);
    expect(reply.parsed.blocks).toHaveLength(1);
  });

  it('a valid key under a forged From: its templates are handled, the forged From is not mailed', async () => {
    const raw = mail({
      from: 'victim@victim.example',
      subject: `SWIP ${DEMO_API_KEY}`,
      body: simpleReassignment({ range: '198.51.100.200/29', name: 'FORGED-FROM' }),
    });
    const id = await stack.send(raw, { from: 'victim@victim.example' });
    await stack.processed(id, 60_000);
    expect(caughtFor(stack.sink, id)).toEqual({ replies: 0, notices: 0 });
    const whole = (await rejectionsOf(stack.database.db, id)).find((r) => r.templateIndex === null);
    expect(whole?.reasonCode).toBe('E_NOT_ANSWERED');
    expect(whole?.reason).toMatch(/unverified sender/);
  });

  it('a valid key with two From fields: neither is taken as proven, nobody is mailed', async () => {
    const raw = mail({
      subject: `SWIP ${DEMO_API_KEY}`,
      body: POC_CHANGE,
      headers: { From: 'victim@victim.example' },
    });
    const id = await stack.send(raw);
    await stack.processed(id, 60_000);
    expect(caughtFor(stack.sink, id)).toEqual({ replies: 0, notices: 0 });
    expect(mailsTo('victim@victim.example')).toEqual([]);
  });

  it('a key holder naming a third party (any +tag or case) in Reply-To: at most the limit an hour reach it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const raw = mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        body: POC_CHANGE,
        headers: { 'Reply-To': `Third+${i}@Victim.example` },
      });
      ids.push(await stack.send(raw));
    }
    for (const id of ids) await stack.processed(id, 60_000);
    const toThirdParty = () =>
      stack.sink.accepted.filter((m) => m.rcptTo.some((r) => /^third\+\d@victim\.example$/i.test(r)));
    // Processed is not sent: the outbox sends on its own turn. Wait for the mails allowed, then
    // give a would-be one more time to show up.
    for (let i = 0; i < 600 && toThirdParty().length < LIMIT; i++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(toThirdParty()).toHaveLength(LIMIT);
    const held = [];
    for (const id of ids) {
      const whole = (await rejectionsOf(stack.database.db, id)).find((r) => r.templateIndex === null);
      if (whole) held.push(whole);
    }
    expect(held).toHaveLength(2);
    for (const row of held)
      expect(row.reason).toMatch(/reply limit: third\+\d@victim\.example already got 3 mails/i);
  });

  it("the requester's own proven address is not limited: a billing system hears about every message", async () => {
    const ids: string[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      ids.push(await stack.send(mail({ subject: `SWIP ${DEMO_API_KEY}`, body: POC_CHANGE })));
    }
    for (const id of ids) await replyFor(stack.sink, id);
  });
});

describe('per-template replies held in part by the limit (postgres, real SMTP)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      env: { REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: '2', REPLY_STYLE: 'per-template' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('staff are told which templates went unanswered and why', async () => {
    // Three different templates: the same template three times is read once (one reply).
    const body = ['DEMO1-ARIN', 'DEMO2-ARIN', 'DEMO3-ARIN']
      .map((handle) => POC_CHANGE.replace('DEMO1-ARIN', handle))
      .join('\n');
    const raw = mail({
      subject: `SWIP ${DEMO_API_KEY}`,
      body,
      headers: { 'Reply-To': 'third@victim.example' },
    });
    const id = await stack.send(raw);
    await stack.processed(id, 60_000);
    const whole = (await rejectionsOf(stack.database.db, id)).find((r) => r.templateIndex === null);
    expect(whole?.reasonCode).toBe('E_NOT_ANSWERED');
    expect(whole?.reason).toBe(
      'the templates were handled but the replies for template 3 (of 3) were not sent: reply limit: third@victim.example already got 2 mails from us in the last hour (REPLY_LIMIT_PER_RECIPIENT_PER_HOUR is 2)',
    );
    // The two under the limit still went out.
    for (let i = 0; i < 600 && caughtFor(stack.sink, id).replies < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_000));
    expect(caughtFor(stack.sink, id).replies).toBe(2);
  });
});
