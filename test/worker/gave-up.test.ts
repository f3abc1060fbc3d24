/**
 * A job that fails every try (here: a table the worker needs is gone) must reach staff: its
 * submission goes to the rejection queue with the error and is marked failed, nothing of it
 * applied, and the sender hears so; once the cause is fixed, a staff reprocess runs it and the
 * sender gets the real answer.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { createStaffUser, signedStaffJob } from '../../src/console/index.ts';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import { storeSubmission, sweepOnce } from '../../src/ingress/index.ts';
import { SubmissionQueue, startSubmissionWorker } from '../../src/queue/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { GAVE_UP_CODE, recordGaveUp } from '../../src/worker/gave-up.ts';
import { createWorkerContext, runStaffJob, startWorker } from '../../src/worker/index.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import { netByName } from '../pipeline/support/outcomes.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { parseReply } from '../support/reply-reader.ts';
import { mail } from '../support/stack.ts';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a job that fails every try (postgres, real Redis)', () => {
  let redis: RedisServer;
  let database: DatabaseHandle;
  let queue: SubmissionQueue;

  beforeAll(async () => {
    redis = await startRedis();
    database = await openDatabase({ kind: 'postgres', url: await createPostgresDatabase() });
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { backoffMs: 50, attempts: 2 });
  });
  afterAll(async () => {
    await queue?.close();
    await database?.close();
    await redis?.stop();
  });

  /** The whole-message rejection of a submission, once the worker has put it in the queue. */
  const inRejectionQueue = (id: string) =>
    until('the message is in the rejection queue', async () => {
      const [row] = await database.db
        .select()
        .from(tables.rejections)
        .where(and(eq(tables.rejections.submissionId, id), isNull(tables.rejections.templateIndex)));
      return row;
    });

  const startTestWorker = (config: Config) =>
    startWorker({
      config,
      db: database.db,
      redis: { kind: 'url', url: redis.url },
      logger: silentLogger(),
      texts: loadReplyTexts(),
    });

  it('goes to the rejection queue, marked failed; the sender is told; a staff reprocess after the fix answers for real', async () => {
    const config = loadConfig({});
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(
        mail({
          subject: `SWIP ${DEMO_API_KEY}`,
          body: simpleReassignment({ range: '198.51.100.64/29', name: 'DEMO-GAVE-UP' }),
        }),
      ),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    const id = stored.value.id;

    // The cause: a table every run needs is gone (a botched manual change, say).
    await database.db.execute(sql`alter table submission_templates rename to submission_templates_away`);
    const worker = startTestWorker(config);
    try {
      expect((await queue.enqueue({ kind: 'process', submissionId: id })).ok).toBe(true);
      const rejection = await inRejectionQueue(id);
      expect(rejection).toMatchObject({
        reasonCode: GAVE_UP_CODE,
        state: 'open',
        sender: 'noc@demo-isp.example',
      });
      expect(rejection.reason).toContain('after 2 tries');
      expect(rejection.reason).toContain('submission_templates');
      const [submission] = await database.db
        .select()
        .from(tables.submissions)
        .where(eq(tables.submissions.id, id));
      // Whom it answers is recorded with the give-up: a staff answer from the console goes there too.
      expect(submission).toMatchObject({
        state: 'failed',
        refusalCode: GAVE_UP_CODE,
        answerTo: 'noc@demo-isp.example',
        answerTrust: 'authenticated',
        answerWithheld: null,
      });
      expect(submission?.raw.length).toBeGreaterThan(0);
      expect(await netByName(database.db, 'DEMO-GAVE-UP')).toHaveLength(0);
      // The sender is told at once: nothing applied, staff will process it; no internal detail.
      const [told] = await database.db
        .select()
        .from(tables.outbox)
        .where(and(eq(tables.outbox.submissionId, id), eq(tables.outbox.kind, 'reply')));
      expect(told?.recipients).toEqual(['noc@demo-isp.example']);
      const parsed = await parseReply(told!.raw);
      if (!parsed.ok) throw new Error('the reply does not parse');
      expect(parsed.value.refusal?.code).toBe(GAVE_UP_CODE);
      expect(parsed.value.refusal?.message).toMatch(/nothing in it was applied/);
      expect(parsed.value.refusal?.message).not.toContain('submission_templates');
    } finally {
      await worker.close();
      await database.db.execute(sql`alter table submission_templates_away rename to submission_templates`);
    }

    // Fixed: staff reprocess it from the console (the same job the console queues).
    const ctx = createWorkerContext({
      config,
      db: database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
    });
    const staff = await createStaffUser(database.db, 'alice@registry.example', 'a long staff passphrase', {
      oneTime: false,
    });
    if (!staff.ok) throw new Error(staff.error.message);
    const jobId = `reprocess.${id}.1`;
    const reprocess = {
      kind: 'reprocess',
      submissionId: id,
      templateIndexes: [],
      staff: 'alice@registry.example',
      note: 'table restored',
    } as const;
    await runStaffJob(ctx, await signedStaffJob(database.db, reprocess, jobId), jobId);
    expect(await netByName(database.db, 'DEMO-GAVE-UP')).toHaveLength(1);
    const [done] = await database.db.select().from(tables.submissions).where(eq(tables.submissions.id, id));
    expect(done).toMatchObject({ state: 'done', refusalCode: null });
    const [closed] = await database.db
      .select()
      .from(tables.rejections)
      .where(and(eq(tables.rejections.submissionId, id), isNull(tables.rejections.templateIndex)));
    expect(closed).toMatchObject({ state: 'reprocessed', closedBy: 'staff:alice@registry.example' });
    const replies = await database.db
      .select({ id: tables.outbox.id })
      .from(tables.outbox)
      .where(and(eq(tables.outbox.submissionId, id), eq(tables.outbox.kind, 'reply')));
    // The first said staff would process it; this one is the real answer, with its own Message-ID.
    expect(replies).toHaveLength(2);
  });

  it('is not retried when the database refuses its data: given up on the first try, the sender told at once', async () => {
    // Whatever values the database refuses (SQLSTATE class 22) it refuses on every try; a
    // trigger stands in for a value nobody foresaw.
    await database.db.execute(sql`create function refuse_net() returns trigger language plpgsql as $$
      begin raise exception 'this value cannot be stored: API-1111-2222-3333-4444' using errcode = '22P05'; end $$`);
    await database.db.execute(
      sql`create trigger refuse_net before insert on nets for each row execute function refuse_net()`,
    );
    const patient = new SubmissionQueue({ kind: 'url', url: redis.url }, { backoffMs: 60_000, attempts: 5 });
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(
        mail({
          subject: `SWIP ${DEMO_API_KEY}`,
          messageId: '<refused-data@demo-isp.example>',
          body: simpleReassignment({ range: '198.51.100.72/29', name: 'DEMO-REFUSED-DATA' }),
        }),
      ),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    const id = stored.value.id;
    const worker = startTestWorker(loadConfig({}));
    try {
      expect((await patient.enqueue({ kind: 'process', submissionId: id })).ok).toBe(true);
      // Five tries a minute apart would take minutes; it is in the rejection queue after one.
      const rejection = await inRejectionQueue(id);
      expect(rejection.reason).toContain('after 1 try');
      expect(rejection.reason).toContain('this value cannot be stored');
      const [told] = await database.db
        .select()
        .from(tables.outbox)
        .where(and(eq(tables.outbox.submissionId, id), eq(tables.outbox.kind, 'reply')));
      expect(told?.recipients).toEqual(['noc@demo-isp.example']);
      const job = await until('the job has failed for good', async () => {
        const found = await patient.queue.getJob(id);
        return found && (await found.getState()) === 'failed' ? found : undefined;
      });
      expect(job.attemptsMade).toBe(1);
      // What Redis keeps of the error (bull-board shows it to staff) has the key redacted.
      expect(job.failedReason).toContain('API-****-****-****-4444');
      expect(JSON.stringify([job.failedReason, job.stacktrace])).not.toContain('1111-2222');
      expect(await netByName(database.db, 'DEMO-REFUSED-DATA')).toHaveLength(0);
    } finally {
      await worker.close();
      await patient.close();
      await database.db.execute(sql`drop trigger refuse_net on nets`);
      await database.db.execute(sql`drop function refuse_net`);
    }
  });

  /** A stored submission, as the ingress leaves it. */
  const store = async (messageId: string, name: string, range: string) => {
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(
        mail({ subject: `SWIP ${DEMO_API_KEY}`, messageId, body: simpleReassignment({ range, name }) }),
      ),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    return stored.value.id;
  };

  /**
   * Its 'process' job failed for good with nothing recorded: what a worker killed as the job
   * failed, or a database down for the last try and the 'failed' event, leaves behind.
   */
  const failWithoutRecord = async (id: string) => {
    await database.db
      .update(tables.submissions)
      .set({ state: 'processing' })
      .where(eq(tables.submissions.id, id));
    const once = new SubmissionQueue({ kind: 'url', url: redis.url }, { attempts: 1 });
    const dying = startSubmissionWorker(
      { kind: 'url', url: redis.url },
      async () => {
        throw new Error('connection terminated unexpectedly');
      },
      { concurrency: 1 },
    );
    try {
      expect((await once.enqueue({ kind: 'process', submissionId: id })).ok).toBe(true);
      await until('the job failed', async () =>
        (await once.jobOutcome(id)) === 'failed' ? true : undefined,
      );
    } finally {
      await dying.close();
      await once.close();
    }
  };

  const repliesTo = (id: string) =>
    database.db
      .select({ id: tables.outbox.id })
      .from(tables.outbox)
      .where(and(eq(tables.outbox.submissionId, id), eq(tables.outbox.kind, 'reply')));

  it('a job failed with nothing recorded: the sweeper hands it on, the worker gives it up once, however many paths race', async () => {
    const id = await store('<failed-unrecorded@demo-isp.example>', 'DEMO-UNRECORDED', '198.51.100.80/29');
    await failWithoutRecord(id);

    // Two sweepers racing hand it on once; a sweep after that finds the give-up already queued.
    const sweeps = await Promise.all([
      sweepOnce({ db: database.db, queue, graceMs: 0 }),
      sweepOnce({ db: database.db, queue, graceMs: 0 }),
    ]);
    expect(sweeps.flatMap((s) => s.givenUp).filter((g) => g === id).length).toBeGreaterThanOrEqual(1);
    expect((await sweepOnce({ db: database.db, queue, graceMs: 0 })).givenUp).not.toContain(id);
    const giveUp = await queue.queue.getJob(`${id}.give-up`);
    expect(giveUp?.data).toMatchObject({ kind: 'give-up', submissionId: id, tries: 1 });

    // The worker runs the give-up while the failed job's own 'failed' path (late) runs too.
    const config = loadConfig({});
    const ctx = createWorkerContext({
      config,
      db: database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
    });
    const worker = startTestWorker(config);
    try {
      const late = await Promise.all([
        recordGaveUp(ctx, id, 1, new Error('connection terminated unexpectedly')),
        recordGaveUp(ctx, id, 1, new Error('connection terminated unexpectedly')),
      ]);
      const rejection = await inRejectionQueue(id);
      expect(rejection).toMatchObject({ reasonCode: GAVE_UP_CODE, state: 'open' });
      expect(rejection.reason).toContain('connection terminated unexpectedly');
      await until('the give-up job ran', async () =>
        (await queue.jobOutcome(`${id}.give-up`)) === 'completed' ? true : undefined,
      );
      expect(late.filter(Boolean).length).toBeLessThanOrEqual(1);
    } finally {
      await worker.close();
    }
    const rejections = await database.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.submissionId, id));
    expect(rejections).toHaveLength(1);
    expect(await repliesTo(id)).toHaveLength(1);
    const [submission] = await database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    expect(submission).toMatchObject({ state: 'failed', refusalCode: GAVE_UP_CODE });
    // Handled: later sweeps leave it alone.
    expect((await sweepOnce({ db: database.db, queue, graceMs: 0 })).givenUp).not.toContain(id);
  });

  it('a give-up that failed (the database still down) is run again by the next sweep', async () => {
    const id = await store('<give-up-retried@demo-isp.example>', 'DEMO-GIVE-UP-RETRIED', '198.51.100.88/29');
    await failWithoutRecord(id);
    expect((await sweepOnce({ db: database.db, queue, graceMs: 0 })).givenUp).toEqual([id]);
    // The give-up's one try fails, as with the database away.
    const broken = startSubmissionWorker(
      { kind: 'url', url: redis.url },
      async () => {
        throw new Error('the database is down');
      },
      { concurrency: 1 },
    );
    try {
      // This file's queue gives a job two tries, 50 ms apart.
      await until('the give-up failed', async () =>
        (await queue.jobOutcome(`${id}.give-up`)) === 'failed' ? true : undefined,
      );
    } finally {
      await broken.close();
    }
    // Two sweepers racing to run it again: one does, the other finds it no longer failed.
    const sweeps = await Promise.all([
      sweepOnce({ db: database.db, queue, graceMs: 0 }),
      sweepOnce({ db: database.db, queue, graceMs: 0 }),
    ]);
    expect(sweeps.flatMap((s) => s.givenUp)).toContain(id);
    const worker = startTestWorker(loadConfig({}));
    try {
      const rejection = await inRejectionQueue(id);
      expect(rejection.reasonCode).toBe(GAVE_UP_CODE);
    } finally {
      await worker.close();
    }
    expect(await repliesTo(id)).toHaveLength(1);
  });

  it('an old failure is not given up again while staff reprocess the message', async () => {
    const id = await store('<reprocessing@demo-isp.example>', 'DEMO-REPROCESSING', '198.51.100.96/29');
    await failWithoutRecord(id);
    const config = loadConfig({});
    const ctx = createWorkerContext({
      config,
      db: database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
    });
    expect(await recordGaveUp(ctx, id, 1, new Error('connection terminated unexpectedly'))).toBe(true);
    // Staff reprocess it: the staff job sets it `received` again and runs it; meanwhile the old
    // failed job is still in Redis.
    await database.db
      .update(tables.submissions)
      .set({ state: 'processing', refusalCode: null, refusalMessage: null })
      .where(eq(tables.submissions.id, id));
    expect((await sweepOnce({ db: database.db, queue, graceMs: 0 })).givenUp).toEqual([id]);
    expect(
      await recordGaveUp(ctx, id, 1, new Error('connection terminated unexpectedly'), {
        unlessRejected: true,
      }),
    ).toBe(false);
    const [submission] = await database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    expect(submission?.state).toBe('processing');
    expect(await repliesTo(id)).toHaveLength(1);
    await queue.queue.getJob(`${id}.give-up`).then((job) => job?.remove());
  });
});
