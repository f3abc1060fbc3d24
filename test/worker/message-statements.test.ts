/**
 * What one bulk message costs the database: a billing system's 10-template message (7 IPv6
 * reassignments, 2 role POCs, 1 refused reassignment, as the benchmark sends) runs in ONE
 * transaction, and the statements it sends stay under a ceiling. Counts, not times: every
 * statement is a round trip, so their number is what a message costs. 247 statements and 12
 * commits before the worker gathered its records, 58 before its last writes went out as one
 * statement (`writeTogether`), 53 before its simple reassignments stopped taking a savepoint
 * each (a plan, then a write), 46 before a new POC's notice stopped reading back its addresses, 44
 * before a simple reassignment's customer and net went in as one statement, 37 before the
 * `processing` mark answered the submission, 36 before a new net's parent was checked for
 * authority by the statement that places it, 29 before a new POC and its link to the account
 * went in as one statement without a savepoint, 25 before a simple reassignment became one
 * statement (placement, authority, customer and net), 18 before its ticket and POC numbers were
 * taken in one, 17 before its new simple reassignments (eight here, seven approved) were placed
 * and written by one statement (src/worker/reassignments-ahead.ts), 10 before its numbers were
 * taken by the statement that finds its requester by the key (9 since: the submission's read, the
 * requester and numbers, BEGIN, the lock, the reassignments together, two POCs, the last statement,
 * COMMIT; the first was the `processing` mark until the sixth round, a write, now a read), 11
 * since each new POC of an account first waits its turn behind an equal one being created by
 * another message (an advisory lock of its own statement: the resend check in the POC's
 * statement reads before any wait in it, so the same POC N sent twice at once made two POCs), 9
 * since the turns of a message's creates ride in its lock of the submission (registry/turns.ts);
 * lower is welcome: then lower the ceiling.
 *
 * Commits are counted apart: each writing transaction is a WAL flush on PostgreSQL and an
 * fdatasync on PGlite's one thread, whatever it holds. The worker's part of a message is two:
 * the statement that finds the requester and takes the numbers, and the message's transaction
 * (three until the `processing` mark, committed on its own first, was dropped; the outbox's
 * claim and `sent` mark come after, in the sender).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSubmission } from '../../src/ingress/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { processSubmission } from '../../src/worker/index.ts';
import { bulkPlan } from '../ops/support/traffic.ts';
import { templateRows } from '../pipeline/support/outcomes.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { recordStatements, type StatementRecorder } from '../support/statement-recorder.ts';
import { quietWorkerContext } from '../support/worker-context.ts';

const CEILING = 9;
const COMMITS_CEILING = 2;

/** Statements that write on their own (autocommitted) and the COMMITs of transactions. */
function writingCommits(sent: readonly string[]): number {
  let inTransaction = false;
  let commits = 0;
  for (const text of sent) {
    const head = text.toLowerCase();
    if (head.startsWith('begin')) inTransaction = true;
    else if (head.startsWith('commit')) {
      inTransaction = false;
      commits++;
    } else if (head.startsWith('rollback')) inTransaction = false;
    else if (!inTransaction && /^(with\b[\s\S]*\b)?(insert|update|delete)\b/.test(head)) commits++;
  }
  return commits;
}

describe('statements per bulk message on postgres', () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    recorder = recordStatements();
  });
  afterAll(async () => {
    recorder?.restore();
    await database?.close();
  });

  it(`a 10-template message is one transaction of at most ${CEILING} statements and ${COMMITS_CEILING} commits`, async () => {
    const ctx = quietWorkerContext(database.db);
    const message = bulkPlan(10, { run: 41 }).messages[9]!;
    expect(message.kinds).toHaveLength(10);
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(message.raw),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);

    const { sent } = await recorder.during(() => processSubmission(ctx, stored.value.id));

    const rows = await templateRows(database.db, stored.value.id);
    expect(rows.map((r) => r.outcome)).toEqual(
      message.kinds.map((k) => (k === 'not-ours' ? 'rejected' : 'approved')),
    );
    expect(sent.filter((s) => s.toLowerCase() === 'begin')).toHaveLength(1);
    expect(sent.filter((s) => s.toLowerCase() === 'commit')).toHaveLength(1);
    expect(sent.length).toBeLessThanOrEqual(CEILING);
    expect(writingCommits(sent)).toBeLessThanOrEqual(COMMITS_CEILING);
  });
});
