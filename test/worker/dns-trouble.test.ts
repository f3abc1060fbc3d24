/**
 * DNS trouble during sender verification. A sender that cannot be checked is unverified: the
 * message is decided at once (not retried for DNS), kept for staff with the reason, and nobody
 * is answered, since nobody's address could be verified. DNS has its own budget and shares its
 * answers across messages, so name servers that never answer cost the worker once, not once
 * per message, and a keyed message never waits on them.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createWorkerContext, processSubmission } from '../../src/worker/index.ts';
import { failingResolver, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';

const POC_CHANGE =
  'Template: ARIN-POC-5.1\n01. Registration Action: R\n02. Existing POC Handle: DEMO1-ARIN\nEND OF TEMPLATE\n';

describe('a DNS outage during sender verification', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The daemon's own worker never sees these submissions: they are stored, not queued.
    stack = await startStack({ backend: 'pglite' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('decides on the first try: unverified, kept for staff, nobody answered', async () => {
    const ctx = createWorkerContext({
      config: stack.config,
      db: stack.database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
      resolver: failingResolver(),
    });
    const stored = await storeSubmission(stack.database.db, {
      raw: Buffer.from(mail({ body: POC_CHANGE })),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    const id = stored.value.id;

    await processSubmission(ctx, id);
    const [done] = await stack.database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    expect(done).toMatchObject({ state: 'done', refusalCode: 'E_SENDER_NOT_VERIFIED' });
    const [rejection] = await stack.database.db
      .select()
      .from(tables.rejections)
      .where(and(eq(tables.rejections.submissionId, id), isNull(tables.rejections.templateIndex)));
    expect(rejection?.reasonCode).toBe('E_SENDER_NOT_VERIFIED');
    expect(rejection?.reason).toMatch(/not answered: unverified sender/);
    const replies = await stack.database.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, id));
    expect(replies).toEqual([]);
  });
});

describe('name servers that never answer, 40 messages, then a keyed one (real SMTP)', () => {
  const BUDGET_MS = 1_000;
  // One dead domain for the first case; many (d1.dead.example, d2...) for the second.
  const resolver = stubResolver({ silent: ['slow-isp.example', 'dead.example'] });
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite', resolver, env: { DNS_BUDGET_MS: String(BUDGET_MS) } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const keyed = () => mail({ subject: `SWIP ${DEMO_API_KEY}`, body: POC_CHANGE });

  /** Sends one keyed message and waits for its reply; how long that took, ms. */
  async function answerTime(alreadyCaught: number): Promise<number> {
    const started = Date.now();
    await stack.send(keyed());
    await stack.replies(alreadyCaught + 1, 120_000);
    return Date.now() - started;
  }

  it('asks the dead domain once, answers none of the 40, and the keyed message waits on no DNS', async () => {
    const baseline = await answerTime(0);
    // A keyed message whose From is its account's address needs no DNS at all.
    expect(resolver.questions).toEqual([]);

    const slow: string[] = [];
    for (let i = 0; i < 40; i++) {
      slow.push(
        await stack.send(mail({ from: 'noc@slow-isp.example', body: POC_CHANGE }), {
          from: 'noc@slow-isp.example',
        }),
      );
    }
    const behind = await answerTime(1);
    for (const id of slow) await stack.processed(id, 120_000);

    // The dead domain's SPF record was asked about once for all 40 (one question in flight
    // shared, then the failure kept), not 40 times, nor 40 times per retry.
    const asked = resolver.questions.filter((q) => q.includes('slow-isp.example'));
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.length).toBeLessThanOrEqual(2);
    // None was retried: each was decided on its first run, kept for staff, answered to nobody.
    const rows = await stack.database.db.select().from(tables.rejections);
    const unanswered = rows.filter((r) => slow.includes(r.submissionId) && r.templateIndex === null);
    expect(unanswered).toHaveLength(40);
    for (const row of unanswered) expect(row.reason).toMatch(/not answered: unverified sender/);
    const counts = await stack.daemon.queue.counts();
    expect({ failed: counts['failed'] ?? 0, delayed: counts['delayed'] ?? 0 }).toEqual({
      failed: 0,
      delayed: 0,
    });
    expect(stack.sink.accepted).toHaveLength(2);

    // Before: 40 messages x 15 s of verification each over two worker slots, and retries.
    // Now the keyed message behind them waits at most about one budget more than alone.
    expect(behind).toBeLessThan(baseline * 4 + BUDGET_MS * 3);
  }, 300_000);

  it('40 different dead domains: their jobs are put off, not left holding every slot', async () => {
    const caught = stack.sink.accepted.length;
    const baseline = await answerTime(caught);
    const dead: string[] = [];
    for (let i = 0; i < 40; i++) {
      const from = `noc@d${i}.dead.example`;
      dead.push(await stack.send(mail({ from, body: POC_CHANGE }), { from }));
    }
    const behind = await answerTime(caught + 1);
    for (const id of dead) await stack.processed(id, 240_000);
    // Each domain was asked about (no cache can help), yet none of the 40 was answered or failed.
    const rows = await stack.database.db.select().from(tables.rejections);
    const unanswered = rows.filter((r) => dead.includes(r.submissionId) && r.templateIndex === null);
    expect(unanswered).toHaveLength(40);
    for (const row of unanswered) expect(row.reason).toMatch(/not answered: unverified sender/);
    const counts = await stack.daemon.queue.counts();
    expect(counts['failed'] ?? 0).toBe(0);
    expect(stack.sink.accepted).toHaveLength(caught + 2);
    // Before: every slot waited out the budget for message after message (40 x 1 s over 2
    // slots: the keyed message waited 15.8 s where it took 0.74 s alone). Now one slot is kept
    // for jobs that need no DNS, and the keyed message is answered about as fast as alone.
    expect(behind).toBeLessThan(baseline * 4 + BUDGET_MS * 3);
  }, 300_000);
});
