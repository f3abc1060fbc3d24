/**
 * The catch-up sweep every ingress and worker process runs over what `submit` stored while no
 * daemon listened, with a backlog of thousands: the process serves while it runs (start does not
 * wait for it), a stop ends it after the batch in hand, and with Redis down the messages notified
 * meanwhile leave it to its backoff instead of each reading a batch again. Real PostgreSQL and
 * redis-server; no periodic sweep within a test's time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_ACCEPTED } from '../../src/commands/submit.ts';
import { loadConfig } from '../../src/config/index.ts';
import { type Daemon, startDaemon } from '../../src/daemon.ts';
import { type DatabaseHandle, openDatabase } from '../../src/db/index.ts';
import { type SubmissionKeeping, startSubmissionKeeping } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { createLogger, newSubmissionId } from '../../src/shared/index.ts';
import { eventually, get } from '../ops/support/ops-http.ts';
import { submissionId } from '../pipeline/support/processes.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { freePort } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { runSubmit, templateMail, testConfig } from './helpers.ts';

const BACKLOG = 3_000;

/** `count` stored submissions, oldest first, as `submit` leaves them with no daemon: no job. */
async function storeBacklog(url: string, count: number): Promise<string[]> {
  const now = Date.now();
  const ids = Array.from({ length: count }, (_, i) => newSubmissionId(now - count + i));
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(
      `insert into submissions (id, raw, raw_sha256, delivery_sha256, message_id, size_bytes,
         envelope_from, envelope_to, via, received_at)
       select id, 'x'::bytea, 'r', md5(id), '<' || id || '@backlog.example>', 1, '', '{}', 'stdin',
         now() - interval '1 hour' + n * interval '1 millisecond'
       from unnest($1::text[]) with ordinality as stored(id, n)`,
      [ids],
    );
  } finally {
    await admin.end();
  }
  return ids;
}

/** The daemon's log lines, parsed, and a wait for the first with a given message. */
function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text));
      for (const wake of waiters.splice(0)) wake();
      done();
    },
  });
  const find = (msg: string) => lines.filter((line) => line.msg === msg);
  return {
    logger: createLogger({ level: 'info', destination }),
    find,
    async first(msg: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [line] = find(msg);
        if (line) return line;
        if (Date.now() > deadline) throw new Error(`no log line '${msg}' within ${timeoutMs} ms`);
        await Promise.race([new Promise<void>((wake) => waiters.push(wake)), sleep(500)]);
      }
    },
  };
}

