/**
 * The same bytes delivered twice are one message only when nothing that decides the request
 * differs (README "Reliability"): a dry run by envelope and a real run are two requests, and a
 * copy refused because its SMTP client was not allowed by the sender's SPF does not stand for
 * the sender's own delivery. Both orders of both, over SMTP to the whole daemon, replies read
 * as a billing system reads them.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { type SmtpAnswer, sendOverSmtp, submissionIdOf } from '../ingress/helpers.ts';
import { BACKENDS } from '../support/databases.ts';
import { stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { newRolePoc } from './support/forms.ts';
import { caughtFor, quietFor, replyFor, settledFor } from './support/outcomes.ts';

const DRY_RUN_ADDRESS = 'dryrun@localhost';
const HOSTMASTER = 'hostmaster@localhost';
/** The demo ISP's SPF allows its own server (127.0.0.1) only; 127.0.0.2 is anyone else. */
const OWN_SERVER = '127.0.0.1';
const ELSEWHERE = '127.0.0.2';

describe.each(BACKENDS)('one message or two (%s)', (backend) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      backend,
      env: { DRY_RUN_ADDRESS },
      resolver: stubResolver({ spf: { 'demo-isp.example': `v=spf1 ip4:${OWN_SERVER} -all` } }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  let counter = 0;
  /** A new role POC, keyed or trusted by the sender's address; its own Message-ID. */
  function pocMail(name: string, options: { keyed: boolean }): string {
    counter++;
    return mail({
      body: newRolePoc(name, `twins${counter}@demo-isp.example`),
      subject: options.keyed ? `POC ${DEMO_API_KEY}` : 'POC',
      messageId: `<twins-${counter}-${Date.now()}@demo-isp.example>`,
    });
  }

  async function deliver(
    raw: string,
    options: { to?: string; from?: string; localAddress?: string } = {},
  ): Promise<SmtpAnswer> {
    return sendOverSmtp(
      stack.daemon.smtpPort!,
      raw,
      { from: options.from ?? 'noc@demo-isp.example', to: [options.to ?? HOSTMASTER] },
      options.localAddress,
    );
  }

  async function pocsNamed(name: string): Promise<number> {
    const rows = await stack.database.db
      .select({ handle: tables.pocs.handle })
      .from(tables.pocs)
      .where(eq(tables.pocs.lastName, name));
    return rows.length;
  }

  async function submission(id: string) {
    const [row] = await stack.database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    return row!;
  }

  it('a dry run by envelope, then the same bytes for real: the real run is processed and answered', async () => {
    const raw = pocMail('Twins Dry First', { keyed: true });
    const dry = submissionIdOf(await deliver(raw, { to: DRY_RUN_ADDRESS }));
    const dryReply = await replyFor(stack.sink, dry);
    expect(dryReply.parsed.dryRun).toBe(true);
    expect(dryReply.parsed.blocks[0]?.status).toBe('APPROVED');
    expect(await pocsNamed('Twins Dry First')).toBe(0);

    const real = submissionIdOf(await deliver(raw));
    expect(real).not.toBe(dry);
    const realReply = await replyFor(stack.sink, real);
    expect(realReply.parsed.dryRun).toBeFalsy();
    expect(realReply.parsed.blocks[0]?.status).toBe('APPROVED');
    expect(realReply.parsed.blocks[0]?.ticket).toBeDefined();
    expect(await pocsNamed('Twins Dry First')).toBe(1);

    // Each is still recognised when its MTA delivers it again: no third run, no second answer.
    expect(submissionIdOf(await deliver(raw))).toBe(real);
    expect(submissionIdOf(await deliver(raw, { to: DRY_RUN_ADDRESS }))).toBe(dry);
    await settledFor(stack.sink, stack.database.db, real);
    await quietFor(stack.sink, dry);
    expect(caughtFor(stack.sink, real).replies).toBe(1);
    expect(caughtFor(stack.sink, dry).replies).toBe(1);
    expect(await pocsNamed('Twins Dry First')).toBe(1);
  });

  it('a real run, then the same bytes as a dry run by envelope: the dry run is answered as one, nothing applied again', async () => {
    const raw = pocMail('Twins Real First', { keyed: true });
    const real = submissionIdOf(await deliver(raw));
    const realReply = await replyFor(stack.sink, real);
    expect(realReply.parsed.blocks[0]?.status).toBe('APPROVED');

    const dry = submissionIdOf(await deliver(raw, { to: DRY_RUN_ADDRESS }));
    expect(dry).not.toBe(real);
    const dryReply = await replyFor(stack.sink, dry);
    expect(dryReply.parsed.dryRun).toBe(true);
    expect(dryReply.parsed.blocks[0]?.ticket).toBeUndefined();
    await settledFor(stack.sink, stack.database.db, dry);
    expect(caughtFor(stack.sink, real).replies).toBe(1);
    expect(await pocsNamed('Twins Real First')).toBe(1);
  });

  it("a copy from a client the sender's SPF does not allow, then the sender's own delivery: the own one is processed and answered", async () => {
    const raw = pocMail('Twins Copy First', { keyed: false });
    const copy = submissionIdOf(await deliver(raw, { localAddress: ELSEWHERE }));
    await stack.processed(copy);
    const refused = await submission(copy);
    expect(refused.refusalCode).toBe('E_SENDER_NOT_VERIFIED');
    expect(refused.answerTrust).toBe('none');

    const own = submissionIdOf(await deliver(raw, { localAddress: OWN_SERVER }));
    expect(own).not.toBe(copy);
    const reply = await replyFor(stack.sink, own);
    expect(reply.parsed.blocks[0]?.status).toBe('APPROVED');
    expect(await pocsNamed('Twins Copy First')).toBe(1);

    // The own server's retry after a lost 250 is that delivery; the copy's sender's retry is the copy.
    expect(submissionIdOf(await deliver(raw, { localAddress: OWN_SERVER }))).toBe(own);
    expect(submissionIdOf(await deliver(raw, { localAddress: ELSEWHERE }))).toBe(own);
    await settledFor(stack.sink, stack.database.db, own);
    expect(caughtFor(stack.sink, own).replies).toBe(1);
    expect(caughtFor(stack.sink, copy).replies).toBe(0);
    expect(await pocsNamed('Twins Copy First')).toBe(1);
  });

  it("the sender's own delivery, then a copy from elsewhere: the copy is the same message, not applied or answered again", async () => {
    const raw = pocMail('Twins Own First', { keyed: false });
    const own = submissionIdOf(await deliver(raw, { localAddress: OWN_SERVER }));
    const reply = await replyFor(stack.sink, own);
    expect(reply.parsed.blocks[0]?.status).toBe('APPROVED');

    expect(submissionIdOf(await deliver(raw, { localAddress: ELSEWHERE }))).toBe(own);
    await settledFor(stack.sink, stack.database.db, own);
    await quietFor(stack.sink, own);
    expect(caughtFor(stack.sink, own).replies).toBe(1);
    expect(await pocsNamed('Twins Own First')).toBe(1);
  });
});
