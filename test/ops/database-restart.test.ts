/**
 * PostgreSQL goes away under load and comes back: restarted fast (every session told
 * "terminating connection due to administrator command") and immediate (sessions dropped
 * without a word, as a crash or a failover does), and worker sessions terminated in the middle
 * of a message's transaction (what a DBA's pg_terminate_backend or idle_in_transaction_session_timeout
 * does). The daemon runs as an operator scales it out: an ingress process, a console process
 * and two worker processes on a PostgreSQL server of this test's own and a redis-server. No process exits; a
 * lost connection is a failed attempt of that job, retried; every accepted message is applied
 * once and answered once. While the server is down, /readyz says so, and it says ready once the
 * server is back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { DEMO_SEED, DEMO_SENDER, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { steadyLoad, steadySender } from '../pipeline/support/steady-sender.ts';
import { type SmtpSink, startSmtpSink } from '../replies/support/smtp-sink.ts';
import { freePort, type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { countOf } from '../support/row-count.ts';
import { eventually, getJson } from './support/ops-http.ts';
import { type RoleProcess, spawnRole } from './support/processes.ts';
import { bulkPlan, EXPECTED_OUTCOME } from './support/traffic.ts';

/** At most this many messages; the senders stop a little after the last fault. */
const MAX_MESSAGES = 2_000;
/** Each message's templates: 1 to 4, so a message's transaction is long enough to be cut in two. */
const templatesIn = (i: number) => (i % 4) + 1;

