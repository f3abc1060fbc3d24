/**
 * Which addresses a validation answer makes an account's own (finding rev-trust F3). An account
 * creates POCs with five addresses each, its own plus four strangers'; the stranger bound
 * (STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR) holds the creation notices to most of them. The yearly
 * validation mail goes to all five. One address answers it: by mail from an address nobody
 * verified, on the web page, or by mail DKIM-signed at one of the strangers' domains. Then the
 * account changes each POC (POC M): its change notice may reach only the address that answered,
 * never the ones that did not. Real SMTP in, the daemon's worker, outbox and public page.
 */
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { fillForm } from '../pipeline/support/forms.ts';
import { submit } from '../pipeline/support/session.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { replyTo, type ValidationMailSeen, waitForValidationMails } from './support.ts';

const DAY = 24 * 60 * 60 * 1000;
const ATTACKER = 'attacker@evil.example';
/** The strangers of POC `n`: four addresses at a domain of their own. */
const strangersOf = (n: number) => [1, 2, 3, 4].map((i) => `v${i}@p${n}.victim.example`);

/** POC `n` of Demo ISP, as its NOC creates one, with the attacker's address and four strangers'. */
function fivePersonPoc(n: number): string {
  return fillForm('ARIN-POC-5.1', {
    '01': 'N',
    '03': 'P',
    '04': `Relay ${n}`,
    '05': 'Desk',
    '08': '1 Demo Plaza',
    '09': 'Herndon',
    '10': 'VA',
    '11': '20170',
    '12': 'US',
    '13': '+1-703-555-0100',
    '15': [ATTACKER, ...strangersOf(n)],
  });
}

describe('addresses a validation answer proves (pglite, real SMTP)', () => {
  let stack: Stack;
  const handles: string[] = [];
  let mails: ValidationMailSeen[] = [];

  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      resolver: stubResolver({ dkimDomains: ['p3.victim.example'] }),
      env: {
        STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR: '2',
        VALIDATION_MAILS_PER_HOUR: '3600000',
        VALIDATION_RUN_AT: 'off',
      },
    });
    for (const n of [1, 2, 3]) {
      const { reply } = await submit(stack, [fivePersonPoc(n)]);
      expect(reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
      handles.push(reply.parsed.blocks[0]!.handles[0]!);
    }
    await runValidationRound(
      {
        db: stack.database.db,
        config: stack.config,
        logger: silentLogger(),
        metrics: stack.daemon.metrics.worker,
      },
      new Date(Date.now() + 366 * DAY),
    );
    const demoPocs = await stack.database.db.select({ handle: tables.pocs.handle }).from(tables.pocs);
    mails = await waitForValidationMails(stack.sink, demoPocs.length);
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
  });

  const validationOf = (handle: string) => mails.find((m) => m.handle === handle)!;

  const pocState = async (handle: string) =>
    (await stack.database.db.select().from(tables.pocs).where(eq(tables.pocs.handle, handle)))[0]
      ?.validationState;

  /** The POC M's change notice: to whom it went, and whom the stranger bound held. */
  async function noticeOfChange(handle: string): Promise<{ sent: string[]; held: string[] }> {
    const m = fillForm('ARIN-POC-5.1', { '01': 'M', '02': handle, '18': 'Visit http://evil.example/ now' });
    const { id, reply } = await submit(stack, [m]);
    expect(reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    let rows: (typeof tables.outbox.$inferSelect)[] = [];
    await expect
      .poll(
        async () => {
          rows = await stack.database.db
            .select()
            .from(tables.outbox)
            .where(inArray(tables.outbox.submissionId, [id]));
          return rows.every((r) => r.state === 'sent' || r.state === 'failed');
        },
        { timeout: 60_000 },
      )
      .toBe(true);
    const notices = rows.filter((r) =>
      r.recipients.some((a) => a.endsWith('.victim.example') || a === ATTACKER),
    );
    const sent = notices.filter((r) => r.state === 'sent').flatMap((r) => r.recipients);
    const held = notices.filter((r) => r.state === 'failed').flatMap((r) => r.recipients);
    for (const r of notices.filter((row) => row.state === 'failed')) {
      expect(r.lastError).toMatch(/STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR/);
    }
    return { sent: sent.sort(), held: held.sort() };
  }

  it('an answer by mail from an address nobody verified proves none of the other recipients', async () => {
    const [handle] = handles;
    const seen = validationOf(handle!);
    expect(seen.mail.rcptTo.map((a) => a.toLowerCase()).sort()).toEqual([ATTACKER, ...strangersOf(1)].sort());
    const id = await stack.send(
      replyTo(seen, `CORRECT\n\nValidation-Token: ${seen.token}`, { from: ATTACKER, quote: false }),
    );
    await stack.processed(id, 60_000);
    expect(await pocState(handle!)).toBe('valid');
    const { sent, held } = await noticeOfChange(handle!);
    // The creation notice reached the attacker and v1 (the bound, 2): mailed this hour, so again.
    expect(sent).toEqual([ATTACKER, 'v1@p1.victim.example']);
    expect(held).toEqual(strangersOf(1).slice(1));
  }, 120_000);

  it('the web page, answered by nobody we can name, proves none of them', async () => {
    const handle = handles[1]!;
    const seen = validationOf(handle);
    const page = await fetch(`http://127.0.0.1:${stack.daemon.rdapPort}/validate/${seen.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(page.headers.get('x-hostmaster-status')).toBe('VALIDATED');
    expect(await pocState(handle)).toBe('valid');
    const { sent, held } = await noticeOfChange(handle);
    expect(sent).toEqual([ATTACKER]);
    expect(held).toEqual(strangersOf(2));
  }, 120_000);

  it('an answer DKIM-verified from one recipient proves that one, and only that one', async () => {
    const handle = handles[2]!;
    const seen = validationOf(handle);
    const answerer = 'v2@p3.victim.example';
    const raw = replyTo(seen, `CORRECT\n\nValidation-Token: ${seen.token}`, { from: answerer, quote: false });
    const id = await stack.send(await dkimSignMessage(raw, 'p3.victim.example'));
    await stack.processed(id, 60_000);
    expect(await pocState(handle)).toBe('valid');
    const [request] = await stack.database.db
      .select()
      .from(tables.pocValidations)
      .where(eq(tables.pocValidations.pocHandle, handle));
    expect(request).toMatchObject({ answeredBy: 'mail', answeredFrom: answerer });
    const { sent, held } = await noticeOfChange(handle);
    expect(sent).toEqual([ATTACKER, answerer]);
    expect(held).toEqual(strangersOf(3).filter((a) => a !== answerer));
  }, 120_000);
});
