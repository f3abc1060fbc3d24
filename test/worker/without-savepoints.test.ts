/**
 * A message's simple reassignments run without a savepoint each (a round trip per template):
 * they refuse only before writing, so a refusal leaves nothing to undo. When one fails after
 * writing (here: the database's sibling-overlap guard, raised by a test trigger the way a race
 * with another request raises it), the whole transaction is undone and the message runs again
 * with savepoints: that template is refused as E_OVERLAP, the others are applied once, and no
 * half of the failed one (its customer record) is left behind.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { processSubmission } from '../../src/worker/index.ts';
import { templateText } from '../ops/support/traffic.ts';
import {
  customersNamed as customersNamedIn,
  netByName,
  rejectionsOf,
  templateRows,
} from '../pipeline/support/outcomes.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { recordStatements } from '../support/statement-recorder.ts';
import { quietWorkerContext } from '../support/worker-context.ts';

const RUN = 77;
const tagOf = (n: number) => `${RUN.toString(36)}${n.toString(36)}`.toUpperCase();

function message(id: string, numbers: readonly number[]): string {
  return [
    'From: Demo ISP billing <noc@demo-isp.example>',
    'To: hostmaster@localhost',
    `Subject: SWIP batch ${DEMO_API_KEY}`,
    `Message-ID: <${id}@demo-isp.example>`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    '',
    numbers.map((n) => templateText('reassign-v6', n, RUN)).join('\n\n'),
    '',
  ].join('\r\n');
}

describe.each(BACKENDS)('simple reassignments without savepoints (%s)', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
  });
  afterAll(async () => {
    await database?.close();
  });

  async function process(id: string, numbers: readonly number[]) {
    const ctx = quietWorkerContext(database.db);
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(message(id, numbers)),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    const recorder = recordStatements();
    try {
      const { sent } = await recorder.during(() => processSubmission(ctx, stored.value.id));
      return { submissionId: stored.value.id, sent };
    } finally {
      recorder.restore();
    }
  }

  const customersNamed = (name: string) => customersNamedIn(database.db, name);

  it('applies them with no savepoint at all', async () => {
    const { submissionId, sent } = await process('no-savepoints', [1, 2, 3]);
    expect((await templateRows(database.db, submissionId)).map((r) => r.outcome)).toEqual([
      'approved',
      'approved',
      'approved',
    ]);
    // PGlite does not go through pg: only PostgreSQL's statements are seen.
    if (kind === 'postgres') {
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.filter((s) => /^savepoint/i.test(s))).toEqual([]);
    }
  });

  it('runs the message again with savepoints when one fails after writing', async () => {
    const raced = tagOf(12);
    await database.db.execute(
      sql.raw(`CREATE FUNCTION race_in_test() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.name = 'BULK-${raced}' THEN
            RAISE EXCEPTION 'conflicting key value violates exclusion constraint "nets_sibling_no_overlap"'
              USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'nets_sibling_no_overlap',
                    DETAIL = 'Key (parent_handle, numrange(...))=(NET6-2001-DB8-1, [..]) conflicts with existing key (...)';
          END IF;
          RETURN NEW;
        END $$`),
    );
    await database.db.execute(
      sql.raw(
        'CREATE TRIGGER race_in_test BEFORE INSERT ON nets FOR EACH ROW EXECUTE FUNCTION race_in_test()',
      ),
    );
    try {
      const { submissionId, sent } = await process('raced', [11, 12, 13]);
      const rows = await templateRows(database.db, submissionId);
      expect(rows.map((r) => r.outcome)).toEqual(['approved', 'rejected', 'approved']);
      expect((await rejectionsOf(database.db, submissionId)).map((r) => r.reasonCode)).toEqual(['E_OVERLAP']);
      // Each applied once; nothing of the refused one, not even its customer.
      for (const n of [11, 13]) expect(await netByName(database.db, `BULK-${tagOf(n)}`)).toHaveLength(1);
      expect(await netByName(database.db, `BULK-${raced}`)).toHaveLength(0);
      expect(await customersNamed(`Customer ${tagOf(11)}`)).toBe(1);
      expect(await customersNamed(`Customer ${raced}`)).toBe(0);
      const replies = await database.db.select().from(tables.outbox);
      expect(replies.filter((r) => r.submissionId === submissionId && r.kind === 'reply')).toHaveLength(1);
      // The second run is the one with a savepoint per template.
      if (kind === 'postgres') expect(sent.filter((s) => /^savepoint/i.test(s))).toHaveLength(3);
    } finally {
      await database.db.execute(sql.raw('DROP TRIGGER race_in_test ON nets'));
      await database.db.execute(sql.raw('DROP FUNCTION race_in_test()'));
    }
  });
});
