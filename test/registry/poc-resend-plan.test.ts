/**
 * A new POC's statement first looks for a POC the account already holds that is equal in every
 * column (a POC N sent again after a lost reply is answered with the one it holds). Its columns
 * are compared with IS NOT DISTINCT FROM, which no index answers: PostgreSQL read every POC of
 * the registry (a sequential scan) for every POC a template created, more the larger the
 * registry. The last name, never null, now also finds the candidates by pocs_last_name_idx.
 * EXPLAIN (ANALYZE, BUFFERS) of the statement as sent, on a registry of 20,000 POCs held by the
 * requester's account.
 */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/index.ts';
import { createPoc, type OperationContext, type PocInput } from '../../src/registry/index.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { connectExplainer, explainStatement, pagesRead, planNodes } from '../support/query-plans.ts';
import { recordStatements, type StatementRecorder } from '../support/statement-recorder.ts';
import { applied, homeAddress, inTransaction } from './support.ts';

const POCS = 20_000;
/** Before: a sequential scan of pocs, 506 pages at 20,000 POCs; after: 9. */
const PAGES = 40;

const role = (lastName: string): PocInput => ({
  contactType: 'role',
  lastName,
  address: homeAddress,
  officePhones: ['+1-555-0120'],
  emails: ['noc@example.net'],
  publicComments: [],
});

describe('a new POC on a registry of 20,000 POCs held by its account', () => {
  let database: DatabaseHandle;
  let recorder: StatementRecorder;
  let explainer: pg.Client;
  let account: OperationContext;

  beforeAll(async () => {
    const url = await createPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url }, { migrate: false });
    const inserted = (await database.db.execute(
      sql`insert into accounts (name) values ('bulk') returning id`,
    )) as unknown as { rows: { id: number }[] };
    const [row] = inserted.rows;
    account = {
      actor: { kind: 'account', accountId: row!.id },
      ticketNumber: '20250101-X0000001',
      requesterAccount: row!.id,
    };
    await database.db.execute(sql`
      insert into pocs (handle, kind, last_name, city, country, emails)
        select 'BULK' || i || '-ARIN', 'role', 'Bulk Role ' || i, 'Herndon', 'US', array['noc' || i || '@example.net']
        from generate_series(1, ${sql.raw(String(POCS))}) i;
      insert into account_pocs (account_id, poc_handle)
        select ${sql.raw(String(row!.id))}, 'BULK' || i || '-ARIN' from generate_series(1, ${sql.raw(String(POCS))}) i;
      analyze;
    `);
    recorder = recordStatements();
    explainer = await connectExplainer(url);
  }, 300_000);

  afterAll(async () => {
    recorder?.restore();
    await explainer?.end();
    await database?.close();
  });

  it('creates it by a statement that reads a few pages, and answers it sent again with the one held', async () => {
    const { result, sent } = await recorder.withValues(() =>
      inTransaction(database.db, (tx) => createPoc(tx, account, role('Network Operations Center'))),
    );
    const handle = applied(result).handles['poc'];
    expect(handle).toMatch(/-ARIN$/);
    const statement = sent.find((s) => /existing AS/.test(s.text));
    expect(statement).toBeDefined();
    await explainer.query('begin');
    try {
      const plan = await explainStatement(explainer, statement!, { analyze: true });
      const scans = planNodes(plan).filter(
        (n) => n['Relation Name'] === 'pocs' && n['Node Type'] === 'Seq Scan',
      );
      expect(scans).toEqual([]);
      expect(pagesRead(plan)).toBeLessThan(PAGES);
    } finally {
      await explainer.query('rollback');
    }
    // The same POC again (a lost reply): the one the account holds, nothing new.
    const again = await inTransaction(database.db, (tx) =>
      createPoc(tx, account, role('Network Operations Center')),
    );
    expect(applied(again).handles['poc']).toBe(handle);
    const counted = (await database.db.execute(sql`select count(*)::int as n from pocs`)) as unknown as {
      rows: { n: number }[];
    };
    const [count] = counted.rows;
    expect(count!.n).toBe(POCS + 1);
  }, 120_000);
});
