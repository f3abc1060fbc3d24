/**
 * `hostmasterd submit` on PostgreSQL with no ingress: an MTA pipe beside worker processes only, as
 * real children on a PostgreSQL server and a redis-server of this test's own. submit stores the row
 * and NOTIFYs through pg alone; whichever worker (or ingress) process listens adds the job, and
 * one that starts later sweeps what was stored while no daemon ran. Every message is answered
 * exactly once: stored with no daemon at all, heard by a worker alone, heard by two processes,
 * submitted across a PostgreSQL restart, and while Redis is down.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { SUBMISSION_LISTENER_NAME } from '../../src/shared/index.ts';
import { eventually } from '../ops/support/ops-http.ts';
import { type RoleProcess, spawnRole } from '../ops/support/processes.ts';
import { type SmtpSink, startSmtpSink } from '../replies/support/smtp-sink.ts';
import { freePort, type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { caughtFor, quietFor, replyFor, templateRows } from './support/outcomes.ts';
import { runCommand, submissionId } from './support/processes.ts';

const FIXTURE = fs.readFileSync(
  new URL('../fixtures/mail/mta-pipe-reassign-simple.eml', import.meta.url),
  'utf8',
);
const NO_DAEMON_NOTE =
  /no hostmasterd ingress or worker is running on this database: the first to start queues it/;

/** The piped fixture as message n: its own Message-ID, network name and /29 of the demo ISP's /24. */
function pipedMessage(n: number): string {
  return FIXTURE.replace('SWIP-KEY', DEMO_API_KEY)
    .replace('<mta-pipe-0042@demo-isp.example>', `<worker-listens-${n}@demo-isp.example>`)
    .replace('DEMO-PIPED-1', `DEMO-LISTENED-${n}`)
    .replace('198.51.100.96/29', `198.51.100.${96 + 8 * n}/29`);
}

describe('submit on PostgreSQL with worker processes and no ingress', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let sink: SmtpSink;
  let database: DatabaseHandle;
  let dataDir: string;
  let shared: Record<string, string>;
  const processes: RoleProcess[] = [];

  const submit = (n: number) =>
    runCommand(['submit', 'noc@demo-isp.example', 'hostmaster@localhost'], shared, pipedMessage(n), 60_000);

  const start = async (roles: readonly string[], extra: Record<string, string> = {}) => {
    const role = spawnRole({ roles, env: { ...shared, ...extra, CONSOLE_PORT: String(await freePort()) } });
    processes.push(role);
    await role.ready(60_000);
    return role;
  };

  const listeners = async (): Promise<number> => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const result = await client.query('select 1 from pg_stat_activity where application_name = $1', [
        SUBMISSION_LISTENER_NAME,
      ]);
      return result.rowCount ?? 0;
    } finally {
      await client.end();
    }
  };

  /** Its one reply arrives, no second one follows, and its template was applied once. */
  const answeredOnce = async (id: string) => {
    const reply = await replyFor(sink, id);
    expect(reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    await quietFor(sink, id, 1_500);
    expect(caughtFor(sink, id).replies).toBe(1);
    expect(await templateRows(database.db, id)).toHaveLength(1);
  };

  /**
   * Whether a process's sweeper (not its listener) added this submission's job: its log line names
   * the first five it added, and here a sweep adds one or two.
   */
  const sweptBy = (role: RoleProcess, id: string) =>
    role.logs.some((line) => Array.isArray(line['sample']) && (line['sample'] as unknown[]).includes(id));

  beforeAll(async () => {
    // A commit answered must survive the restart below, as in production.
    postgres = await startPostgres({ settings: ['synchronous_commit=on'] });
    [redis, sink] = await Promise.all([startRedis(), startSmtpSink()]);
    database = await openDatabase({ kind: 'postgres', url: postgres.url });
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed invalid');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-worker-listens-'));
    shared = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? os.tmpdir(),
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      REPLY_SMTP_URL: sink.url,
      DATA_DIR: dataDir,
      HOSTMASTER_ADDRESSES: 'hostmaster@localhost',
      WORKER_CONCURRENCY: '2',
      LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.close();
    await sink?.close();
    await redis?.stop();
    postgres?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stored with no daemon running (exit 0, it says it waits), answered once by the first worker to start', async () => {
    const run = await submit(0);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(NO_DAEMON_NOTE);
    const id = submissionId(run.stdout);

    const worker = await start(['worker']);
    await answeredOnce(id);
    // Its start-up sweep queued it.
    expect(sweptBy(worker, id)).toBe(true);
  });

  it('heard by a worker alone: queued by its listener, answered once', async () => {
    await eventually(async () => expect(await listeners()).toBe(1), 30_000);
    const run = await submit(1);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const id = submissionId(run.stdout);
    await answeredOnce(id);
    expect(sweptBy(processes[0]!, id)).toBe(false);
  });

  it('heard by two processes (a worker and an ingress): answered once', async () => {
    await start(['ingress'], { SMTP_PORT: String(await freePort()) });
    await eventually(async () => expect(await listeners()).toBe(2), 30_000);
    for (const n of [2, 3, 4]) {
      const run = await submit(n);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      await answeredOnce(submissionId(run.stdout));
    }
  });

  it('across a PostgreSQL restart: the listeners listen again, and what came meanwhile is answered once', async () => {
    await postgres.restart('fast');
    const restarted = Date.now();
    // Submitted at once: the listeners may still be reconnecting (nobody hears the NOTIFY), and
    // their catch-up sweep when they listen again queues it.
    const during = await submit(5);
    expect(during.code, during.stderr).toBe(0);
    await replyFor(sink, submissionId(during.stdout));
    const answered = (Date.now() - restarted) / 1000;
    await eventually(async () => expect(await listeners()).toBe(2), 60_000);
    const after = await submit(6);
    expect({ code: after.code, stderr: after.stderr }).toEqual({ code: 0, stderr: '' });
    await answeredOnce(submissionId(during.stdout));
    await answeredOnce(submissionId(after.stdout));
    console.info(
      `submit across a fast PostgreSQL restart: answered ${answered.toFixed(1)} s after the server was back` +
        ` (heard: ${during.stderr === '' ? 'yes' : 'no, swept when the listeners came back'})`,
    );
  });

  it('with Redis down: exit 0 (submit never asks Redis), answered once Redis is back', async () => {
    await redis.pause();
    let id: string;
    try {
      const run = await submit(7);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      id = submissionId(run.stdout);
      // The listeners heard it and could not add the job; their catch-up sweeps fail meanwhile.
      await new Promise((r) => setTimeout(r, 2_000));
    } finally {
      await redis.resume();
    }
    const resumed = Date.now();
    await replyFor(sink, id);
    console.info(
      `submit while Redis was down: answered ${((Date.now() - resumed) / 1000).toFixed(1)} s after Redis was back`,
    );
    await answeredOnce(id);
  });
});
