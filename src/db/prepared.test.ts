/**
 * Statements built once (prepared.ts) run where they are told: on the database, or inside the
 * caller's transaction and savepoint, on its connection, so a rollback undoes them. On both
 * drivers in one process (a query built for one driver never runs on the other), with drizzle's
 * row mapping (custom column types) intact. These tests are what fails first if a drizzle
 * upgrade moves the internals prepared.ts relies on.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../test/support/databases.ts';
import { type Executor, preparedQuery, preparedSql, queryRows, tables } from './index.ts';

const { orgs, nets } = tables;

const insertOrg = preparedQuery<{ handle: string; name: string }, { handle: string; createdAt: Date }[]>(
  'test_insert_org',
  (ex) =>
    ex
      .insert(orgs)
      .values({
        handle: sql.placeholder('handle'),
        name: sql.placeholder('name'),
        street: [],
        city: 'Reston',
        country: 'US',
      })
      .returning({ handle: orgs.handle, createdAt: orgs.createdAt }),
);

const orgNamed = preparedSql<{ handle: string }, { name: string }>(
  'test_org_named',
  () => sql`select ${orgs.name} from ${orgs} where ${orgs.handle} = ${sql.placeholder('handle')}`,
);

const netSpan = preparedQuery<{ handle: string }, { start: bigint; end: bigint }[]>('test_net_span', (ex) =>
  ex
    .select({ start: nets.startAddress, end: nets.endAddress })
    .from(nets)
    .where(eq(nets.handle, sql.placeholder('handle'))),
);

async function orgCount(ex: Executor, handle: string): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    ex,
    sql`select count(*)::int as n from ${orgs} where ${orgs.handle} = ${handle}`,
  );
  return rows[0]!.n;
}

describe.each(BACKENDS)('statements built once, on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('runs on the database with its values, and maps rows with the columns’ types', async () => {
    const [row] = await insertOrg(database.db, { handle: `PREP-${kind}-1`, name: 'Prepared One' });
    expect(row?.handle).toBe(`PREP-${kind}-1`);
    expect(row?.createdAt).toBeInstanceOf(Date);
    expect(await orgNamed(database.db, { handle: `PREP-${kind}-1` })).toEqual([{ name: 'Prepared One' }]);
    await database.db.insert(nets).values({
      handle: `NET-PREP-${kind}`,
      name: 'PREP',
      version: 6,
      startAddress: 2n ** 127n,
      endAddress: 2n ** 127n + 255n,
      cidrs: [],
      type: 'direct_allocation',
    });
    expect(await netSpan(database.db, { handle: `NET-PREP-${kind}` })).toEqual([
      { start: 2n ** 127n, end: 2n ** 127n + 255n },
    ]);
  });

  it('runs inside the caller’s transaction: a rollback undoes it, and so does a savepoint’s', async () => {
    const handle = `PREP-${kind}-2`;
    await expect(
      database.db.transaction(async (tx) => {
        await insertOrg(tx, { handle, name: 'Undone' });
        expect(await orgNamed(tx, { handle })).toEqual([{ name: 'Undone' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await orgCount(database.db, handle)).toBe(0);

    await database.db.transaction(async (tx) => {
      await tx.execute(sql`savepoint prepared_test`);
      await insertOrg(tx, { handle, name: 'In a savepoint' });
      await tx.execute(sql`rollback to savepoint prepared_test`);
      await insertOrg(tx, { handle, name: 'Kept' });
    });
    expect(await orgNamed(database.db, { handle })).toEqual([{ name: 'Kept' }]);
  });

  it.runIf(kind === 'postgres')(
    'inside a transaction it uses that transaction’s connection, not another one of the pool',
    async () => {
      const handle = `PREP-${kind}-3`;
      await database.db.transaction(async (tx) => {
        await insertOrg(tx, { handle, name: 'Not yet committed' });
        // Another connection does not see it before the commit; the transaction itself does.
        expect(await orgCount(database.db, handle)).toBe(0);
        expect(await orgNamed(tx, { handle })).toHaveLength(1);
      });
      expect(await orgCount(database.db, handle)).toBe(1);
    },
  );
});

it('refuses two statements under one label (their names would collide on the server)', () => {
  expect(() => preparedSql('test_org_named', () => sql`select 1`)).toThrow(/defined twice/);
});
