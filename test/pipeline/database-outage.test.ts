/**
 * The registry database goes away under the whole pipeline: a PostgreSQL server of our own,
 * prepared the way an operator does it (`hostmasterd migrate`, `hostmasterd demo`), the ingress
 * here and the worker as its own process. While it is stopped, senders are told 451 and nothing
 * is half-done; once it is back, the retried message is accepted, applied and answered by the
 * same worker process.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { mail } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { netByName, replyFor } from './support/outcomes.ts';
import { processEnv, runCommand } from './support/processes.ts';
import { type SplitStack, startSplitStack } from './support/split-stack.ts';

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('database outage (own PostgreSQL server, worker in its own process)', () => {
  let postgres: PostgresServer;
  let stack: SplitStack;

  beforeAll(async () => {
    postgres = await startPostgres();
    const env = await processEnv({ DATABASE_URL: postgres.url, REDIS_URL: 'redis://127.0.0.1:1' });
    const migrated = await runCommand(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    const demo = await runCommand(['demo'], env);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toContain(`API key: ${DEMO_API_KEY}`);
    stack = await startSplitStack(postgres.url);
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    postgres?.stop();
  });

  it('answers 451 while PostgreSQL is stopped, then accepts, applies and answers the retry', async () => {
    const before = await stack.send(
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        messageId: '<db-before@demo-isp.example>',
        body: simpleReassignment({ range: '198.51.100.0/29', name: 'DEMO-DB-BEFORE' }),
      }),
    );
    expect(before.code).toBe(250);
    await replyFor(stack.sink, before.id!);

    // One message is already queued when the database goes: the worker's attempt fails, and the
    // job's retry (backoff) completes it once the database is back.
    await stack.ingress.queue.queue.pause();
    const queued = await stack.send(
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        messageId: '<db-queued@demo-isp.example>',
        body: simpleReassignment({ range: '198.51.100.16/29', name: 'DEMO-DB-QUEUED' }),
      }),
    );
    expect(queued.code).toBe(250);

    const raw = mail({
      subject: `SWIP ${DEMO_API_KEY}`,
      messageId: '<db-during@demo-isp.example>',
      body: simpleReassignment({ range: '198.51.100.8/29', name: 'DEMO-DB-RETRIED' }),
    });
    // The test server runs with synchronous_commit=off: make what was committed durable first.
    await stack.database.db.execute(sql`CHECKPOINT`);
    postgres.pause();
    try {
      const refused = await stack.send(raw);
      expect(refused.code).toBe(451);
      expect(refused.text).toMatch(/database/i);
      // Nothing half-done: the only job waiting is the one queued before the outage.
      const counts = await stack.ingress.queue.counts();
      expect((counts['waiting'] ?? 0) + (counts['paused'] ?? 0)).toBe(1);
      await stack.ingress.queue.queue.resume();
      await waitUntil('the worker tried the queued job and failed', async () => {
        const job = await stack.ingress.queue.queue.getJob(queued.id!);
        return (job?.attemptsMade ?? 0) >= 1;
      });
    } finally {
      postgres.resume();
    }

    let retried = await stack.send(raw);
    // Until the ingress's connections are back (a busy machine takes its time): as an MTA retries.
    for (const deadline = Date.now() + 60_000; retried.code !== 250 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      retried = await stack.send(raw);
    }
    expect(retried.code).toBe(250);
    const reply = await replyFor(stack.sink, retried.id!);
    expect(reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    expect(await netByName(stack.database.db, 'DEMO-DB-RETRIED')).toHaveLength(1);
    const late = await replyFor(stack.sink, queued.id!);
    expect(late.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    expect(await netByName(stack.database.db, 'DEMO-DB-QUEUED')).toHaveLength(1);
    const rows = await stack.database.db
      .select({ id: tables.submissions.id })
      .from(tables.submissions)
      .where(eq(tables.submissions.messageId, '<db-during@demo-isp.example>'));
    expect(rows).toEqual([{ id: retried.id }]);
  }, 180_000);
});