/** Seconds `work` took. */
async function timed(work: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await work();
  return (Date.now() - started) / 1000;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL restarted and sessions terminated under load (ingress + 2 worker processes)', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let sink: SmtpSink;
  let database: DatabaseHandle;
  let queue: SubmissionQueue;
  let dataDir: string;
  let smtpPort: number;
  const processes: RoleProcess[] = [];
  const workers: RoleProcess[] = [];

  beforeAll(async () => {
    // Commits must survive an immediate restart as they would in production: the test server's
    // synchronous_commit=off could lose a commit whose reply was already sent.
    postgres = await startPostgres({ settings: ['synchronous_commit=on'] });
    redis = await startRedis();
    sink = await startSmtpSink();
    database = await openDatabase({ kind: 'postgres', url: postgres.url });
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed invalid');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-db-restart-'));
    const shared = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      REPLY_SMTP_URL: sink.url,
      DATA_DIR: dataDir,
      WORKER_CONCURRENCY: '4',
      LOG_LEVEL: 'info',
    };
    queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    smtpPort = await freePort();
    processes.push(
      spawnRole({
        roles: ['ingress'],
        env: { ...shared, SMTP_PORT: String(smtpPort), CONSOLE_PORT: String(await freePort()) },
      }),
    );
    // The console holds connections of the same kind (sessions, the rejection queue): it must ride the faults out too.
    processes.push(
      spawnRole({ roles: ['console'], env: { ...shared, CONSOLE_PORT: String(await freePort()) } }),
    );
    for (let i = 0; i < 2; i++) {
      const worker = spawnRole({
        roles: ['worker'],
        env: { ...shared, CONSOLE_PORT: String(await freePort()) },
      });
      workers.push(worker);
      processes.push(worker);
    }
    await Promise.all(processes.map((p) => p.ready(60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await queue?.close();
    await database?.close();
    await sink?.close();
    await redis?.stop();
    postgres?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const alive = () => processes.map((p) => ({ roles: p.roles.join(','), exitCode: p.child.exitCode }));
  const expectAllAlive = () => {
    expect(alive()).toEqual(processes.map((p) => ({ roles: p.roles.join(','), exitCode: null })));
    for (const p of processes) expect(p.stderr()).not.toMatch(/Unhandled 'error' event|uncaught/i);
  };
  const doneCount = () => countOf(database, sql`select count(*) as n from submissions where state = 'done'`);

  /** Seconds from now until one more submission is done than was before (jobs flow again). */
  async function secondsUntilJobsFlow(): Promise<number> {
    const started = Date.now();
    let before: number | undefined;
    for (;;) {
      try {
        const now = await doneCount();
        if (before === undefined) before = now;
        else if (now > before) return (Date.now() - started) / 1000;
      } catch {
        // The test's own pool reconnects too.
      }
      if (Date.now() - started > 120_000) throw new Error('jobs did not flow again within 120 s');
      await sleep(50);
    }
  }

  it('no process exits; every accepted message is applied once and answered once', async () => {
    const before = {
      nets: await countOf(database, sql`select count(*) as n from nets`),
      pocs: await countOf(database, sql`select count(*) as n from pocs`),
      tickets: await countOf(database, sql`select count(*) as n from tickets`),
    };
    // More than will be sent: the senders keep the load up until every fault has been dealt, so
    // each lands in the middle of it however fast this machine is, and then stop.
    const plan = bulkPlan(MAX_MESSAGES, { run: 11, templatesIn });
    const acceptedIds = new Map<string, string>();
    // As a sender's MTA does: a 451 (the database is away), a 421 or a dropped connection is tried again.
    const sender = steadySender({
      port: smtpPort,
      envelope: { from: DEMO_SENDER, to: ['hostmaster@localhost'] },
      tryAgainOn: (code) => code === 451 || code === 421,
    });
    const load = steadyLoad(sender, plan.messages, {
      pauseMs: 200,
      onAccepted: (message, id) => acceptedIds.set(message.messageId, id),
    });

    const figures: Record<string, number> = {};
    const admin = async (text: string) => {
      const session = new pg.Client({ connectionString: postgres.url });
      session.on('error', () => {});
      await session.connect();
      try {
        return (await session.query<{ pid: number; state: string }>(text)).rows;
      } finally {
        await session.end().catch(() => {});
      }
    };

    await eventually(async () => expect(await doneCount()).toBeGreaterThanOrEqual(5), 120_000, 100);
    figures['fastRestart'] = await timed(() => postgres.restart('fast'));
    figures['fast'] = await secondsUntilJobsFlow();
    expectAllAlive();

    const doneAfterFast = await doneCount();
    await eventually(
      async () => expect(await doneCount()).toBeGreaterThanOrEqual(doneAfterFast + 10),
      120_000,
      100,
    );
    figures['immediateRestart'] = await timed(() => postgres.restart('immediate'));
    figures['immediate'] = await secondsUntilJobsFlow();
    expectAllAlive();

    // Sessions cut in the middle of a message's transaction (between two of its statements, where
    // the connection is checked out of the pool and waiting on the worker), several times over.
    // Also in the middle of a statement ('active'), the other way a session is cut.
    const terminated = { 'idle in transaction': 0, active: 0 };
    for (let round = 0; round < 400 && terminated['idle in transaction'] < 4; round++) {
      const cut = await admin(
        `select pid, state from pg_stat_activity where datname = current_database()
           and pid <> pg_backend_pid() and state in ('idle in transaction', 'active')`,
      );
      for (const { pid, state } of cut) {
        await admin(`select pg_terminate_backend(${pid})`);
        terminated[state as keyof typeof terminated]++;
      }
      await sleep(25);
    }
    expect(terminated['idle in transaction']).toBeGreaterThan(0);
    expectAllAlive();

    // A little more load after the last fault, then the senders stop.
    const sentBeforeLast = load.handedOut;
    await eventually(
      async () => expect(acceptedIds.size).toBeGreaterThanOrEqual(sentBeforeLast + 8),
      120_000,
    );
    await load.stop();
    sender.close();
    const sent = plan.messages.slice(0, load.handedOut);
    const MESSAGES = sent.length;
    expect(acceptedIds.size).toBe(MESSAGES);
    const templates = sent.reduce((sum, m) => sum + m.kinds.length, 0);
    const approved = sent.flatMap((m) => m.kinds).filter((k) => EXPECTED_OUTCOME[k] === 'approved').length;

    // Nothing stranded: every job finished, none left failed for good.
    await eventually(
      async () => {
        const counts = await queue.counts();
        expect({
          waiting: counts['waiting'],
          active: counts['active'],
          delayed: counts['delayed'],
          failed: counts['failed'],
        }).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
      },
      240_000,
      250,
    );
    const replies = () => sink.accepted.filter((m) => m.rcptTo.includes(DEMO_SENDER));
    await eventually(async () => expect(replies().length).toBeGreaterThanOrEqual(MESSAGES), 120_000, 200);
    // Give a would-be second reply time to show up before counting.
    await sleep(3_000);
    const answered = replies().map((m) => /^In-Reply-To: (.*)$/im.exec(m.raw)?.[1]?.trim());
    expect(answered.sort()).toEqual(sent.map((m) => m.messageId).sort());
    expectAllAlive();

    const db = database;
    expect(await countOf(db, sql`select count(*) as n from submissions`)).toBe(MESSAGES);
    expect(await doneCount()).toBe(MESSAGES);
    expect(await countOf(db, sql`select count(*) as n from submission_templates`)).toBe(templates);
    expect(
      await countOf(db, sql`select count(*) as n from submission_templates where outcome = 'approved'`),
    ).toBe(approved);
    expect((await countOf(db, sql`select count(*) as n from tickets`)) - before.tickets).toBe(templates);
    const kinds = sent.flatMap((m) => m.kinds);
    expect((await countOf(db, sql`select count(*) as n from nets`)) - before.nets).toBe(
      kinds.filter((k) => k === 'reassign-v6').length,
    );
    expect((await countOf(db, sql`select count(*) as n from pocs`)) - before.pocs).toBe(
      kinds.filter((k) => k === 'poc').length,
    );
    expect(
      await countOf(
        db,
        sql`select count(*) as n from (select 1 from audit_log where submission_id is not null
              group by ticket_number, action, object_type, object_handle having count(*) > 1) twice`,
      ),
    ).toBe(0);
    // Nobody had to be told "we gave up": the retries carried every message through.
    expect(
      await countOf(db, sql`select count(*) as n from rejections where reason_code = 'E_PROCESSING_FAILED'`),
    ).toBe(0);

    // The faults were met as failed attempts and retried, not as crashes: a job's attempt failed
    // and BullMQ ran it again, or a message's first run (no savepoints) was undone with its lost
    // connection and run again at once in a new transaction (which one a cut session meets is
    // the minute's: under load every cut may fall on a first run).
    const logs = workers.flatMap((w) => w.logs);
    const retried = logs.filter((l) => l['msg'] === 'job failed; it will be retried');
    const runAgain = logs.filter(
      (l) =>
        l['msg'] === 'undone without savepoints; running the message again with a savepoint per template',
    );
    expect(retried.length + runAgain.length).toBeGreaterThan(0);
    console.info(
      `database faults: a fast restart took ${figures['fastRestart']?.toFixed(1)} s and jobs flowed again ` +
        `${figures['fast']?.toFixed(1)} s after it; an immediate one ${figures['immediateRestart']?.toFixed(1)} s, ` +
        `jobs again ${figures['immediate']?.toFixed(1)} s after; ${terminated['idle in transaction']} sessions terminated idle in transaction and ` +
        `${terminated.active} during a statement; ${MESSAGES} messages; ` +
        `${retried.length} attempts failed and were retried, ${runAgain.length} first runs undone and run again; ${sender.triedAgain} SMTP tries refused 451 or 421 or cut off and made again`,
    );
  }, 600_000);

  it('/readyz says not ready while the database is unreachable and ready once it is back', async () => {
    for (const p of processes) expect((await getJson(p.opsPort, '/readyz')).status).toBe(200);
    postgres.pause();
    const stopped = Date.now();
    let downAfter = 0;
    try {
      for (const p of processes) {
        const answer = await eventually(
          async () => {
            const { status, json } = await getJson(p.opsPort, '/readyz');
            expect(status).toBe(503);
            return json as { checks: Record<string, { status: string }> };
          },
          30_000,
          100,
        );
        expect(answer.checks['database']?.status).toBe('down');
        expect(answer.checks['redis']?.status).toBe('up');
      }
      downAfter = (Date.now() - stopped) / 1000;
      expectAllAlive();
    } finally {
      postgres.resume();
    }
    const resumed = Date.now();
    for (const p of processes) {
      await eventually(
        async () => expect((await getJson(p.opsPort, '/readyz')).status).toBe(200),
        30_000,
        100,
      );
    }
    const upAfter = (Date.now() - resumed) / 1000;
    expectAllAlive();
    console.info(
      `readiness: not ready ${downAfter.toFixed(1)} s after the stop, ready ${upAfter.toFixed(1)} s after the start`,
    );
  }, 120_000);
  it('/readyz says not ready while the database hangs (answers nothing), within the probe deadline', async () => {
    for (const p of processes) expect((await getJson(p.opsPort, '/readyz')).status).toBe(200);
    postgres.freeze();
    const frozen = Date.now();
    let downAfter: number[] = [];
    try {
      // Each process asked at once: the time until each says so, not the sum of their deadlines.
      downAfter = await Promise.all(
        processes.map(async (p) => {
          const answer = await eventually(
            async () => {
              const { status, json } = await getJson(p.opsPort, '/readyz');
              expect(status).toBe(503);
              return json as { checks: Record<string, { status: string; error?: string }> };
            },
            30_000,
            100,
          );
          expect(answer.checks['database']?.status).toBe('down');
          expect(answer.checks['redis']?.status).toBe('up');
          return (Date.now() - frozen) / 1000;
        }),
      );
      expectAllAlive();
    } finally {
      postgres.thaw();
    }
    const thawed = Date.now();
    for (const p of processes) {
      await eventually(
        async () => expect((await getJson(p.opsPort, '/readyz')).status).toBe(200),
        30_000,
        100,
      );
    }
    const upAfter = (Date.now() - thawed) / 1000;
    expectAllAlive();
    console.info(
      `readiness (hung server): not ready ${downAfter.map((t) => t.toFixed(1)).join('/')} s after the freeze, ready ${upAfter.toFixed(1)} s after the thaw`,
    );
  }, 120_000);
});
