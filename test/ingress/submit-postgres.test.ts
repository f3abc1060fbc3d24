import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_ACCEPTED, EXIT_TEMPFAIL } from '../../src/commands/submit.ts';
import type { Config } from '../../src/config/index.ts';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import { type SubmissionKeeping, startSubmissionKeeping, storeSubmission } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { SUBMISSION_LISTENER_NAME } from '../../src/shared/index.ts';
import { submissionId } from '../pipeline/support/processes.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { runSubmit, templateMail, testConfig } from './helpers.ts';

/** Polls until `check` holds (the machine is shared: generous). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What an ingress or worker process runs to keep submissions queued (startSubmissionKeeping), with
 * no periodic sweep within a test's time: a job that appears was added by the listener or by a
 * catch-up sweep (start-up, the listener back, an add that failed).
 */
const keep = (
  database: DatabaseHandle,
  queue: SubmissionQueue,
  url: string,
  options: { listenerRetryMs?: number; batchSize?: number } = {},
) =>
  startSubmissionKeeping({
    db: database.db,
    queue,
    databaseUrl: url,
    listenerRetryMs: options.listenerRetryMs ?? 100,
    graceMs: 600_000,
    sweepIntervalMs: 600_000,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
  });

const NO_DAEMON_NOTE =
  /no hostmasterd ingress or worker is running on this database: the first to start queues it/;

