/**
 * The 60 days to answer are counted from the day a POC is asked, not from its round (rev-faults
 * F1): a paced round (VALIDATION_MAILS_PER_HOUR) or a relay outage can hold a POC's mail in the
 * outbox for days. A POC whose mail still waits is never made invalid for not answering it, and
 * a mail that goes out late promises (and gets) its full period.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { waitForValidationMails } from './support.ts';

const DAY = 24 * 60 * 60 * 1000;
const day = (d: Date) => d.toISOString().slice(0, 10);

describe('the answer period of a paced validation mail', () => {
  let stack: Stack;
  const handles = ['PERIODA1-ARIN', 'PERIODB1-ARIN'];

  beforeAll(async () => {
    // One mail an hour: the second POC's mail waits in the outbox.
    stack = await startStack({
      backend: 'pglite',
      env: { VALIDATION_MAILS_PER_HOUR: '1', VALIDATION_RUN_AT: 'off' },
    });
    await stack.database.db.insert(tables.pocs).values(
      handles.map((handle, n) => ({
        handle,
        kind: 'role' as const,
        lastName: `Period ${n}`,
        phones: [],
        emails: [`period-${n}@demo-isp.example`],
        // Created two years ago: due in a round 40 days ago.
        createdAt: new Date(Date.now() - 730 * DAY),
      })),
    );
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('starts when the mail goes out: an unsent mail expires nobody, a late one gets 60 days from its sending', async () => {
    const db = stack.database.db;
    const deps = { db, config: stack.config, logger: silentLogger(), metrics: stack.daemon.metrics.worker };
    // A round 40 days ago (its mails paced: the first goes now, the second waits its hour).
    const roundAsOf = new Date(Date.now() - 40 * DAY);
    await runValidationRound(deps, roundAsOf);
    const [first] = await waitForValidationMails(stack.sink, 1);
    const requests = await db
      .select()
      .from(tables.pocValidations)
      .where(inArray(tables.pocValidations.pocHandle, handles));
    const mailed = requests.find((r) => r.pocHandle === first!.handle)!;
    const waiting = requests.find((r) => r.pocHandle !== first!.handle)!;

    // The first went out today, 40 days after its round: it promises 60 days from today.
    expect(mailed.deadline.getTime()).toBeGreaterThanOrEqual(roundAsOf.getTime() + 100 * DAY - 60_000);
    expect(first!.text).toContain(`Please answer by ${day(mailed.deadline)}`);

    // 61 days on: the POC that was mailed and did not answer is invalid; the one whose mail
    // still waits in the outbox is not (it was never asked).
    const after = await runValidationRound(deps, new Date(Date.now() + 61 * DAY));
    expect(after.madeInvalid).toEqual([mailed.pocHandle]);
    const pocs = await db.select().from(tables.pocs).where(inArray(tables.pocs.handle, handles));
    expect(pocs.find((p) => p.handle === mailed.pocHandle)!.validationState).toBe('invalid');
    expect(pocs.find((p) => p.handle === waiting.pocHandle)!.validationState).not.toBe('invalid');
    const [stillPending] = await db
      .select()
      .from(tables.pocValidations)
      .where(eq(tables.pocValidations.id, waiting.id));
    expect(stillPending!.state).toBe('pending');

    // Its hour comes: the mail goes out now and promises 60 days from now, not the round's date.
    const sentFrom = new Date();
    await db
      .update(tables.outbox)
      .set({ nextAttemptAt: sql`now()` })
      .where(eq(tables.outbox.messageId, waiting.messageId));
    const mails = await waitForValidationMails(stack.sink, 2);
    const late = mails.find((m) => m.handle === waiting.pocHandle)!;
    const [moved] = await db
      .select()
      .from(tables.pocValidations)
      .where(eq(tables.pocValidations.id, waiting.id));
    expect(moved!.deadline.getTime()).toBeGreaterThanOrEqual(sentFrom.getTime() + 60 * DAY - 1000);
    expect(moved!.deadline.getTime()).toBeGreaterThan(waiting.deadline.getTime());
    expect(late.text).toContain(`Please answer by ${day(moved!.deadline)}`);
    expect(late.text).not.toContain(day(waiting.deadline));
  }, 240_000);
});