describe('the catch-up over a backlog, on PostgreSQL', () => {
  let redis: RedisServer;
  let queue: SubmissionQueue;
  const opened: DatabaseHandle[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { timeoutMs: 2_000 });
  });
  afterAll(async () => {
    await queue?.close();
    for (const database of opened) await database.close();
    await redis?.stop();
  });

  const open = async (url: string) => {
    const database = await openDatabase({ kind: 'postgres', url }, { migrate: false });
    opened.push(database);
    return database;
  };
  /** How many of these submissions have a job in Redis. */
  const withJobs = async (ids: readonly string[]) =>
    [...(await queue.jobOutcomes(ids)).values()].filter((outcome) => outcome !== 'missing').length;
  const keep = (database: DatabaseHandle, url: string, extra: { batchSize?: number } = {}) =>
    startSubmissionKeeping({
      db: database.db,
      queue,
      databaseUrl: url,
      listenerRetryMs: 100,
      graceMs: 600_000,
      sweepIntervalMs: 600_000,
      ...extra,
    });

  it('the daemon answers SMTP and /healthz before its start-up catch-up ends, which then gives each stored message one job', async () => {
    const url = await createPostgresDatabase();
    const ids = await storeBacklog(url, BACKLOG);
    const database = await open(url);
    const log = capturedLog();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-catch-up-'));
    // The catch-up's first read waits behind this lock for as long as the test holds it.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table submissions in access exclusive mode');
    const config = loadConfig(
      {
        DATABASE_URL: url,
        REDIS_URL: redis.url,
        DATA_DIR: dataDir,
        SMTP_PORT: String(await freePort()),
        CONSOLE_PORT: String(await freePort()),
      },
      { roles: ['ingress'] },
    );
    const starting = startDaemon({ config, logger: log.logger, database });
    let daemon: Daemon | undefined;
    try {
      daemon = await Promise.race([
        starting,
        sleep(30_000).then(() => {
          throw new Error('the daemon did not start within 30 s: its start waits for the catch-up');
        }),
      ]);
      expect((await get(daemon.opsPort, '/healthz')).status).toBe(200);
      const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: daemon.smtpPort!, ignoreTLS: true });
      try {
        expect(await smtp.verify()).toBe(true);
      } finally {
        smtp.close();
      }
      expect(log.find('catch-up sweep done')).toEqual([]);
      expect(await withJobs(ids)).toBe(0);

      await locker.query('rollback');
      const done = await log.first('catch-up sweep done');
      expect(done).toMatchObject({ checked: BACKLOG, requeued: BACKLOG, givenUp: 0 });
      expect(await withJobs(ids)).toBe(BACKLOG);
      // One job each: job id = submission id, and nothing else waits in this queue's database.
      expect(await queue.queue.getWaitingCount()).toBe(BACKLOG);
      // The log names how many and a few, not 3,000 ids.
      const requeued = log.find('sweeper re-queued submissions whose job was missing');
      expect(requeued.map((line) => line.count)).toEqual([BACKLOG]);
      expect(requeued[0]?.sample).toEqual(ids.slice(0, 5));
    } finally {
      await locker.query('rollback').catch(() => {});
      await locker.end();
      await (daemon ?? (await starting.catch(() => undefined)))?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a stop during the catch-up ends it after the batch in hand and runs none asked for meanwhile', async () => {
    await queue.queue.obliterate({ force: true });
    const url = await createPostgresDatabase();
    const ids = await storeBacklog(url, BACKLOG);
    const database = await open(url);
    let keeping: SubmissionKeeping | undefined = await keep(database, url, { batchSize: 100 });
    try {
      await eventually(
        async () => {
          if ((await withJobs(ids)) === 0) throw new Error('no job added yet');
        },
        60_000,
        20,
      );
      // A catch-up asked for meanwhile (the listener back, an add that failed) is dropped too.
      void keeping.sweeper.sweep('catch-up');
      await keeping.stop();
      keeping = undefined;
      const handled = await withJobs(ids);
      expect(handled).toBeGreaterThan(0);
      expect(handled).toBeLessThan(ids.length);
      await sleep(1_000);
      expect(await withJobs(ids)).toBe(handled);

      // The next process to start takes the rest, each once.
      keeping = await keep(database, url, { batchSize: 100 });
      await keeping.caughtUp;
      expect(await withJobs(ids)).toBe(ids.length);
      expect(await queue.queue.getWaitingCount()).toBe(ids.length);
    } finally {
      await keeping?.stop();
    }
  });

  it('a catch-up asked for while one runs is answered by it, not by a second reading of every batch', async () => {
    await queue.queue.obliterate({ force: true });
    const url = await createPostgresDatabase();
    const ids = await storeBacklog(url, BACKLOG);
    const database = await open(url);
    // The real queue, counting the batches the sweeps ask it about.
    let batches = 0;
    const counting: SubmissionQueue = Object.assign(Object.create(queue) as SubmissionQueue, {
      jobOutcomes: (jobIds: readonly string[]) => {
        batches += 1;
        return queue.jobOutcomes(jobIds);
      },
    });
    const keeping = await startSubmissionKeeping({
      db: database.db,
      queue: counting,
      databaseUrl: url,
      graceMs: 600_000,
      sweepIntervalMs: 600_000,
      batchSize: 100,
    });
    try {
      // As the listener back or an add that failed would, while the start-up catch-up runs.
      const asked = await keeping.sweeper.sweep('catch-up');
      await keeping.caughtUp;
      expect(asked.checked).toBe(BACKLOG);
      expect(await withJobs(ids)).toBe(BACKLOG);
      // 30 full batches and the empty last one, and one more read on from there if asked after it.
      expect(batches).toBeLessThanOrEqual(BACKLOG / 100 + 2);
    } finally {
      await keeping.stop();
    }
  });

  it('with Redis down, messages notified meanwhile leave the failed catch-up to its backoff', async () => {
    const url = await createPostgresDatabase();
    const database = await open(url);
    const log = capturedLog();
    const config = testConfig({ redisUrl: redis.url, database: { kind: 'postgres', url } });
    const keeping = await startSubmissionKeeping({
      db: database.db,
      queue,
      databaseUrl: url,
      logger: log.logger,
      listenerRetryMs: 100,
      graceMs: 600_000,
      sweepIntervalMs: 600_000,
    });
    const ids: string[] = [];
    try {
      await keeping.caughtUp;
      await redis.pause();
      try {
        for (let i = 0; i < 12; i++) {
          const run = await runSubmit(config, templateMail({ messageId: `<outage-${i}@isp.example>` }));
          expect(run.code).toBe(EXIT_ACCEPTED);
          ids.push(submissionId(run.stdout));
          await sleep(250);
        }
        await eventually(async () => {
          expect(log.find('submitted message not queued; the sweeper will')).toHaveLength(ids.length);
        }, 30_000);
        // Tried again 1 s, 2 s, 4 s... after the first failure: a few tries while the 12 messages
        // came (some 4 s), where each message sweeping at once was a try per message.
        expect(log.find('catch-up sweep failed; trying again').length).toBeLessThan(8);
      } finally {
        await redis.resume();
      }
      await eventually(async () => {
        expect(await withJobs(ids)).toBe(ids.length);
      }, 60_000);
    } finally {
      await keeping.stop();
    }
  });
});
