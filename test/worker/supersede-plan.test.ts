/**
 * A message's last statement closes the account's earlier rejections its approvals supersede
 * (src/worker/superseded.ts). An account with thousands of open rejections (a billing system
 * whose refused templates staff have not worked through: in the bench, one refused template in
 * ten, the same range every time) must not make every message of it read them all: the statement
 * went from 1.5 to 33 ms on the server over a 1,200-message bench run, PostgreSQL's CPU per
 * message from 7 to 15 ms. Here 3,000 open rejections of the account about one range, written
 * after the statistics were taken (a young database between two autoanalyze runs, as in the
 * bench), then a 10-template message (9 approvals, one of them superseding an earlier refusal):
 * EXPLAIN (ANALYZE, BUFFERS) of its last statement, as sent, counts the pages the closing read,
 * and each search of the subjects' GIN index. Two causes: a plan that starts from the account's
 * open rejections, and GIN's fast update (rows written since the last vacuum sit in a pending
 * list every search reads through).
 */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSubmission } from '../../src/ingress/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { processSubmission } from '../../src/worker/index.ts';
import { bulkPlan } from '../ops/support/traffic.ts';
import { templateRows } from '../pipeline/support/outcomes.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { connectExplainer, explainStatement, pagesRead, planNodes } from '../support/query-plans.ts';
import { recordStatements, type StatementRecorder } from '../support/statement-recorder.ts';
import { quietWorkerContext } from '../support/worker-context.ts';

const OPEN_REJECTIONS = 3_000;
/** Pages the closing may read: the approvals' own few, whatever the account's open rejections. */
const PAGES = 100;
/** Pages one search of the subjects' index may read, whatever was written before it. */
const PAGES_PER_PROBE = 5;

describe("closing an account's superseded rejections", () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;
  let explainer: pg.Client;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    // The demo ISP's account, as the bulk messages' key identifies it.
    // Statistics from before the account's refusals piled up, as a daemon's plans have them in a
    // young database (between two autoanalyze runs): the plan must not depend on them.
    await database.db.execute(sql`analyze`);
    await database.db.execute(sql`
      insert into submissions (id, raw, raw_sha256, delivery_sha256, size_bytes, via, state, account_id, received_at)
        select 'SOLD' || i, '\\x00'::bytea, 'x' || i, 'y' || i, 1, 'smtp', 'done',
               (select account_id from api_keys order by id limit 1), now() - interval '1 day'
        from generate_series(1, ${sql.raw(String(OPEN_REJECTIONS))}) i;
      insert into submission_templates (submission_id, template_index, form, form_version, request_kind, echo, outcome, subjects)
        select 'SOLD' || i, 1, 'ARIN-REASSIGN-SIMPLE', '5.0', 'reassign-simple.create', '', 'rejected',
               array['range:4:3405803840-3405803855']
        from generate_series(1, ${sql.raw(String(OPEN_REJECTIONS))}) i;
      insert into rejections (submission_id, template_index, reason_code, reason)
        select 'SOLD' || i, 1, 'E_NOT_AUTHORIZED', 'not yours'
        from generate_series(1, ${sql.raw(String(OPEN_REJECTIONS))}) i;
    `);
    recorder = recordStatements();
    explainer = await connectExplainer((database.target as { url: string }).url);
  }, 300_000);

  afterAll(async () => {
    recorder?.restore();
    await explainer?.end();
    await database?.close();
  });

  it('searches the subjects in a few pages, whatever was written before', async () => {
    const ctx = quietWorkerContext(database.db);
    const message = bulkPlan(10, { run: 43 }).messages[9]!;
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(message.raw),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    const id = stored.value.id;
    const { sent } = await recorder.withValues(() => processSubmission(ctx, id));
    const rows = await templateRows(database.db, id);
    expect(rows.filter((r) => r.outcome === 'approved')).toHaveLength(9);
    const last = sent.find((s) => s.text.startsWith('WITH "write_1"'));
    expect(last).toBeDefined();

    // Run again on the server, its rows first removed, in a transaction undone after.
    await explainer.query('begin');
    try {
      // One earlier refusal the message does supersede: the same range as its first approval.
      const subject = rows.find((r) => r.outcome === 'approved' && r.subjects.length > 0)!.subjects[0]!;
      for (const table of ['submission_templates', 'tickets', 'outbox', 'rejections', 'audit_log']) {
        await explainer.query(`delete from ${table} where submission_id = $1`, [id]);
      }
      await explainer.query(
        `insert into submission_templates (submission_id, template_index, form, form_version, request_kind, echo, outcome, subjects)
           values ('SOLD7', 2, 'ARIN-REASSIGN-SIMPLE', '5.0', 'reassign-simple.create', '', 'rejected', array[$1])`,
        [subject],
      );
      await explainer.query(
        `insert into rejections (submission_id, template_index, reason_code, reason) values ('SOLD7', 2, 'E_OVERLAP', 'x')`,
      );
      const plan = await explainStatement(explainer, last!, { analyze: true });
      const closing = planNodes(plan).find(
        (n) =>
          n['Node Type'] === 'ModifyTable' && n.Operation === 'Update' && n['Relation Name'] === 'rejections',
      );
      expect(closing?.['Actual Rows']).toBe(1);
      // Read with statistics that predate the refusals, the closing read every open rejection
      // of the account: 18,086 pages (3,000 rejections). From the approvals' subjects: 50 (3,000 or 9,000).
      expect(pagesRead(closing!)).toBeLessThan(PAGES);
      // The subjects' index, probed per approval: a few pages a probe (19 with a pending list of
      // 3,000 rows, which grows with every row written since the last vacuum).
      const probes = planNodes(closing!).filter(
        (n) => n['Index Name'] === 'submission_templates_subjects_idx',
      );
      expect(probes.length).toBeGreaterThan(0);
      for (const probe of probes) {
        const perProbe = pagesRead(probe) / (probe['Actual Loops'] ?? 1);
        expect(perProbe).toBeLessThan(PAGES_PER_PROBE);
      }
    } finally {
      await explainer.query('rollback');
    }
  });
});
