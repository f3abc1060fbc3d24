/**
 * The notices that warn a contact that something was taken from it (a POC's old address when the
 * POC is moved elsewhere, the org whose net an upstream takes back) cannot be muted by another
 * account (finding rev-trust F5): the per-recipient limit exists to protect the recipient from
 * us, and another account filling it with harmless notices must not hide the alarm of a stolen
 * key. Alarms count apart for each requesting account. Real SMTP in, the daemon's outbox, what
 * the relay took read from the sink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_SENDER, OTHER_API_KEY, OTHER_SENDER } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { fillForm, personPoc } from './support/forms.ts';
import { noticesFor, settledFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const LIMIT = 3;

describe('alarms other mail cannot mute (pglite, real SMTP)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: { REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: String(LIMIT) },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** An account's harmless notices to `victim`, up to and past its per-recipient limit. */
  async function fill(victim: string, key: string, from: string): Promise<void> {
    const templates = Array.from({ length: LIMIT + 1 }, (_, i) => personPoc(`Filler ${i}`, 'Role', victim));
    const { id, reply } = await submit(stack, templates, {
      subject: `new contacts ${key}`,
      from,
    });
    expect(reply.parsed.blocks.map((b) => b.status)).toEqual(templates.map(() => 'APPROVED'));
    await settledFor(stack.sink, stack.database.db, id);
    // The limit works for ordinary notices: the victim has had LIMIT this hour, the rest held.
    const noticesToVictim = stack.sink.accepted.filter(
      (m) => m.rcptTo.includes(victim) && /^Message-ID: <[^>]*\.notify\./m.test(m.raw),
    );
    expect(noticesToVictim).toHaveLength(LIMIT);
  }

  it("a stolen key moving the account's POC elsewhere still tells the old address, though another account filled its limit", async () => {
    await fill(DEMO_SENDER, OTHER_API_KEY, `Other NOC <${OTHER_SENDER}>`);
    const hijack = fillForm('ARIN-POC-5.1', {
      '00': DEMO_API_KEY,
      '01': 'M',
      '02': 'DEMO1-ARIN',
      '15': 'thief@evil.example',
    });
    // The thief's own From is listed for no account: the message itself is not answered.
    const id = await stack.send(
      mail({
        from: 'thief@evil.example',
        subject: 'update',
        body: hijack,
        messageId: `<hijack.${Date.now()}@evil.example>`,
      }),
    );
    const [notice] = await noticesFor(stack.sink, id);
    expect([...notice!.to].sort()).toEqual([DEMO_SENDER, 'thief@evil.example']);
    expect(notice!.text).toContain('thief@evil.example');
  });

  it('an upstream taking back a net still tells the holder, though ordinary notices filled its limit', async () => {
    const range = '198.51.100.64/28';
    const name = 'TAKEN-BACK';
    const delegated = await submit(stack, [
      fillForm('ARIN-REASSIGN-DETAILED-5.4', { '01': 'OTHERISP-1', '20': range, '21': name }),
    ]);
    expect(delegated.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    await settledFor(stack.sink, stack.database.db, delegated.id);
    // Ordinary notices fill the holder's limit (here Demo ISP's own: no account's mail counts
    // against the count an alarm is judged by, not even the upstream's).
    await fill(OTHER_SENDER, DEMO_API_KEY, `Demo NOC <${DEMO_SENDER}>`);
    const removed = await submit(stack, [
      fillForm('ARIN-NET-MOD-5.3', { '01': 'R', '02': range, '03': name }),
    ]);
    expect(removed.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const [notice] = await noticesFor(stack.sink, removed.id);
    expect(notice!.to).toEqual([OTHER_SENDER]);
    expect(notice!.subject).toContain('OTHERISP-1');
  });
});
