/**
 * Authenticated mail is answered at its first Reply-To address, whatever shape RFC 5322 gives it:
 * a quoted local part with a blank, an escaped quote or an `@` in it, a name before it, a +tag.
 * The fixture (a Reassign-Simple from the demo account's address, its key in the Subject) is
 * mailed over SMTP under each Reply-To; the reply's envelope recipient (as the relay read it on
 * the wire: smtp-server, the stack's own sink, refuses a quoted local part with a blank) and To
 * are read back. A quoted no-reply box or mail system address is still seen by the loop rules:
 * nobody is answered.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { startWireSink, type WireSink } from '../replies/support/wire-sink.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { outboxSettled, rejectionsOf, replyFor } from './support/outcomes.ts';

let counter = 0;

/** The fixture under this Reply-To, with a Message-ID of its own and the demo key in the Subject. */
function withReplyTo(replyTo: string): string {
  counter++;
  return fs
    .readFileSync(new URL('../fixtures/mail/reply-to-quoted-local-part.eml', import.meta.url), 'utf8')
    .replace(/^Reply-To: .*$/m, `Reply-To: ${replyTo}`)
    .replace(/^Subject: .*$/m, `Subject: SWIP ${DEMO_API_KEY}`)
    .replace(/^Message-ID: .*$/m, `Message-ID: <reply-to-${counter}.${Date.now()}@demo-isp.example>`);
}

describe('whom a Reply-To of any shape reaches (pglite)', () => {
  let stack: Stack;
  let relay: WireSink;

  beforeAll(async () => {
    relay = await startWireSink();
    stack = await startStack({ backend: 'pglite', env: { REPLY_SMTP_URL: relay.url } });
  });
  afterAll(async () => {
    await stack?.close();
    await relay?.close();
  });

  const answered: [string, string][] = [
    ['"john doe"@demo-isp.example', '"john doe"@demo-isp.example'],
    ['John Doe <"john q. doe"@demo-isp.example>', '"john q. doe"@demo-isp.example'],
    ['"john\\"o\'doe"@demo-isp.example', '"john\\"o\'doe"@demo-isp.example'],
    ['"billing@desk"@demo-isp.example', '"billing@desk"@demo-isp.example'],
    ['"john.doe"@demo-isp.example', 'john.doe@demo-isp.example'],
    ['Billing <billing+swip@demo-isp.example>', 'billing+swip@demo-isp.example'],
  ];
  it.each(answered)('Reply-To: %s is answered at %s', async (replyTo, address) => {
    const id = await stack.send(withReplyTo(replyTo));
    const reply = await replyFor(relay, id);
    expect(reply.mail.rcptTo).toEqual([address]);
    expect(reply.parsed.headers?.to).toEqual([address]);
  });

  it.each([
    ['"no reply"@demo-isp.example', 'says it reads no replies'],
    ['"Mailer Daemon"@demo-isp.example', 'is a mail system address'],
  ])('Reply-To: %s is a box nobody reads: nobody is answered', async (replyTo, why) => {
    const id = await stack.send(withReplyTo(replyTo));
    await outboxSettled(stack.database.db, id);
    expect(relay.accepted.filter((m) => m.raw.includes(id))).toEqual([]);
    const rows = await rejectionsOf(stack.database.db, id);
    expect(rows.map((r) => r.reason).join('\n')).toContain(why);
  });
});
