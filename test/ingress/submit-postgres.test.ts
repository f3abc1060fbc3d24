import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_ACCEPTED } from '../../src/commands/submit.ts';
import type { Config } from '../../src/config/index.ts';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import {
  type SubmissionListener,
  startSubmissionListener,
  storeSubmission,
  sweepOnce,
} from '../../src/ingress/index.ts';
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

describe('submit on PostgreSQL with an ingress listening', () => {
  let redis: RedisServer;
  let databaseUrl: string;
  let database: DatabaseHandle;
  let queue: SubmissionQueue;
  let config: Config;
  let listener: SubmissionListener | undefined;

  beforeAll(async () => {
    [redis, databaseUrl] = await Promise.all([startRedis(), createPostgresDatabase()]);
    database = await openDatabase({ kind: 'postgres', url: databaseUrl }, { migrate: false });
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { timeoutMs: 2_000 });
    config = testConfig({ redisUrl: redis.url, database: { kind: 'postgres', url: databaseUrl } });
    listener = await startSubmissionListener({ url: databaseUrl, queue, retryMs: 100 });
  });
  afterAll(async () => {
    await listener?.stop();
    await queue?.close();
    await database?.close();
    await redis?.stop();
  });

  const row = async (id: string) =>
    (await database.db.select().from(tables.submissions).where(eq(tables.submissions.id, id)))[0];

  it("commits storeSubmission's row and the ingress queues its job; a second delivery gets the first id", async () => {
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

  it('with Redis down the message is still durable (exit 0), and is queued once Redis is back', async () => {
    await redis.pause();
    let id: string;
    try {
      const run = await runSubmit(config, templateMail({ messageId: '<redis-away@isp.example>' }));
      expect(run.code).toBe(EXIT_ACCEPTED);
      id = submissionId(run.stdout);
      expect((await row(id))?.state).toBe('received');
    } finally {
      await redis.resume();
    }
    // The notification found Redis down; the sweeper adds what is missing once Redis answers again.
    await eventually(async () => {
      try {
        await sweepOnce({ db: database.db, queue, graceMs: 0 });
        return await queue.hasJob(id);
      } catch {
        return false; // Redis still coming back
      }
    }, 'the job once Redis is back');
  });

  it('the listener connects again after its connection is killed', async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [SUBMISSION_LISTENER_NAME],
      );
      await eventually(
        async () =>
          (
            await admin.query(
              'select 1 from pg_stat_activity where application_name = $1 and datname = current_database()',
              [SUBMISSION_LISTENER_NAME],
            )
          ).rowCount === 1,
        'the listener back',
      );
    } finally {
      await admin.end();
    }
    const run = await runSubmit(config, templateMail({ messageId: '<after-kill@isp.example>' }));
    expect(run.code).toBe(EXIT_ACCEPTED);
    const id = submissionId(run.stdout);
    await eventually(() => queue.hasJob(id), 'the job after the reconnect');
  });

  it('with no ingress listening, submit queues the job itself', async () => {
    await listener?.stop();
    listener = undefined;
    const run = await runSubmit(config, templateMail({ messageId: '<nobody-listens@isp.example>' }));
    expect(run).toMatchObject({ code: EXIT_ACCEPTED, stderr: '' });
    // Queued before submit answered: no listener was there to do it.
    expect(await queue.hasJob(submissionId(run.stdout))).toBe(true);
  });
});
