/**
 * SENDER_AUTH=any: the operator takes a registered From address at its word. A message from such
 * an address that is refused as a whole before a requester is identified (no template; a
 * template only inside a winmail.dat attachment, which is not read) is answered at that address
 * as asked (Reply-To honoured), as its templates would have been; from an address no account
 * lists, with no DKIM or SPF to prove it, nobody is answered and staff read why. Such answers
 * count against the per-recipient limit (they answer no request of an account): a responder at a
 * registered address answering each refusal with a new message gets no endless refusals.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { outboxSettled, rejectionsOf, replyFor } from './support/outcomes.ts';

let counter = 0;

/** A fixture with a Message-ID of its own, its From and Reply-To as given. */
function fixture(name: string, headers: { from?: string; replyTo?: string } = {}): string {
  counter++;
  let raw = fs
    .readFileSync(new URL(`../fixtures/mail/${name}.eml`, import.meta.url), 'utf8')
    .replace(/^Message-ID: .*$/m, `Message-ID: <any-${counter}.${Date.now()}@demo-isp.example>`);
  if (headers.from) raw = raw.replace(/^From: .*$/m, `From: ${headers.from}`);
  if (headers.replyTo) raw = raw.replace(/^(From: .*)$/m, `$1\nReply-To: ${headers.replyTo}`);
  return raw;
}

describe('SENDER_AUTH=any: whole-message refusals (pglite, no DKIM or SPF anywhere)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite', env: { SENDER_AUTH: 'any' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("a message without a template from an account's address is answered there", async () => {
    const id = await stack.send(fixture('no-template-registered-from'));
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.status).toBe('REJECTED');
    expect(reply.parsed.refusal?.code).toBe('E_NO_TEMPLATE');
    expect(reply.mail.rcptTo).toEqual(['noc@demo-isp.example']);
    // Taken at its word: answered as an authenticated sender, its Subject kept.
    expect(reply.parsed.headers?.subject).toBe('Re: hello');
  });

  it('a template only inside winmail.dat, from the same address, is answered there', async () => {
    const id = await stack.send(fixture('template-in-winmail-dat'));
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.status).toBe('REJECTED');
    expect(reply.parsed.refusal).toBeDefined();
    expect(reply.mail.rcptTo).toEqual(['noc@demo-isp.example']);
  });

  it('its Reply-To is honoured, as for any authenticated sender', async () => {
    const id = await stack.send(
      fixture('no-template-registered-from', { replyTo: 'billing@demo-isp.example' }),
    );
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.refusal?.code).toBe('E_NO_TEMPLATE');
    expect(reply.mail.rcptTo).toEqual(['billing@demo-isp.example']);
  });

  it('from an address no account lists, unverified, nobody is answered', async () => {
    const id = await stack.send(
      fixture('no-template-registered-from', {
        from: 'Someone <someone@unlisted.example>',
        replyTo: 'victim@elsewhere.example',
      }),
      { from: 'someone@unlisted.example' },
    );
    await outboxSettled(stack.database.db, id);
    expect(stack.sink.accepted.filter((m) => m.raw.includes(id))).toEqual([]);
    const [row] = await rejectionsOf(stack.database.db, id);
    expect(row!.reasonCode).toBe('E_NO_TEMPLATE');
    expect(row!.reason).toContain('not answered: unverified sender');
  });
});

describe('SENDER_AUTH=any: refusals to an address taken at its word are counted (pglite, REPLY_LIMIT_PER_RECIPIENT_PER_HOUR=1)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: { SENDER_AUTH: 'any', REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: '1' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the second message without a template within the hour is not answered', async () => {
    const first = await stack.send(fixture('no-template-registered-from'));
    expect((await replyFor(stack.sink, first)).parsed.refusal?.code).toBe('E_NO_TEMPLATE');
    const second = await stack.send(fixture('no-template-registered-from'));
    await outboxSettled(stack.database.db, second);
    expect(stack.sink.accepted.filter((m) => m.raw.includes(second))).toEqual([]);
    const [row] = await rejectionsOf(stack.database.db, second);
    expect(row!.reason).toContain('not answered: reply limit');
  });
});
