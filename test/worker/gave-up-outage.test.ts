/**
 * An outage longer than a job's retry schedule, on a PostgreSQL server of our own that is stopped
 * and started again: every try fails, and so does the give-up on the last try and on the
 * worker's 'failed' event (they need the database too). Once the database is back, the sweeper
 * finds the submission unhandled with its job failed and the worker gives it up: the message is
 * in the rejection queue as E_PROCESSING_FAILED and the sender is told, once.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import { storeSubmission, sweepOnce } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { GAVE_UP_CODE } from '../../src/worker/gave-up.ts';
import { startWorker } from '../../src/worker/index.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import { type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { parseReply } from '../support/reply-reader.ts';
import { mail } from '../support/stack.ts';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('an outage longer than the retry schedule (own PostgreSQL server, real Redis)', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let database: DatabaseHandle;
  let queue: SubmissionQueue;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    database = await openDatabase({ kind: 'postgres', url: postgres.url });
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    // Two tries 100 ms apart: the schedule is over long before the database is back.
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { attempts: 2, backoffMs: 100 });
  });
  afterAll(async () => {
    await queue?.close();
    await database?.close();
    await redis?.stop();
    postgres?.stop();
  });

  it('is given up once the database is back: rejection queue, one reply', async () => {
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(
        mail({
          subject: `SWIP ${DEMO_API_KEY}`,
          messageId: '<outage@demo-isp.example>',
          body: simpleReassignment({ range: '198.51.100.104/29', name: 'DEMO-OUTAGE' }),
        }),
      ),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    const id = stored.value.id;
    // The test server runs with synchronous_commit=off: make what was committed durable first.
    await database.db.execute(sql`CHECKPOINT`);

    const worker = startWorker({
      config: loadConfig({}),
      db: database.db,
      redis: { kind: 'url', url: redis.url },
      logger: silentLogger(),
      texts: loadReplyTexts(),
    });
    try {
      postgres.pause();
      try {
        expect((await queue.enqueue({ kind: 'process', submissionId: id })).ok).toBe(true);
        await until('the job failed for good', async () =>
          (await queue.jobOutcome(id)) === 'failed' ? true : undefined,
        );
      } finally {
        postgres.resume();
      }
      // Nothing could record it: the submission is still unhandled.
      const unhandled = await until('the database answers', async () => {
        const [row] = await database.db
          .select({ state: tables.submissions.state })
          .from(tables.submissions)
          .where(eq(tables.submissions.id, id));
        return row;
      });
      expect(['received', 'processing']).toContain(unhandled.state);

      expect((await sweepOnce({ db: database.db, queue, graceMs: 0 })).givenUp).toEqual([id]);
      const rejection = await until('the message is in the rejection queue', async () => {
        const [row] = await database.db
          .select()
          .from(tables.rejections)
          .where(eq(tables.rejections.submissionId, id));
        return row;
      });
      expect(rejection).toMatchObject({ reasonCode: GAVE_UP_CODE, templateIndex: null, state: 'open' });
      expect(rejection.reason).toContain('after 2 tries');
    } finally {
      await worker.close();
    }
    const replies = await database.db
      .select()
      .from(tables.outbox)
      .where(and(eq(tables.outbox.submissionId, id), eq(tables.outbox.kind, 'reply')));
    expect(replies).toHaveLength(1);
    const parsed = await parseReply(replies[0]!.raw);
    if (!parsed.ok) throw new Error('the reply does not parse');
    expect(parsed.value.refusal?.code).toBe(GAVE_UP_CODE);
    expect((await sweepOnce({ db: database.db, queue, graceMs: 0 })).givenUp).toEqual([]);
  }, 180_000);
});
