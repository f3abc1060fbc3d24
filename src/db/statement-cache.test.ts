/**
 * The pool names the statements it sends again and again, so PostgreSQL parses and plans them
 * once per connection (see statement-cache.ts). Asked of the server itself: its
 * `pg_prepared_statements` view lists what the session holds.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../test/support/databases.ts';
import { type DatabaseHandle, type Executor, openDatabase, queryRows, tables } from './index.ts';
import { StatementCachingClient } from './statement-cache.ts';

async function heldStatements(ex: Executor) {
  const rows = await queryRows<{ statement: string }>(
    ex,
    sql`select statement from pg_prepared_statements where name like 'hm\\_%'`,
  );
  return rows.map((r) => r.statement);
}

describe('statement cache (postgres)', () => {
  let url: string;
  let database: DatabaseHandle;
  beforeAll(async () => {
    url = await createPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url }, { migrate: true });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('a statement with parameters is prepared once on its connection and reused', async () => {
    const { db } = database;
    await db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        await tx
          .select()
          .from(tables.pocs)
          .where(eq(tables.pocs.handle, `NOBODY${i}-ARIN`));
      }
      const held = await heldStatements(tx);
      // One statement for the three runs; the look-up of the view has no parameters: not named.
      expect(held.filter((s) => s.includes('from "pocs"'))).toHaveLength(1);
    });
  });

  it('a statement first prepared in a transaction that rolled back still runs afterwards', async () => {
    const client = new StatementCachingClient({ connectionString: url });
    await client.connect();
    try {
      const text = 'select $1::int + 1 as n';
      await client.query('begin');
      await client.query(text, [1]);
      await client.query('rollback');
      const again = await client.query(text, [41]);
      expect(again.rows[0]).toEqual({ n: 42 });
      const { rows } = await client.query(
        "select count(*)::int as n from pg_prepared_statements where name like 'hm\\_%'",
      );
      expect(rows[0]).toEqual({ n: 1 });
    } finally {
      await client.end();
    }
  });

  it('stops naming new texts once a connection holds 256 of them (texts that vary without end)', async () => {
    const client = new StatementCachingClient({ connectionString: url });
    await client.connect();
    try {
      for (let i = 0; i < 300; i++) await client.query(`select $1::int + ${i} as n`, [1]);
      const { rows } = await client.query(
        "select count(*)::int as n from pg_prepared_statements where name like 'hm\\_%'",
      );
      expect(rows[0]).toEqual({ n: 256 });
      // Statements it already named still run named; the others unnamed, and all give answers.
      expect((await client.query('select $1::int + 299 as n', [1])).rows[0]).toEqual({ n: 300 });
    } finally {
      await client.end();
    }
  });

  it('sends statements without parameters unnamed, as simple queries', async () => {
    const client = new StatementCachingClient({ connectionString: url });
    await client.connect();
    try {
      await client.query('select 1 as n');
      await client.query({ text: 'select 2 as n' });
      const { rows } = await client.query('select count(*)::int as n from pg_prepared_statements');
      expect(rows[0]).toEqual({ n: 0 });
    } finally {
      await client.end();
    }
  });
});
