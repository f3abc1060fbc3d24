/**
 * The Subject link (src/worker/answers-to-us.ts): a message that names no id and no ticket of
 * ours, but keeps our Subject whole (`[Ticket#5556] Re: SWIP batch 7`), is looked for among our
 * mails about the sender's latest 20 messages. With from_address indexed alone, PostgreSQL had
 * two ways to read them, both paying for the sender's history: the sender's messages from that
 * index, all of them, sorted to keep 20; or everyone's newest first (received_at's index), the
 * sender's kept, which reads every newer message of others (here 44,748 rows, 1,220 pages). On
 * (from_address, received_at) it reads the newest 20 from the index in order (23 pages). The
 * statement is recorded as the worker sends it, with its values, and EXPLAINed (ANALYZE,
 * BUFFERS) on a mailbox of a thousand senders, ours with 2,000 messages, a month behind.
 */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractMail } from '../../src/mail/index.ts';
import { findAnsweredMail } from '../../src/worker/answers-to-us.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { connectExplainer, explainStatement, pagesRead, planNodes } from '../support/query-plans.ts';
import { mail } from '../support/stack.ts';
import { recordStatements, type StatementRecorder } from '../support/statement-recorder.ts';

/** The sender's earlier messages, one in a hundred of the mailbox's (a thousand senders). */
const SENDERS_MESSAGES = 2_000;
/** Pages the read may touch: the index's few and the 20 rows', whatever the sender sent before. */
const PAGES = 60;

describe("the Subject link reads a sender's latest messages from an index", () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;
  let explainer: pg.Client;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    await database.db.execute(sql`
      insert into submissions (id, raw, raw_sha256, delivery_sha256, size_bytes, via, state, from_address, received_at)
        select 'SOLD' || i, '\\x00'::bytea, 'x' || i, 'y' || i, 1, 'smtp', 'done',
               case when i % 100 = 0 then 'billing@demo-isp.example' else 'noc' || (i % 997) || '@other.example' end,
               now() - make_interval(mins => i) - case when i % 100 = 0 then interval '30 days' else interval '0' end
        from generate_series(1, ${sql.raw(String(100 * SENDERS_MESSAGES))}) i;
    `);
    await database.db.execute(sql`analyze submissions`);
    recorder = recordStatements();
    explainer = await connectExplainer((database.target as { url: string }).url);
  }, 300_000);

  afterAll(async () => {
    recorder?.restore();
    await explainer?.end();
    await database?.close();
  });

  it('reads the newest 20 in order from (from_address, received_at), nothing sorted', async () => {
    const raw = mail({
      from: 'Billing <billing@demo-isp.example>',
      subject: '[Ticket#5556] Re: SWIP batch 7',
      body: 'Your ticket has been received.\n',
    });
    const extracted = await extractMail(Buffer.from(raw));
    if (!extracted.ok) throw new Error(extracted.error.message);
    const { sent } = await recorder.withValues(() =>
      findAnsweredMail(database.db, extracted.value, 'billing@demo-isp.example', { bySubject: true }),
    );
    const latest = sent.find((s) => /from "submissions"/.test(s.text) && /"from_address" = \$1/.test(s.text));
    expect(latest).toBeDefined();

    const plan = await explainStatement(explainer, latest!, { analyze: true });
    const nodes = planNodes(plan);
    const scan = nodes.find((n) => n['Relation Name'] === 'submissions');
    expect(scan?.['Index Name']).toBe('submissions_from_received_idx');
    // No Sort of the sender's messages, and no scan of the others' newer ones (filtered out).
    expect(nodes.filter((n) => n['Node Type'].includes('Sort'))).toEqual([]);
    expect(scan?.['Actual Rows']).toBe(20);
    expect(scan?.['Rows Removed by Filter'] ?? 0).toBe(0);
    expect(pagesRead(plan)).toBeLessThan(PAGES);
  });
});
