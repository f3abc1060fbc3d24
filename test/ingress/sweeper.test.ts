/**
 * The sweeper repairs the one half-done state: a submission committed whose job never reached
 * Redis (Redis failed right after the commit). It re-queues it, once, and leaves handled ones be.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, queryRows, tables } from '../../src/db/index.ts';
import { startSweeper, storeSubmission, sweepOnce } from '../../src/ingress/index.ts';
import { SubmissionQueue, startSubmissionWorker } from '../../src/queue/index.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { templateMail } from './helpers.ts';

describe.each(BACKENDS)('sweeper on %s', (backend) => {
  let redis: RedisServer;
  let database: TestDatabase;
  let queue: SubmissionQueue;

  beforeAll(async () => {
    [redis, database] = await Promise.all([startRedis(), openTestDatabase(backend)]);
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { timeoutMs: 1_000 });
  });
  afterAll(async () => {
    await queue?.close();
    await database?.close();
    await redis?.stop();
  });

  const commitWithoutJob = async (messageId: string) => {
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(templateMail({ messageId })),
      envelope: { mailFrom: 'noc@isp.example', rcptTo: ['hostmaster@rir.example'] },
      via: 'smtp',
      remoteAddress: '192.0.2.25',
      heloName: 'mx.isp.example',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    return stored.value.id;
  };

  it('re-queues a committed submission whose job is missing, once', async () => {
    const orphan = await commitWithoutJob('<orphan@isp.example>');
    const handled = await commitWithoutJob('<handled@isp.example>');
    await database.db
      .update(tables.submissions)
      .set({ state: 'done' })
      .where(eq(tables.submissions.id, handled));
    const young = await commitWithoutJob('<young@isp.example>');

    const first = await sweepOnce({ db: database.db, queue, graceMs: 0 });
    expect(first.requeued).toContain(orphan);
    expect(first.requeued).toContain(young);
    expect(first.requeued).not.toContain(handled);
    expect(await queue.queue.getJob(orphan).then((j) => j?.data)).toEqual({
      kind: 'process',
      submissionId: orphan,
    });
    expect(await queue.hasJob(handled)).toBe(false);

    const second = await sweepOnce({ db: database.db, queue, graceMs: 0 });
    expect(second.requeued).toEqual([]);
  });

  it('leaves alone submissions younger than the grace period, and sweeps at start-up', async () => {
    const fresh = await commitWithoutJob(`<fresh-${backend}@isp.example>`);
    const graceful = await startSweeper({ db: database.db, queue, graceMs: 60_000, intervalMs: 60_000 });
    await graceful.stop();
    expect(await queue.hasJob(fresh)).toBe(false);

    const sweeper = await startSweeper({ db: database.db, queue, graceMs: 0, intervalMs: 60_000 });
    await sweeper.stop();
    expect(await queue.hasJob(fresh)).toBe(true);
  });

  it('a catch-up sweep reads batch after batch, each submission once, ties in time included; a periodic one its first batch', async () => {
    const pile: string[] = [];
    for (let i = 0; i < 11; i++) pile.push(await commitWithoutJob(`<pile-${i}-${backend}@isp.example>`));
    // Received in one microsecond, all of them, and the same millisecond as no other row.
    await database.db
      .update(tables.submissions)
      .set({ receivedAt: sql`'2020-01-01 00:00:00.123456+00'::timestamptz` })
      .where(inArray(tables.submissions.id, pile));
    const periodic = await sweepOnce({ db: database.db, queue, graceMs: 0, batchSize: 4 });
    expect(periodic.checked).toBe(4);
    const caughtUp = await sweepOnce(
      { db: database.db, queue, batchSize: 4 },
      { graceMs: 0, everyBatch: true },
    );
    const ofPile = (ids: readonly string[]) => ids.filter((id) => pile.includes(id));
    // The periodic batch took the 4 oldest (the pile, received in 2020); the catch-up the other 7, once each.
    expect([...ofPile(periodic.requeued), ...ofPile(caughtUp.requeued)].sort()).toEqual([...pile].sort());
    expect(new Set(caughtUp.requeued).size).toBe(caughtUp.requeued.length);
    for (const id of pile) expect(await queue.hasJob(id)).toBe(true);
  });

  /**
   * A session whose DateStyle and TimeZone write a time that reads back as another: 'IST' is
   * Israel's to PostgreSQL, so in Dublin the next batch began an hour back (the same rows for
   * ever) and in Kolkata 3.5 hours on (the rest skipped).
   */
  it.each([
    ['SQL, DMY', 'Europe/Dublin'],
    ['SQL, DMY', 'Asia/Kolkata'],
  ])(
    'a catch-up reads each submission once and ends with DateStyle %s, TimeZone %s',
    async (dateStyle, timeZone) => {
      const pile: string[] = [];
      for (let i = 0; i < 5; i++)
        pile.push(await commitWithoutJob(`<${timeZone}-${i}-${backend}@isp.example>`));
      await database.db
        .update(tables.submissions)
        .set({ state: 'done' })
        .where(sql`${tables.submissions.id} not in ${pile}`);
      // Summer (Irish Standard Time), a second apart, each with microseconds of its own.
      for (const [i, id] of pile.entries()) {
        await database.db
          .update(tables.submissions)
          .set({
            receivedAt: sql`'2026-07-01 12:00:00.000001+00'::timestamptz + ${i} * interval '1.000001 s'`,
          })
          .where(eq(tables.submissions.id, id));
      }
      // The sweep's own connection with the settings: PostgreSQL's from the database (new sessions
      // take them), PGlite's one session set here.
      let session: DatabaseHandle = database;
      if (database.target.kind === 'postgres') {
        const name = new URL(database.target.url).pathname.slice(1);
        await database.db.execute(sql.raw(`alter database ${name} set datestyle = '${dateStyle}'`));
        await database.db.execute(sql.raw(`alter database ${name} set timezone = '${timeZone}'`));
        session = await openDatabase(database.target, { migrate: false });
      } else {
        await database.db.execute(sql.raw(`set datestyle = '${dateStyle}'`));
        await database.db.execute(sql.raw(`set timezone = '${timeZone}'`));
      }
      const ending = new AbortController();
      try {
        const [style] = await queryRows<{ DateStyle: string }>(session.db, sql`show datestyle`);
        expect(style?.DateStyle).toBe(dateStyle);
        const swept = await Promise.race([
          sweepOnce(
            { db: session.db, queue, batchSize: 2 },
            { graceMs: 0, everyBatch: true, signal: ending.signal },
          ),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('the catch-up did not end within 20 s')), 20_000),
          ),
        ]);
        expect(swept.checked).toBe(5);
        expect([...swept.requeued].sort()).toEqual([...pile].sort());
        for (const id of pile) expect(await queue.hasJob(id)).toBe(true);
      } finally {
        ending.abort();
        if (database.target.kind === 'postgres') {
          await session.close();
          const name = new URL(database.target.url).pathname.slice(1);
          await database.db.execute(sql.raw(`alter database ${name} reset datestyle`));
          await database.db.execute(sql.raw(`alter database ${name} reset timezone`));
        } else {
          await database.db.execute(sql`reset datestyle`);
          await database.db.execute(sql`reset timezone`);
        }
      }
    },
  );

  it('re-queues a submission left in processing whose job vanished', async () => {
    const stuck = await commitWithoutJob('<stuck@isp.example>');
    await database.db
      .update(tables.submissions)
      .set({ state: 'processing' })
      .where(eq(tables.submissions.id, stuck));
    const result = await sweepOnce({ db: database.db, queue, graceMs: 0 });
    expect(result.requeued).toEqual([stuck]);
  });

  // Last: its worker completes every job waiting in this queue.
  it('runs again the job of a submission still unhandled after its job completed (a commit a crash undid), once', async () => {
    const lost = await commitWithoutJob(`<lost-${backend}@isp.example>`);
    const handled = await commitWithoutJob(`<completed-${backend}@isp.example>`);
    const reprocessed = await commitWithoutJob(`<reprocessed-${backend}@isp.example>`);
    expect(
      (
        await queue.enqueueAll([
          { kind: 'process', submissionId: lost },
          { kind: 'process', submissionId: handled },
          { kind: 'process', submissionId: reprocessed },
        ])
      ).ok,
    ).toBe(true);
    // A worker whose message transactions all commit and are then lost: the jobs complete, the rows stay.
    const worker = startSubmissionWorker({ kind: 'url', url: redis.url }, async () => {}, { concurrency: 4 });
    try {
      const deadline = Date.now() + 30_000;
      while (
        [...(await queue.jobOutcomes([lost, handled, reprocessed])).values()].some((o) => o !== 'completed')
      ) {
        if (Date.now() > deadline) throw new Error('the jobs did not complete within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await worker.close();
    }
    await database.db
      .update(tables.submissions)
      .set({ state: 'done' })
      .where(eq(tables.submissions.id, handled));
    // Processed, then set back to `received` by a staff reprocess, whose own job runs it.
    await database.db
      .update(tables.submissions)
      .set({ state: 'received', processedAt: new Date() })
      .where(eq(tables.submissions.id, reprocessed));

    const first = await sweepOnce({ db: database.db, queue, graceMs: 0 });
    expect(first.rerun).toContain(lost);
    expect(first.rerun).not.toContain(handled);
    expect(first.rerun).not.toContain(reprocessed);
    expect(first.requeued).not.toContain(lost);
    expect(await queue.jobOutcome(lost)).toBe('unfinished');
    expect(await queue.jobOutcome(handled)).toBe('completed');
    const second = await sweepOnce({ db: database.db, queue, graceMs: 0 });
    expect(second.rerun).not.toContain(lost);
  });
});
