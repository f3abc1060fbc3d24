/**
 * Scale-out: three worker processes (`hostmasterd start --role worker`, real children) share one
 * PostgreSQL and one Redis behind one ingress. A billing system sends a burst of messages with
 * several templates each; every job is also queued a second time under another id while the
 * first is in flight (Redis delivery is at-least-once), and a few messages are delivered twice
 * over SMTP. Nothing is applied twice: one row, ticket and audit trail per template, one net or
 * POC per approved template, and exactly one reply per message.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Daemon, startDaemon } from '../../src/daemon.ts';
import { type DatabaseHandle, openDatabase } from '../../src/db/index.ts';
import { DEMO_SEED, DEMO_SENDER, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { type SmtpSink, startSmtpSink } from '../replies/support/smtp-sink.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { freePort } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { countOf } from '../support/row-count.ts';
import { eventually, Metrics } from './support/ops-http.ts';
import { type RoleProcess, spawnRole } from './support/processes.ts';
import { bulkPlan } from './support/traffic.ts';

const WORKERS = 3;
const MESSAGES = 40;

describe('three worker processes on one PostgreSQL and one Redis', () => {
  let redis: RedisServer;
  let sink: SmtpSink;
  let database: DatabaseHandle;
  let ingress: Daemon;
  let dataDir: string;
  const workers: RoleProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    sink = await startSmtpSink();
    const url = await createPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url }, { migrate: false });
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed invalid');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-roles-'));
    const shared = {
      DATABASE_URL: url,
      REDIS_URL: redis.url,
      REPLY_SMTP_URL: sink.url,
      DATA_DIR: dataDir,
      WORKER_CONCURRENCY: '4',
      LOG_LEVEL: 'info',
    };
    for (let i = 0; i < WORKERS; i++) {
      workers.push(
        spawnRole({ roles: ['worker'], env: { ...shared, CONSOLE_PORT: String(await freePort()) } }),
      );
    }
    ingress = await startDaemon({
      config: loadConfig(
        { ...shared, SMTP_PORT: String(await freePort()), CONSOLE_PORT: String(await freePort()) },
        { roles: ['ingress'] },
      ),
      logger: silentLogger(),
    });
    await Promise.all(workers.map((w) => w.ready()));
  });

  afterAll(async () => {
    await ingress?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await database?.close();
    await sink?.close();
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('apply every template exactly once and answer every message exactly once', async () => {
    const before = {
      nets: await countOf(database, sql`select count(*) as n from nets`),
      pocs: await countOf(database, sql`select count(*) as n from pocs`),
      tickets: await countOf(database, sql`select count(*) as n from tickets`),
    };
    const plan = bulkPlan(MESSAGES, { run: 7 });
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: ingress.smtpPort!,
      ignoreTLS: true,
      pool: true,
      maxConnections: 4,
    });
    const envelope = { from: DEMO_SENDER, to: ['hostmaster@localhost'] };
    const ids = await Promise.all(
      plan.messages.map(async (message) => {
        const info = await client.sendMail({ envelope, raw: message.raw });
        const id = /Accepted as (\S+)/.exec(info.response)?.[1];
        if (!id) throw new Error(`unexpected answer ${info.response}`);
        // The same submission queued again under another job id, racing the first on another worker.
        await ingress.queue.queue.add(
          'process',
          { kind: 'process', submissionId: id },
          // The loser of the race rolls back on the template's primary key and is retried, as in production.
          { jobId: `${id}.again`, attempts: 8, backoff: { type: 'exponential', delay: 300 } },
        );
        return id;
      }),
    );
    // A few messages delivered twice by the sender's MTA: recognised, not queued again.
    for (const message of plan.messages.slice(0, 5)) {
      const info = await client.sendMail({ envelope, raw: message.raw });
      expect(ids).toContain(/Accepted as (\S+)/.exec(info.response)?.[1]);
    }
    client.close();

    // Every job (the first and the racing second, retries included) finished.
    await eventually(
      async () => {
        const counts = await ingress.queue.counts();
        expect({ waiting: counts['waiting'], active: counts['active'], delayed: counts['delayed'] }).toEqual({
          waiting: 0,
          active: 0,
          delayed: 0,
        });
        expect(counts['completed']).toBe(2 * MESSAGES);
      },
      60_000,
      200,
    );
    const replies = () => sink.accepted.filter((m) => m.rcptTo.includes(DEMO_SENDER));
    await eventually(async () => expect(replies().length).toBeGreaterThanOrEqual(MESSAGES), 30_000);
    // Give a would-be second reply time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const answered = replies().map((m) => /^In-Reply-To: (.*)$/im.exec(m.raw)?.[1]?.trim());
    expect(answered.sort()).toEqual(plan.messages.map((m) => m.messageId).sort());

    const db = database;
    expect(await countOf(db, sql`select count(*) as n from submissions where state = 'done'`)).toBe(MESSAGES);
    expect(await countOf(db, sql`select count(*) as n from submission_templates`)).toBe(plan.templates);
    expect(
      await countOf(db, sql`select count(*) as n from submission_templates where outcome = 'approved'`),
    ).toBe(plan.approved);
    expect(
      await countOf(db, sql`select count(*) as n from submission_templates where outcome = 'rejected'`),
    ).toBe(plan.rejected);
    // One ticket per template, and no template with two.
    expect((await countOf(db, sql`select count(*) as n from tickets`)) - before.tickets).toBe(plan.templates);
    expect(
      await countOf(
        db,
        sql`select count(*) as n from (select 1 from tickets where submission_id is not null
              group by submission_id, template_index having count(*) > 1) twice`,
      ),
    ).toBe(0);
    // One net per approved reassignment (no range twice) and one POC per approved POC template.
    expect(
      await countOf(
        db,
        sql`select count(*) as n from (select 1 from nets group by start_address, end_address having count(*) > 1) twice`,
      ),
    ).toBe(0);
    // One net per approved reassignment and one POC per approved POC template.
    const kinds = plan.messages.flatMap((m) => m.kinds);
    expect((await countOf(db, sql`select count(*) as n from nets`)) - before.nets).toBe(
      kinds.filter((k) => k === 'reassign-v6').length,
    );
    expect((await countOf(db, sql`select count(*) as n from pocs`)) - before.pocs).toBe(
      kinds.filter((k) => k === 'poc').length,
    );
    // The audit trail records each change once, always under the ticket of a recorded template.
    expect(
      await countOf(
        db,
        sql`select count(*) as n from (select 1 from audit_log where submission_id is not null
              group by ticket_number, action, object_type, object_handle having count(*) > 1) twice`,
      ),
    ).toBe(0);
    expect(
      await countOf(
        db,
        sql`select count(*) as n from audit_log a where a.submission_id is not null and not exists
              (select 1 from submission_templates t where t.ticket_number = a.ticket_number)`,
      ),
    ).toBe(0);
    expect(
      await countOf(
        db,
        sql`select count(distinct ticket_number) as n from audit_log where submission_id is not null`,
      ),
    ).toBe(plan.approved);

    // The work was shared: each process's own metrics, summed, account for every job.
    const scraped = await Promise.all(workers.map((w) => Metrics.scrape(w.opsPort)));
    const jobsPerWorker = scraped.map((m) => m.value('hostmasterd_job_duration_seconds_count'));
    expect(jobsPerWorker.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(jobsPerWorker.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2 * MESSAGES);
    const templatesCounted = scraped.reduce((sum, m) => sum + m.value('hostmasterd_templates_total'), 0);
    expect(templatesCounted).toBeGreaterThanOrEqual(plan.templates);

    // Each message's line names its submission and, for each template, its index and ticket.
    const lines = workers.flatMap((w) => w.logs).filter((l) => l['msg'] === 'submission processed');
    const handled = lines.flatMap((l) => {
      expect(l).toMatchObject({ submissionId: expect.stringMatching(/^S/) });
      return l['handled'] as Array<Record<string, unknown>>;
    });
    expect(handled.length).toBeGreaterThanOrEqual(plan.templates);
    for (const template of handled) {
      expect(template).toMatchObject({
        template: expect.any(Number),
        ticket: expect.stringMatching(/^\d{8}-X\d{7}$/),
      });
    }
    const everything = JSON.stringify(workers.flatMap((w) => w.logs));
    expect(everything).not.toMatch(/API-DE70-0000-0000-0001/);
  }, 120_000);

  it('stop gracefully on SIGTERM (exit code 0), leaving no job half done', async () => {
    const codes = await Promise.all(workers.map((w) => w.stop()));
    expect(codes).toEqual(workers.map(() => 0));
    const counts = await ingress.queue.counts();
    expect(counts['active']).toBe(0);
    for (const w of workers) expect(w.logs.some((l) => l['msg'] === 'shutting down')).toBe(true);
  });
});
