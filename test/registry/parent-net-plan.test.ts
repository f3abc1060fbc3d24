/**
 * Where a new net goes (`findParentNet`, and the placement statement every new net's template
 * sends, which asks the same subquery, `mostSpecificContaining`), and which nets hold a range no
 * net is registered for (the hint of an E_OBJECT_NOT_FOUND, `findContainingNets`, the walk WHOIS
 * and RDAP answer by), are answered from a few index pages on a registry of 20,000 allocations of
 * 4 children each, not by reading an index through:
 * PostgreSQL answered "span @> range" from the sibling exclusion's GiST without its first
 * column (the parent), 544 pages and 15 ms per call. EXPLAIN (ANALYZE, BUFFERS) counts the pages
 * each statement touched, with its parameters as sent.
 */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/index.ts';
import { createSimpleReassignment, findParentNet, removeNet } from '../../src/registry/index.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { connectExplainer, explainStatement, pagesRead } from '../support/query-plans.ts';
import { recordStatements, type StatementRecorder } from '../support/statement-recorder.ts';
import { applied, customer, homeAddress, inTransaction, range, staff } from './support.ts';

const ALLOCATIONS = 20_000;
/** Before (the range second in the sibling exclusion): 72 and 608 pages, the placement 316; after: 16-23, the placement 19. */
const PAGES = 40;

describe('the parent of a new net on a registry of 20,000 allocations', () => {
  let database: DatabaseHandle;
  let recorder: StatementRecorder;
  let explainer: pg.Client;

  beforeAll(async () => {
    const url = await createPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url }, { migrate: false });
    // Each org holds a /24 of 10.0.0.0/8 as a direct allocation, with four /27 reassignments in
    // its first half; the second half is free.
    await database.db.execute(sql`
      insert into orgs (handle, name, city, country)
        select 'BULK' || i || '-1', 'Bulk Org ' || i, 'Town', 'US' from generate_series(1, ${sql.raw(String(ALLOCATIONS))}) i;
      insert into nets (handle, name, version, start_address, end_address, type, org_handle)
        select 'NET-BULK-' || i, 'BULK-' || i, 4, 167772160 + i * 256, 167772160 + i * 256 + 255,
               'direct_allocation', 'BULK' || i || '-1'
        from generate_series(1, ${sql.raw(String(ALLOCATIONS))}) i;
      insert into nets (handle, name, version, start_address, end_address, type, parent_handle, org_handle)
        select 'NET-BULK-' || i || '-' || c, 'BULK-' || i || '-' || c, 4,
               167772160 + i * 256 + c * 32, 167772160 + i * 256 + c * 32 + 31,
               'reallocation', 'NET-BULK-' || i, 'BULK' || i || '-1'
        from generate_series(1, ${sql.raw(String(ALLOCATIONS))}) i, generate_series(0, 3) c;
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

  // Early, middle and late in the registry: the pages read must not grow with where the net is.
  it.each([
    ['a free part of an allocation', '10.0.39.160/28', 'NET-BULK-39'],
    ["inside one of an allocation's children", '10.39.16.72/29', 'NET-BULK-10000-2'],
    ['a whole child', '10.78.31.0/27', 'NET-BULK-19999-0'],
  ])('finds it for %s from a few pages', async (_what, text, parent) => {
    const { result, sent } = await recorder.withValues(() => findParentNet(database.db, range(text)));
    expect(result?.handle).toBe(parent);
    expect(sent).toHaveLength(1);
    const plan = await explainStatement(explainer, sent[0]!, { analyze: true });
    expect(pagesRead(plan), sent[0]!.text).toBeLessThan(PAGES);
  });

  it('places a simple reassignment by one statement that reads a few pages', async () => {
    const { result, sent } = await recorder.withValues(() =>
      inTransaction(database.db, (tx) =>
        createSimpleReassignment(tx, customer, {
          range: range('10.58.152.192/28'),
          originAs: [],
          customer: { name: 'Plan Customer', privateResidence: false, address: homeAddress },
          publicComments: [],
        }),
      ),
    );
    applied(result);
    expect(result.ok && result.value.status === 'applied' && result.value.placedUnder).toBe('NET-BULK-15000');
    const placement = sent.filter((s) => s.text.startsWith('WITH placement'));
    expect(placement).toHaveLength(1);
    // Explained in a transaction undone after: EXPLAIN ANALYZE runs the statement's inserts.
    await explainer.query('begin');
    try {
      expect(
        pagesRead(await explainStatement(explainer, placement[0]!, { analyze: true })),
        placement[0]!.text,
      ).toBeLessThan(PAGES);
    } finally {
      await explainer.query('rollback');
    }
  });

  // The hint is the chain of nets holding the range, as WHOIS and RDAP walk it: a few pages a level.
  it.each([
    ['inside an allocation', '10.0.39.160/28', 'NET-BULK-39'],
    ['inside a late allocation', '10.78.31.160/28', 'NET-BULK-19999'],
    ["inside one of an allocation's children", '10.39.16.72/29', 'NET-BULK-10000-2'],
  ])(
    'says which net holds a range registered to nobody (%s) from a few pages',
    async (_what, text, around) => {
      const { result, sent } = await recorder.withValues(() =>
        inTransaction(database.db, (tx) => removeNet(tx, staff, range(text))),
      );
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error.code).toBe('E_OBJECT_NOT_FOUND');
      expect(!result.ok && result.error.message).toContain(`it lies inside ${around}`);
      const reads = sent.filter((s) => /\bnets\b/.test(s.text));
      expect(reads.length).toBeGreaterThan(1);
      for (const statement of reads) {
        // Once before counting: a backend's first use of an index (nets_top_span_idx) reads the
        // catalogs to describe it, 40-odd pages that are not the statement's.
        await explainStatement(explainer, statement, { analyze: true });
        const plan = await explainStatement(explainer, statement, { analyze: true });
        expect(pagesRead(plan), statement.text).toBeLessThan(PAGES);
      }
    },
  );
});
