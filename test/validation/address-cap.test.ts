/**
 * The validation round is no amplifier (finding rev-trust F1): an account that gives a stranger's
 * address to many POCs does not make the round mail that stranger once per POC. An address nobody
 * proved gets at most REPLY_LIMIT_PER_RECIPIENT_PER_HOUR validation mails a round; the POCs past
 * it are asked by a later day's round. An address an account registered gets one mail per POC it
 * serves, as before. Real SMTP in, the round as the daily job runs it, the mails read from the sink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SENDER } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { type RoundReport, runValidationRound } from '../../src/validation/index.ts';
import { personPoc } from '../pipeline/support/forms.ts';
import { submit } from '../pipeline/support/session.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { validationMails } from './support.ts';

const DAY = 24 * 60 * 60 * 1000;
const LIMIT = 3;
const VICTIM = 'victim@victim.example';

describe('validation mails an address gets in a round (pglite, real SMTP)', () => {
  let stack: Stack;
  const victimPocs: string[] = [];
  const ownPocs: string[] = [];
  const asOf = new Date(Date.now() + 366 * DAY);
  let first: RoundReport;

  const round = (day: Date) =>
    runValidationRound(
      {
        db: stack.database.db,
        config: stack.config,
        logger: silentLogger(),
        metrics: stack.daemon.metrics.worker,
      },
      day,
    );
  const validationMailsTo = async (address: string) =>
    (await validationMails(stack.sink)).filter((m) => m.mail.rcptTo.includes(address));

  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: {
        REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: String(LIMIT),
        VALIDATION_MAILS_PER_HOUR: '3600000',
        VALIDATION_RUN_AT: 'off',
      },
    });
    const prize = Array.from({ length: 5 }, (_, i) =>
      personPoc(`Claim your prize at http://evil.example/${i}`, 'Win', VICTIM, {
        '07': 'YOUR BANK ACCOUNT IS SUSPENDED',
      }),
    );
    const own = Array.from({ length: 5 }, (_, i) => personPoc(`Customer ${i}`, 'Desk', DEMO_SENDER));
    for (const [templates, into] of [
      [prize, victimPocs],
      [own, ownPocs],
    ] as const) {
      const { reply } = await submit(stack, templates);
      expect(reply.parsed.blocks.map((b) => b.status)).toEqual(templates.map(() => 'APPROVED'));
      into.push(...reply.parsed.blocks.map((b) => b.handles[0]!));
    }
    first = await round(asOf);
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('mails an address nobody proved at most the limit of its POCs, and defers the rest to a later round', async () => {
    expect(first.mailed.filter((h) => victimPocs.includes(h))).toHaveLength(LIMIT);
    expect([...(first.deferred ?? [])].sort()).toEqual(
      victimPocs.filter((h) => !first.mailed.includes(h)).sort(),
    );
    await expect.poll(async () => (await validationMailsTo(VICTIM)).length, { timeout: 60_000 }).toBe(LIMIT);
  });

  it("mails an account's registered address once for every POC it serves", async () => {
    for (const handle of [...ownPocs, 'DEMO1-ARIN']) expect(first.mailed).toContain(handle);
    await expect
      .poll(async () => (await validationMailsTo(DEMO_SENDER)).length, { timeout: 60_000 })
      .toBe(ownPocs.length + 1);
  });

  it("the next day's round asks the POCs deferred, within the limit again", async () => {
    const next = await round(new Date(asOf.getTime() + DAY));
    expect([...next.mailed].sort()).toEqual([...(first.deferred ?? [])].sort());
    expect(next.deferred ?? []).toEqual([]);
    await expect.poll(async () => (await validationMailsTo(VICTIM)).length, { timeout: 60_000 }).toBe(5);
  });
});
