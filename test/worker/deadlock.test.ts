/**
 * A message is one transaction, so two messages that change the same objects in opposite orders
 * can deadlock: PostgreSQL undoes one of them. The worker runs that message again at once; both
 * end applied, each template once, each message answered once. The interleaving is forced:
 *   M1 = [modify X, modify Z, modify Y], M2 = [modify Y, modify X], and Z is held by a third
 *   session, so M1 holds X and waits for Z; M2 then holds Y and waits for X; Z is let go, M1
 *   wants Y: a cycle.
 */
import { Writable } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createWorkerContext, processSubmission, type WorkerContext } from '../../src/worker/index.ts';
import { fillForm, newRolePoc } from '../pipeline/support/forms.ts';
import { templateRows } from '../pipeline/support/outcomes.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { watchLockWaits } from '../support/lock-waits.ts';
import { mail } from '../support/stack.ts';

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pocModify = (handle: string, phone: string) =>
  fillForm('ARIN-POC-5.1', { '01': 'M', '02': handle, '13': phone });

describe('two messages that deadlock (postgres)', () => {
  let url: string;
  let database: DatabaseHandle;
  let ctx: WorkerContext;
  const logLines: string[] = [];

  async function submit(body: string): Promise<string> {
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(mail({ subject: `POC changes ${DEMO_API_KEY}`, body })),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    return stored.value.id;
  }

  beforeAll(async () => {
    url = await createPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url });
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    ctx = createWorkerContext({
      config: loadConfig({}),
      db: database.db,
      logger: createLogger({ level: 'info', destination }),
      texts: loadReplyTexts(),
    });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('one is undone by PostgreSQL and run again at once: both applied, each template once', async () => {
    // Three role POCs of the demo account, made the way customers make them.
    const made = await submit(
      ['X', 'Y', 'Z']
        .map((tag) => newRolePoc(`Deadlock Role ${tag}`, `role-${tag.toLowerCase()}@demo-isp.example`))
        .join('\n'),
    );
    await processSubmission(ctx, made);
    const created = await templateRows(database.db, made);
    console.log(JSON.stringify(created.map((r) => [r.outcome, r.errors, r.handles])));
    const handles = created.map((r) => r.handles['poc']!);
    expect(handles).toHaveLength(3);
    const [x, y, z] = handles as [string, string, string];

    const first = await submit(
      [pocModify(x, '+1-555-0101'), pocModify(z, '+1-555-0102'), pocModify(y, '+1-555-0103')].join('\n'),
    );
    const second = await submit([pocModify(y, '+1-555-0201'), pocModify(x, '+1-555-0202')].join('\n'));

    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    const locks = await watchLockWaits(url);
    const waiting = async (n: number) => (await locks.waiting()) >= n;
    let runs: Promise<void>[];
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM pocs WHERE handle = $1 FOR NO KEY UPDATE', [z]);
      const one = processSubmission(ctx, first);
      await until('the first message holds X and waits for Z', () => waiting(1));
      const two = processSubmission(ctx, second);
      await new Promise((r) => setTimeout(r, 1500));
      console.log(
        (
          await blocker.query(
            'select pid, state, wait_event_type, wait_event, left(query, 100) q from pg_stat_activity where datname = current_database()',
          )
        ).rows,
      );
      console.log(JSON.stringify((await templateRows(database.db, first)).map((r) => [r.outcome, r.errors])));
      console.log(
        JSON.stringify(
          (await database.db.select().from(tables.submissions).where(eq(tables.submissions.id, first))).map(
            (r) => [r.state, r.refusalCode, r.refusalMessage],
          ),
        ),
      );
      await until('the second holds Y and waits for X', () => waiting(2));
      runs = [one, two];
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await locks.end();
    }
    await Promise.all(runs);

    expect(logLines.some((l) => l.includes('deadlock with another message'))).toBe(true);
    for (const id of [first, second]) {
      const rows = await templateRows(database.db, id);
      expect(rows.every((r) => r.outcome === 'approved')).toBe(true);
      const [state] = await database.db
        .select({ state: tables.submissions.state })
        .from(tables.submissions)
        .where(eq(tables.submissions.id, id));
      expect(state?.state).toBe('done');
      const replies = await database.db
        .select({ id: tables.outbox.id })
        .from(tables.outbox)
        .where(and(eq(tables.outbox.submissionId, id), eq(tables.outbox.kind, 'reply')));
      expect(replies).toHaveLength(1);
    }
    // Each change once: X and Y were changed by both messages, Z by the first only.
    const changes = await database.db
      .select({ handle: tables.auditLog.objectHandle, n: sql<number>`count(*)::int` })
      .from(tables.auditLog)
      .where(
        and(
          eq(tables.auditLog.action, 'modify'),
          sql`${tables.auditLog.submissionId} in (${first}, ${second})`,
        ),
      )
      .groupBy(tables.auditLog.objectHandle);
    expect(Object.fromEntries(changes.map((c) => [c.handle, c.n]))).toEqual({ [x]: 2, [y]: 2, [z]: 1 });
  });
});
