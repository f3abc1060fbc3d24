/**
 * Things going wrong under load, with the worker as a real separate process on PostgreSQL:
 * kill -9 in the middle of a 10-template job, Redis stopped and started again. (The database
 * outage has its own server: see database-outage.test.ts.)
 */
import { count, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { watchLockWaits } from '../support/lock-waits.ts';
import { mail } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import { caughtFor, netByName, quietFor, rejectionsOf, replyFor, templateRows } from './support/outcomes.ts';
import { type SplitStack, startSplitStack } from './support/split-stack.ts';

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('crashes and outages (postgres, worker in its own process)', () => {
  let stack: SplitStack;

  beforeAll(async () => {
    const url = await createPostgresDatabase();
    stack = await startSplitStack(url);
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('kill -9 in the middle of a 10-template job: nothing half-done is kept; after restart every template is applied once, one reply', async () => {
    // Template 4 modifies DEMO1-ARIN. Holding that row makes the worker stop right there, inside
    // the message's transaction with templates 1-3 applied but not committed, so the kill lands
    // mid-job every time.
    const blocker = new pg.Client({ connectionString: stack.databaseUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query("SELECT 1 FROM pocs WHERE handle = 'DEMO1-ARIN' FOR NO KEY UPDATE");
    const locks = await watchLockWaits(stack.databaseUrl);
    const workerWaitsOnTheLock = async () => (await locks.waiting()) > 0;

    const templates = Array.from({ length: 10 }, (_, i) =>
      i === 3
        ? fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'DEMO1-ARIN', '13': '+1-555-0142' })
        : simpleReassignment({ range: `198.51.100.${i * 8}/29`, name: `DEMO-CRASH-${i + 1}` }),
    );
    const sent = await stack.send(
      mail({
        subject: `Batch SWIP (10) ${DEMO_API_KEY}`,
        messageId: '<crash-10@demo-isp.example>',
        body: templates.join('\n'),
      }),
    );
    expect(sent.code).toBe(250);
    const id = sent.id!;
    try {
      await waitUntil('the worker waits on the POC row in template 4', workerWaitsOnTheLock);
      // One transaction per message: nothing of templates 1-3 is visible while the message runs.
      expect(await templateRows(stack.database.db, id)).toHaveLength(0);
      await stack.worker!.kill9();
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await locks.end();
    }
    expect(caughtFor(stack.sink, id).replies).toBe(0);
    // The kill undid the whole message: no net, ticket or template row of it was kept.
    expect(await templateRows(stack.database.db, id)).toHaveLength(0);
    expect(await netByName(stack.database.db, 'DEMO-CRASH-1')).toHaveLength(0);

    await stack.startWorker();
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.summary).toBe('hostmasterd processed 10 templates: 10 APPROVED.');
    expect(reply.parsed.blocks.map((b) => b.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const rows = await templateRows(stack.database.db, id);
    expect(rows.map((r) => [r.templateIndex, r.outcome])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, 'approved']),
    );
    // Exactly once: one ticket per template, one net per reassignment, one audit row for the POC change.
    const [tickets] = await stack.database.db
      .select({ n: count() })
      .from(tables.tickets)
      .where(eq(tables.tickets.submissionId, id));
    expect(tickets!.n).toBe(10);
    expect(new Set(reply.parsed.blocks.map((b) => b.ticket)).size).toBe(10);
    for (const i of [1, 2, 3, 5, 6, 7, 8, 9, 10]) {
      expect(await netByName(stack.database.db, `DEMO-CRASH-${i}`)).toHaveLength(1);
    }
    // The POC's change, and (a POC template M that is applied validates its POC) its validation.
    const pocChanges = await stack.database.db
      .select({ action: tables.auditLog.action })
      .from(tables.auditLog)
      .where(sql`${tables.auditLog.submissionId} = ${id} and ${tables.auditLog.objectType} = 'poc'`);
    expect(pocChanges.map((c) => c.action).sort()).toEqual(['modify', 'poc.validated']);
    await quietFor(stack.sink, id, 1_500);
    expect(caughtFor(stack.sink, id).replies).toBe(1);
  });

  it('Redis stopped: the ingress answers 451; started again: queued work completes', async () => {
    // A message accepted while no worker runs waits in Redis through the outage (append-only file).
    await stack.worker!.stop();
    const queued = await stack.send(
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        messageId: '<before-outage@demo-isp.example>',
        body: simpleReassignment({ range: '198.51.100.128/29', name: 'DEMO-QUEUED' }),
      }),
    );
    expect(queued.code).toBe(250);

    const during = mail({
      subject: `SWIP ${DEMO_API_KEY}`,
      messageId: '<during-outage@demo-isp.example>',
      body: simpleReassignment({ range: '198.51.100.136/29', name: 'DEMO-RETRIED' }),
    });
    await stack.redis.pause();
    try {
      const refused = await stack.send(during);
      expect(refused.code).toBe(451);
      // Nothing half-done: no submission row for the refused message.
      const rows = await stack.database.db
        .select({ id: tables.submissions.id })
        .from(tables.submissions)
        .where(eq(tables.submissions.messageId, '<during-outage@demo-isp.example>'));
      expect(rows).toEqual([]);
    } finally {
      await stack.redis.resume();
    }

    await stack.startWorker();
    // The sender's MTA tries again.
    let retried = await stack.send(during);
    // Until the ingress's connections are back (a busy machine takes its time): as an MTA retries.
    for (const deadline = Date.now() + 60_000; retried.code !== 250 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      retried = await stack.send(during);
    }
    expect(retried.code).toBe(250);
    const first = await replyFor(stack.sink, queued.id!);
    const second = await replyFor(stack.sink, retried.id!);
    expect(first.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    expect(second.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    expect(await netByName(stack.database.db, 'DEMO-QUEUED')).toHaveLength(1);
    expect(await netByName(stack.database.db, 'DEMO-RETRIED')).toHaveLength(1);
  }, 180_000);

  it('a job whose worker is killed under it twice ends in the rejection queue as E_PROCESSING_FAILED, with one reply', async () => {
    // BullMQ takes a stalled job over once (WORKER_MAX_STALLED_COUNT=1, the default); at the
    // second stall it fails the job when a worker next takes it, without running it. That
    // failure is the one no try of ours sees: it used to leave the submission unfinished for good.
    const blocker = new pg.Client({ connectionString: stack.databaseUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query("SELECT 1 FROM pocs WHERE handle = 'DEMO1-ARIN' FOR NO KEY UPDATE");
    const locks = await watchLockWaits(stack.databaseUrl);
    let id: string;
    try {
      const sent = await stack.send(
        mail({
          subject: `SWIP ${DEMO_API_KEY}`,
          messageId: '<stalled-twice@demo-isp.example>',
          body: [
            simpleReassignment({ range: '198.51.100.160/29', name: 'DEMO-STALLED' }),
            fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'DEMO1-ARIN', '13': '+1-555-0143' }),
          ].join('\n'),
        }),
      );
      expect(sent.code).toBe(250);
      id = sent.id!;
      // A killed worker's session stays in the lock queue until the lock is granted (PostgreSQL
      // notices a vanished client only then), so each new worker adds one waiter.
      for (let kills = 1; kills <= 2; kills++) {
        if (kills === 2) await stack.startWorker();
        await waitUntil(
          `worker ${kills} waits on the POC row`,
          async () => (await locks.waiting()) >= kills,
          60_000,
        );
        await stack.worker!.kill9();
      }
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await locks.end();
    }

    await stack.startWorker();
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.refusal?.code).toBe('E_PROCESSING_FAILED');
    expect(reply.parsed.refusal?.message).toMatch(/nothing in it was applied/);
    const rejections = await rejectionsOf(stack.database.db, id);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      reasonCode: 'E_PROCESSING_FAILED',
      templateIndex: null,
      state: 'open',
    });
    expect(rejections[0]!.reason).toMatch(/after 2 tries .*stopped \(killed or crashed\)/);
    const [submission] = await stack.database.db
      .select({ state: tables.submissions.state, refusalCode: tables.submissions.refusalCode })
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    expect(submission).toEqual({ state: 'failed', refusalCode: 'E_PROCESSING_FAILED' });
    expect(await templateRows(stack.database.db, id)).toHaveLength(0);
    expect(await netByName(stack.database.db, 'DEMO-STALLED')).toHaveLength(0);
    // The sweeper (every second here) finds it handled: no second rejection, no second reply.
    await quietFor(stack.sink, id, 3_000);
    expect(caughtFor(stack.sink, id).replies).toBe(1);
    expect(await rejectionsOf(stack.database.db, id)).toHaveLength(1);
  }, 180_000);
});