describe('submit on PostgreSQL, a daemon listening or not', () => {
  let redis: RedisServer;
  let databaseUrl: string;
  let database: DatabaseHandle;
  let queue: SubmissionQueue;
  let config: Config;
  let keeping: SubmissionKeeping | undefined;

  beforeAll(async () => {
    [redis, databaseUrl] = await Promise.all([startRedis(), createPostgresDatabase()]);
    database = await openDatabase({ kind: 'postgres', url: databaseUrl }, { migrate: false });
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { timeoutMs: 2_000 });
    config = testConfig({ redisUrl: redis.url, database: { kind: 'postgres', url: databaseUrl } });
    keeping = await keep(database, queue, databaseUrl);
  });
  afterAll(async () => {
    await keeping?.stop();
    await queue?.close();
    await database?.close();
    await redis?.stop();
  });

  const row = async (id: string) =>
    (await database.db.select().from(tables.submissions).where(eq(tables.submissions.id, id)))[0];

  it("commits storeSubmission's row and the listener queues its job; a second delivery gets the first id", async () => {
    const raw = templateMail({
      messageId: '<notified@isp.example>',
      subject: 'key API-1234-5678-9ABC-DEF0 here',
    });
    const run = await runSubmit(config, raw);
    expect(run).toMatchObject({ code: EXIT_ACCEPTED, stderr: '' });
    const id = submissionId(run.stdout);
    await eventually(() => queue.hasJob(id), 'the job');

    const again = await runSubmit(config, raw);
    expect(again.code).toBe(EXIT_ACCEPTED);
    expect(submissionId(again.stdout)).toBe(id);
    expect(again.stderr).toMatch(/already received earlier/);

    // The same message stored by the ingress's own insert: every column alike but id and time.
    const ours = await row(id);
    await database.db.delete(tables.submissions).where(eq(tables.submissions.id, id));
    const stored = await storeSubmission(
      database.db,
      {
        raw: Buffer.from(raw),
        envelope: { mailFrom: 'noc@isp.example', rcptTo: [config.hostmasterAddresses[0]!] },
        via: 'stdin',
      },
      { maxBytes: config.limits.maxMessageBytes },
    );
    if (!stored.ok) throw new Error(stored.error.message);
    const theirs = await row(stored.value.id);
    const { id: _a, receivedAt: _b, ...oursRest } = ours!;
    const { id: _c, receivedAt: _d, ...theirsRest } = theirs!;
    expect(oursRest).toEqual(theirsRest);
    expect(oursRest.subject).not.toContain('9ABC');
  });

  it('decides a second delivery as the ingress does: a dry run by envelope is apart, another client waits for an undecided first', async () => {
    const dryConfig = { ...config, dryRunAddresses: ['dryrun@rir.example'] };
    const raw = templateMail({ messageId: '<piped-twice@isp.example>' });
    const dry = submissionId(
      (await runSubmit(dryConfig, raw, ['noc@isp.example', 'dryrun@rir.example'])).stdout,
    );
    const real = submissionId((await runSubmit(dryConfig, raw, ['noc@isp.example'])).stdout);
    expect(real).not.toBe(dry);
    expect(submissionId((await runSubmit(dryConfig, raw, ['noc@isp.example'])).stdout)).toBe(real);

    // Stored first from an SMTP client and still undecided: the pipe's delivery comes again later.
    const other = templateMail({ messageId: '<piped-after-smtp@isp.example>' });
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(other),
      envelope: { mailFrom: 'noc@isp.example', rcptTo: [config.hostmasterAddresses[0]!] },
      via: 'smtp',
      remoteAddress: '192.0.2.25',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    const later = await runSubmit(config, other, ['noc@isp.example']);
    expect(later.code).toBe(EXIT_TEMPFAIL);
    expect(later.stderr).toMatch(/E_DELIVERY_UNDECIDED/);
    // Refused unverified and unanswered: the pipe's delivery is a submission of its own.
    await database.db
      .update(tables.submissions)
      .set({ state: 'done', refusalCode: 'E_SENDER_NOT_VERIFIED', answerTrust: 'none' })
      .where(eq(tables.submissions.id, stored.value.id));
    const own = submissionId((await runSubmit(config, other, ['noc@isp.example'])).stdout);
    expect(own).not.toBe(stored.value.id);
    expect(submissionId((await runSubmit(config, other, ['noc@isp.example'])).stdout)).toBe(own);
  });

  it('with Redis down the message is still durable (exit 0), and is queued within seconds of Redis coming back', async () => {
    await redis.pause();
    let id: string;
    try {
      const run = await runSubmit(config, templateMail({ messageId: '<redis-away@isp.example>' }));
      expect(run).toMatchObject({ code: EXIT_ACCEPTED, stderr: '' });
      id = submissionId(run.stdout);
      expect((await row(id))?.state).toBe('received');
      // The listener heard it and failed to add the job: its catch-up sweep is failing too, meanwhile.
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await redis.resume();
    }
    // No periodic sweep runs in this test: the catch-up sweep, tried again until it succeeds, adds it.
    await eventually(async () => {
      try {
        return await queue.hasJob(id);
      } catch {
        return false; // Redis still coming back
      }
    }, 'the job once Redis is back');
  });

  it('the listener connects again after its connection is killed', async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const listenerPids = async () =>
      (
        await admin.query<{ pid: number }>(
          'select pid from pg_stat_activity where application_name = $1 and datname = current_database()',
          [SUBMISSION_LISTENER_NAME],
        )
      ).rows.map((r) => r.pid);
    try {
      const before = await listenerPids();
      expect(before).toHaveLength(1);
      await admin.query('select pg_terminate_backend($1)', [before[0]]);
      // A new backend: the terminated one may still be listed for a moment.
      await eventually(async () => {
        const now = await listenerPids();
        return now.length === 1 && now[0] !== before[0];
      }, 'the listener back');
    } finally {
      await admin.end();
    }
    const run = await runSubmit(config, templateMail({ messageId: '<after-kill@isp.example>' }));
    expect(run).toMatchObject({ code: EXIT_ACCEPTED, stderr: '' });
    const id = submissionId(run.stdout);
    await eventually(() => queue.hasJob(id), 'the job after the reconnect');
  });

  it('a message committed while the listener was away is queued when it listens again', async () => {
    await keeping?.stop();
    // Slow to come back: the message below is committed in the gap, its notification heard by nobody.
    keeping = await keep(database, queue, databaseUrl, { listenerRetryMs: 3_000 });
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    let id: string;
    try {
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [SUBMISSION_LISTENER_NAME],
      );
      await eventually(
        async () =>
          (
            await admin.query('select 1 from pg_stat_activity where application_name = $1', [
              SUBMISSION_LISTENER_NAME,
            ])
          ).rowCount === 0,
        'the listener gone',
      );
      const run = await runSubmit(config, templateMail({ messageId: '<in-the-gap@isp.example>' }));
      expect(run.code).toBe(EXIT_ACCEPTED);
      expect(run.stderr).toMatch(NO_DAEMON_NOTE);
      id = submissionId(run.stdout);
      expect(await queue.hasJob(id)).toBe(false);
    } finally {
      await admin.end();
    }
    await eventually(() => queue.hasJob(id), 'the job after the listener is back');
  });

  it('with no daemon listening: exit 0, stored, a note that it waits; the first process to start queues it', async () => {
    await keeping?.stop();
    keeping = undefined;
    const run = await runSubmit(config, templateMail({ messageId: '<nobody-listens@isp.example>' }));
    expect(run.code).toBe(EXIT_ACCEPTED);
    expect(run.stderr).toMatch(NO_DAEMON_NOTE);
    const id = submissionId(run.stdout);
    expect((await row(id))?.state).toBe('received');
    expect(await queue.hasJob(id)).toBe(false);
    // A process starting (ingress or worker): its start-up sweep takes it, young as it is, in the
    // background (the process serves meanwhile).
    keeping = await keep(database, queue, databaseUrl);
    await keeping.caughtUp;
    expect(await queue.hasJob(id)).toBe(true);
  });

  it('two processes starting at once, each sweeping the same waiting messages batch after batch, add each job once', async () => {
    await keeping?.stop();
    keeping = undefined;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await runSubmit(config, templateMail({ messageId: `<two-sweepers-${i}@isp.example>` }));
      expect(run.code).toBe(EXIT_ACCEPTED);
      ids.push(submissionId(run.stdout));
    }
    const waitingBefore = await queue.queue.getWaitingCount();
    // Batches of 2: the pile of 5 is more than one, as 1,000 would be with the default batch.
    const [first, second] = await Promise.all([
      keep(database, queue, databaseUrl, { batchSize: 2 }),
      keep(database, queue, databaseUrl, { batchSize: 2 }),
    ]);
    try {
      await Promise.all([first.caughtUp, second.caughtUp]);
      for (const id of ids) expect(await queue.hasJob(id)).toBe(true);
      // One job per message, whichever sweeper added it (job id = submission id).
      expect((await queue.queue.getWaitingCount()) - waitingBefore).toBe(ids.length);
      // Both listen: a message submitted now is heard twice and still queued once.
      const run = await runSubmit(config, templateMail({ messageId: '<heard-twice@isp.example>' }));
      expect(run).toMatchObject({ code: EXIT_ACCEPTED, stderr: '' });
      await eventually(() => queue.hasJob(submissionId(run.stdout)), 'the job heard twice');
      await new Promise((r) => setTimeout(r, 500));
      expect((await queue.queue.getWaitingCount()) - waitingBefore).toBe(ids.length + 1);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
