/**
 * Writes sent together (write-together.ts): all of them land, in one statement, inside the
 * caller's transaction; a rollback undoes all of them.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../test/support/databases.ts';
import { recordStatements } from '../../test/support/statement-recorder.ts';
import { queryRows, tables, writeTogether } from './index.ts';

const { orgs, handleCounters } = tables;

const newOrg = (handle: string) => ({ handle, name: handle, street: [], city: 'Reston', country: 'US' });

describe.each(BACKENDS)('writes sent together, on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('sends every write, the last one with the others as its CTEs, as one statement', async () => {
    const recorder = recordStatements();
    try {
      const { sent } = await recorder.during(() =>
        database.db.transaction(async (tx) => {
          await writeTogether(tx, [
            (ex) => ex.insert(orgs).values([newOrg('TOGETHER-1'), newOrg('TOGETHER-2')]),
            (ex) => ex.insert(handleCounters).values({ name: 'together', last: 7 }),
            (ex) => ex.update(orgs).set({ city: 'Herndon' }).where(eq(orgs.handle, 'DEMOISP-1')),
          ]);
        }),
      );
      // PGlite does not go through pg: only PostgreSQL's statements are counted.
      if (kind === 'postgres') expect(sent.filter((s) => !/^(begin|commit)$/i.test(s))).toHaveLength(1);
    } finally {
      recorder.restore();
    }
    const made = await queryRows<{ handle: string }>(
      database.db,
      sql`select ${orgs.handle} from ${orgs} where ${orgs.handle} like 'TOGETHER-%' order by 1`,
    );
    expect(made.map((r) => r.handle)).toEqual(['TOGETHER-1', 'TOGETHER-2']);
    const [counter] = await database.db
      .select()
      .from(handleCounters)
      .where(eq(handleCounters.name, 'together'));
    expect(counter?.last).toBe(7);
  });

  it('is undone with the transaction, and sends nothing for no writes', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await writeTogether(tx, []);
        await writeTogether(tx, [
          (ex) => ex.insert(orgs).values(newOrg('TOGETHER-3')),
          (ex) => ex.insert(orgs).values(newOrg('TOGETHER-4')),
        ]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const left = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from ${orgs} where ${orgs.handle} in ('TOGETHER-3', 'TOGETHER-4')`,
    );
    expect(left[0]?.n).toBe(0);
  });
});
