/**
 * What an operations team sees of a running daemon: Prometheus metrics on the console's port
 * (messages accepted and refused by reason, templates by form and outcome, queue depth, job
 * durations, replies sent and failed), /healthz and /readyz without signing in, and readiness
 * that names the dependency that is down. Real redis-server, PostgreSQL and SMTP throughout.
 */
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Daemon, startDaemon } from '../../src/daemon.ts';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { createLogger, silentLogger } from '../../src/shared/logger.ts';
import { type SmtpSink, startSmtpSink } from '../replies/support/smtp-sink.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { stubResolver } from '../support/dkim.ts';
import { freePort } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { eventually, get, getJson, Metrics } from './support/ops-http.ts';
import { bulkPlan } from './support/traffic.ts';

async function seededDatabase(url: string): Promise<DatabaseHandle> {
  const handle = await openDatabase({ kind: 'postgres', url }, { migrate: false });
  const doc = validateSeed(DEMO_SEED);
  if (!doc.ok) throw new Error('demo seed invalid');
  const seeded = await seedRegistry(handle.db, doc.value);
  if (!seeded.ok) throw new Error(seeded.error.message);
  return handle;
}

describe('a daemon with every role, watched by Prometheus', () => {
  let redis: RedisServer;
  let sink: SmtpSink;
  let database: DatabaseHandle;
  let daemon: Daemon;
  /** The sink refuses a DATA when this says so (by its 1-based number). */
  let refuse: (attempt: number) => { code: number; message: string } | undefined = () => undefined;

  beforeAll(async () => {
    redis = await startRedis();
    sink = await startSmtpSink({ refuse: (n) => refuse(n) });
    database = await seededDatabase(await createPostgresDatabase());
    const config = loadConfig({
      SMTP_PORT: String(await freePort()),
      CONSOLE_PORT: String(await freePort()),
      WHOIS_PORT: String(await freePort()),
      RDAP_PORT: String(await freePort()),
      REDIS_URL: redis.url,
      REPLY_SMTP_URL: sink.url,
      DATA_DIR: '/nonexistent',
    });
    daemon = await startDaemon({
      config,
      // OPS_DEBUG=1 shows the daemon's log lines while a test is debugged.
      logger: process.env['OPS_DEBUG']
        ? createLogger({ level: 'debug', destination: process.stderr })
        : silentLogger(),
      database,
      resolver: stubResolver(),
      outboxPollMs: 100,
    });
  });
  afterAll(async () => {
    await daemon?.close();
    await database?.close();
    await sink?.close();
    await redis?.stop();
  });

  function client() {
    return nodemailer.createTransport({ host: '127.0.0.1', port: daemon.smtpPort!, ignoreTLS: true });
  }

  it('answers /healthz and /readyz on the console port without a sign-in, and keeps the console gated', async () => {
    expect(daemon.opsPort).toBe(daemon.consolePort);
    const health = await getJson(daemon.opsPort, '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', roles: ['ingress', 'worker', 'console', 'public'] });
    const ready = await getJson(daemon.opsPort, '/readyz');
    expect(ready).toEqual({
      status: 200,
      json: { status: 'ready', checks: { database: { status: 'up' }, redis: { status: 'up' } } },
    });
    const metrics = await get(daemon.opsPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toContain('text/plain');
    // The staff pages still want a session.
    const queuePage = await get(daemon.opsPort, '/');
    expect(queuePage.status).toBe(303);
  });

  it('counts a billing run: messages accepted and refused, templates by form and outcome, jobs, queue, replies', async () => {
    // 4 + 3 + 3 templates: 7 reassignments and 2 POCs approved, 1 reassignment in someone else's net refused.
    const plan = bulkPlan(3, { run: 1, templatesIn: (i) => (i === 0 ? 4 : 3) });
    const smtp = client();
    for (const message of plan.messages) {
      await smtp.sendMail({
        envelope: { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
        raw: message.raw,
      });
    }
    await expect(
      smtp.sendMail({
        envelope: { from: 'noc@demo-isp.example', to: ['postmaster@localhost'] },
        raw: plan.messages[0]!.raw,
      }),
    ).rejects.toThrow(/550/);
    smtp.close();
    await sink.waitFor(3, 20_000);

    // Three replies, and a notice to each new POC: wait until the outbox has sent them all. Three
    // mails in the sink may be two replies and a notice, the third message still being worked.
    const sent = await eventually(async () => {
      const rows = await database.db.select({ state: tables.outbox.state }).from(tables.outbox);
      expect(rows).toHaveLength(5);
      expect(rows.filter((r) => r.state !== 'sent')).toEqual([]);
      return rows.length;
    });
    expect(sent).toBe(5);
    const m = await Metrics.scrape(daemon.opsPort);
    expect(m.value('hostmasterd_replies_sent_total')).toBe(sent);
    expect(m.value('hostmasterd_messages_accepted_total', { duplicate: 'false' })).toBe(3);
    expect(
      m.value('hostmasterd_messages_refused_total', { reason: 'E_UNKNOWN_RECIPIENT', code: '550' }),
    ).toBe(1);
    expect(
      m.value('hostmasterd_templates_total', { form: 'ARIN-REASSIGN-SIMPLE-5.0', outcome: 'approved' }),
    ).toBe(7);
    expect(m.value('hostmasterd_templates_total', { form: 'ARIN-POC-5.0', outcome: 'approved' })).toBe(2);
    expect(
      m.value('hostmasterd_templates_total', { form: 'ARIN-REASSIGN-SIMPLE-5.0', outcome: 'rejected' }),
    ).toBe(1);
    expect(m.value('hostmasterd_job_duration_seconds_count', { result: 'ok' })).toBe(3);
    expect(m.value('hostmasterd_job_duration_seconds_bucket', { result: 'ok', le: '+Inf' })).toBe(3);
    expect(m.value('hostmasterd_queue_up')).toBe(1);
    expect(m.value('hostmasterd_queue_jobs', { state: 'completed' })).toBe(3);
    expect(m.value('hostmasterd_queue_jobs', { state: 'waiting' })).toBe(0);
    expect(m.value('hostmasterd_reply_send_failures_total')).toBe(0);
    // Process metrics come along (memory, CPU, event-loop lag).
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts reply deliveries that fail, telling a retry from giving up', async () => {
    const before = sink.attempts;
    refuse = (n) =>
      n === before + 1
        ? { code: 451, message: '4.3.0 relay busy' }
        : n === before + 2
          ? { code: 550, message: '5.1.1 no such user' }
          : undefined;
    const plan = bulkPlan(2, { run: 2, templatesIn: () => 1 });
    const smtp = client();
    for (const message of plan.messages) {
      await smtp.sendMail({
        envelope: { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
        raw: message.raw,
      });
    }
    smtp.close();
    const m = await eventually(async () => {
      const scraped = await Metrics.scrape(daemon.opsPort);
      expect(scraped.value('hostmasterd_reply_send_failures_total', { final: 'false' })).toBe(1);
      expect(scraped.value('hostmasterd_reply_send_failures_total', { final: 'true' })).toBe(1);
      return scraped;
    });
    // Neither was delivered: one waits for its retry, the other is left for staff.
    expect(m.value('hostmasterd_replies_sent_total')).toBe(5);
    refuse = () => undefined;
  });

  it('is alive but not ready while Redis is down, says so, and refuses mail with 451 meanwhile', async () => {
    await redis.pause();
    try {
      const ready = await eventually(async () => {
        const answer = await getJson(daemon.opsPort, '/readyz');
        expect(answer.status).toBe(503);
        return answer.json;
      });
      expect(ready).toMatchObject({
        status: 'not ready',
        checks: { database: { status: 'up' }, redis: { status: 'down', error: expect.any(String) } },
      });
      expect((await get(daemon.opsPort, '/healthz')).status).toBe(200);

      const smtp = client();
      await expect(
        smtp.sendMail({
          envelope: { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
          raw: bulkPlan(1, { run: 3 }).messages[0]!.raw,
        }),
      ).rejects.toThrow(/451/);
      smtp.close();

      const m = await Metrics.scrape(daemon.opsPort);
      expect(m.value('hostmasterd_queue_up')).toBe(0);
      expect(m.has('hostmasterd_queue_jobs')).toBe(false);
      expect(
        m.value('hostmasterd_messages_refused_total', { reason: 'E_QUEUE_UNAVAILABLE', code: '451' }),
      ).toBe(1);
    } finally {
      await redis.resume();
    }
    await eventually(async () => expect((await get(daemon.opsPort, '/readyz')).status).toBe(200));
  });
});

describe('a worker-only process', () => {
  let redis: RedisServer;
  let url: string;
  let database: DatabaseHandle;
  let daemon: Daemon;

  beforeAll(async () => {
    redis = await startRedis();
    url = await createPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url }, { migrate: false });
    const config = loadConfig(
      {
        CONSOLE_PORT: String(await freePort()),
        REDIS_URL: redis.url,
        REPLY_SMTP_URL: 'smtp://127.0.0.1:9',
        DATA_DIR: '/nonexistent',
      },
      { roles: ['worker'] },
    );
    daemon = await startDaemon({ config, logger: silentLogger(), database });
  });
  afterAll(async () => {
    await daemon?.close();
    await database?.close();
    await redis?.stop();
  });

  it('serves only the operations endpoints on the console port', async () => {
    expect(daemon.consolePort).toBeUndefined();
    expect(daemon.smtpPort).toBeUndefined();
    expect((await getJson(daemon.opsPort, '/healthz')).json).toMatchObject({
      status: 'ok',
      roles: ['worker'],
    });
    // Ready once its Redis connection is up, which may take a moment after start.
    await eventually(async () => expect((await get(daemon.opsPort, '/readyz')).status).toBe(200));
    const m = await Metrics.scrape(daemon.opsPort);
    expect(m.value('hostmasterd_queue_up')).toBe(1);
    expect((await get(daemon.opsPort, '/login')).status).toBe(404);
  });

  it('is not ready once its database is gone, and names it', async () => {
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    const ready = await eventually(async () => {
      const answer = await getJson(daemon.opsPort, '/readyz');
      expect(answer.status).toBe(503);
      return answer.json;
    });
    expect(ready).toMatchObject({
      status: 'not ready',
      checks: {
        database: { status: 'down', error: expect.stringMatching(/does not exist|terminat/) },
        redis: { status: 'up' },
      },
    });
    expect((await get(daemon.opsPort, '/healthz')).status).toBe(200);
  });
});
