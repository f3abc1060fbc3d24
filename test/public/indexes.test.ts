/**
 * Every statement a public lookup sends is answered from an index, never by reading a table
 * through: each is recorded with its parameters as sent and EXPLAINed by PostgreSQL, on a
 * registry of some thousands of rows per table, with sequential scans priced out
 * (`enable_seqscan = off`), so a Seq Scan left in a plan, or an index read whole without a
 * condition, means no index can serve the statement.
 */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/index.ts';
import {
  customerByHandle,
  netByHandle,
  netsForRange,
  netsOfOrg,
  orgByHandle,
  pocByHandle,
  searchEntities,
} from '../../src/public/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { range } from '../registry/support.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { connectExplainer, explainStatement, type PlanNode, planNodes } from '../support/query-plans.ts';
import {
  recordStatements,
  type SentStatement,
  type StatementRecorder,
} from '../support/statement-recorder.ts';
import { lookupSeed } from './support/clients.ts';

/** Rows of each kind beside the seeds: enough that a plan's choices are those of a registry. */
const BULK = 4_000;
/** Nets of one org, above every bulk net's addresses: more than its answer lists. */
const HEAVY = 2_000;

describe('public lookups on PostgreSQL', () => {
  let url: string;
  let database: DatabaseHandle;
  let recorder: StatementRecorder;
  let explainer: pg.Client;

  beforeAll(async () => {
    url = await createPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url }, { migrate: false });
    for (const file of [DEMO_SEED, lookupSeed('rwhois://rwhois.referral.example:4321')]) {
      const doc = validateSeed(file);
      if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
      const seeded = await seedRegistry(database.db, doc.value);
      if (!seeded.ok) throw new Error(seeded.error.message);
    }
    // Bulk: orgs, person POCs linked to them, customers (a third private), accounts holding the
    // POCs (one of each POC's addresses its account's), and per org a /28 of 10.0.0.0/8 as a
    // direct allocation with a simple reassignment inside it.
    await database.db.execute(sql`
      insert into orgs (handle, name, city, country)
        select 'BULK' || i || '-1', 'Bulk Org ' || i, 'Town', 'US' from generate_series(1, ${sql.raw(String(BULK))}) i;
      insert into pocs (handle, kind, last_name, first_name, emails)
        select 'BULK' || i || '-ARIN', 'person', 'Surname' || i, 'Given' || i, array['p' || i || '@bulk.example']
        from generate_series(1, ${sql.raw(String(BULK))}) i;
      insert into org_pocs (org_handle, poc_handle, role)
        select 'BULK' || i || '-1', 'BULK' || i || '-ARIN', 'tech' from generate_series(1, ${sql.raw(String(BULK))}) i;
      insert into customers (handle, parent_org_handle, name, city, country, private_residence)
        select 'C' || (90000000 + i), 'BULK' || i || '-1', 'Bulk Customer ' || i, 'Town', 'US', i % 3 = 0
        from generate_series(1, ${sql.raw(String(BULK))}) i;
      insert into nets (handle, name, version, start_address, end_address, type, org_handle)
        select 'NET-10-BULK-' || i, 'BULK-' || i, 4, 167772160 + i * 16, 167772160 + i * 16 + 15,
               'direct_allocation', 'BULK' || i || '-1'
        from generate_series(1, ${sql.raw(String(BULK))}) i;
      insert into nets (handle, name, version, start_address, end_address, type, parent_handle, customer_handle)
        select 'NET-10-BULK-' || i || '-C', 'BULK-C-' || i, 4, 167772160 + i * 16, 167772160 + i * 16 + 7,
               'simple_reassignment', 'NET-10-BULK-' || i, 'C' || (90000000 + i)
        from generate_series(1, ${sql.raw(String(BULK))}) i;
      insert into accounts (name) select 'bulk-' || i from generate_series(1, ${sql.raw(String(BULK))}) i;
      insert into account_emails (account_id, email)
        select id, name || '@accounts.example' from accounts where name like 'bulk-%';
      -- Each bulk account holds its org's POC, whose second address is the account's own.
      insert into account_pocs (account_id, poc_handle)
        select id, 'BULK' || substr(name, 6) || '-ARIN' from accounts where name like 'bulk-%';
      update pocs set emails = emails || ('bulk-' || substr(handle, 5, length(handle) - 9) || '@accounts.example')
        where handle like 'BULK%-ARIN';
      insert into orgs (handle, name, city, country) values ('HEAVY-1', 'Heavy Holder', 'Town', 'US');
      insert into nets (handle, name, version, start_address, end_address, type, org_handle)
        select 'NET-11-HEAVY-' || i, 'HEAVY-' || i, 4, 184549376 + i * 16, 184549376 + i * 16 + 15,
               'direct_allocation', 'HEAVY-1'
        from generate_series(1, ${sql.raw(String(HEAVY))}) i;
      insert into net_pocs (net_handle, poc_handle, role)
        select 'NET-10-BULK-' || i, 'BULK' || i || '-ARIN', 'abuse' from generate_series(1, ${sql.raw(String(BULK))}) i;
    `);
    await database.db.execute(sql`analyze`);
    recorder = recordStatements();
    explainer = await connectExplainer(url);
    await explainer.query('set enable_seqscan = off');
  }, 180_000);

  afterAll(async () => {
    recorder?.restore();
    await explainer?.end();
    await database?.close();
  });

  const lookups: ReadonlyArray<readonly [string, (db: DatabaseHandle['db']) => Promise<unknown>]> = [
    ['an IPv4 address', (db) => netsForRange(db, range('10.0.1.3'))],
    ["a private customer's address", (db) => netsForRange(db, range('198.51.100.20'))],
    ['an IPv6 prefix', (db) => netsForRange(db, range('2001:db8:100::/48'))],
    ['a net by handle', (db) => netByHandle(db, 'NET-198-51-100-192-1')],
    ['an org', (db) => orgByHandle(db, 'BULK77-1')],
    ["an org's nets", (db) => netsOfOrg(db, 'DEMOISP-1')],
    ['a POC', (db) => pocByHandle(db, 'DEMO1-ARIN')],
    ['a POC held by an account', (db) => pocByHandle(db, 'BULK77-ARIN')],
    ['a customer', (db) => customerByHandle(db, 'C00000101')],
    ['names by prefix', (db) => searchEntities(db, { by: 'name', text: 'Bulk Org 12', prefix: true })],
    [
      'a POC by full name',
      (db) => searchEntities(db, { by: 'name', text: 'given12 surname12', prefix: false }),
    ],
    ['customers by name', (db) => searchEntities(db, { by: 'name', text: 'bulk customer 4', prefix: true })],
    ['handles by prefix', (db) => searchEntities(db, { by: 'handle', text: 'BULK12', prefix: true })],
    ['many handles by prefix', (db) => searchEntities(db, { by: 'handle', text: 'BULK1', prefix: true })],
    ['many names by a short prefix', (db) => searchEntities(db, { by: 'name', text: 'bu', prefix: true })],
    ['many names by prefix', (db) => searchEntities(db, { by: 'name', text: 'bulk org 1', prefix: true })],
    ['no names by prefix', (db) => searchEntities(db, { by: 'name', text: 'zz nobody', prefix: true })],
    [
      'POCs only, by name',
      (db) => searchEntities(db, { by: 'name', text: 'surname1', prefix: true, only: 'poc' }),
    ],
    ['a handle exactly', (db) => searchEntities(db, { by: 'handle', text: 'OTHERISP-1', prefix: false })],
  ];

  it.each(lookups)('answers %s from indexes', async (_what, lookup) => {
    const { result, sent } = await recorder.withValues(() => lookup(database.db));
    expect(result).toBeTruthy();
    expect(sent.length).toBeGreaterThan(0);
    for (const statement of sent) {
      const plan = await explainStatement(explainer, statement);
      // A Seq Scan reads the table through; an index scan without a condition reads the whole
      // index in order (what the planner does when sequential scans are priced out): both
      // visit every row.
      const readsEverything = planNodes(plan).filter(
        (n) =>
          n['Node Type'] === 'Seq Scan' || (/Index/.test(n['Node Type']) && n['Index Cond'] === undefined),
      );
      expect(
        readsEverything.map((n) => `${n['Node Type']} ${n['Relation Name'] ?? n['Index Name'] ?? ''}`),
        statement.text,
      ).toEqual([]);
    }
  });

  it('lists 50 orgs with their POCs in a few statements, not some per org', async () => {
    const { result, sent } = await recorder.withValues(() =>
      searchEntities(database.db, { by: 'name', text: 'bulk org 1', prefix: true, only: 'org' }),
    );
    expect(result.entities).toHaveLength(50);
    expect(result.entities.every((e) => e.kind === 'org' && e.pocs.length === 1)).toBe(true);
    // The orgs, their POC links, the POCs: one per org was 103.
    expect(sent.length).toBeLessThanOrEqual(3);
  });

  it.each([
    ['a short name prefix', { by: 'name', text: 'bu', prefix: true }],
    ["a prefix of 1,111 POCs' names", { by: 'name', text: 'surname1', prefix: true }],
    ['a dense handle prefix', { by: 'handle', text: 'BULK1', prefix: true }],
  ] as const)('reads at most 51 rows of a table for %s, however many match', async (_what, search) => {
    const { result, sent } = await recorder.withValues(() => searchEntities(database.db, search));
    expect(result.truncated).toBe(true);
    await expectFewRowsRead(sent);
  });

  it("reads at most 51 rows of a table for an org's nets, however many it holds and wherever they lie", async () => {
    const { result, sent } = await recorder.withValues(() => netsOfOrg(database.db, 'HEAVY-1'));
    expect(result).toHaveLength(51);
    // In address order, whichever 51 the index gave.
    const starts = result.map((n) => n.start);
    expect(starts).toEqual([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    await expectFewRowsRead(sent);
  });

  /** No table's rows read past 51 by any statement: those a node gives, and those its filter dropped. */
  async function expectFewRowsRead(sent: readonly SentStatement[]): Promise<void> {
    for (const statement of sent) {
      const plan = await explainStatement(explainer, statement, { analyze: true });
      const readOf = (n: PlanNode) =>
        (n['Actual Rows'] ?? 0) +
        (n['Rows Removed by Filter'] ?? 0) +
        (n['Rows Removed by Index Recheck'] ?? 0);
      const read = planNodes(plan).filter((n) => n['Relation Name'] !== undefined && readOf(n) > 51);
      expect(
        read.map((n) => `${n['Node Type']} ${n['Relation Name']}: ${readOf(n)} rows`),
        statement.text,
      ).toEqual([]);
    }
  }
});
