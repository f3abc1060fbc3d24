/**
 * PGlite's queries as named statements (pglite-statements.ts): each text parsed once, every run
 * answered exactly as PGlite's own query() answers it (rows, types, counts, errors), one at a
 * time with transactions, and texts past the bound still answered. And its transactions in a
 * turn of their own (pglite-turns.ts): a statement waits for the transaction running, not for
 * every one queued.
 */
import { PGlite, type QueryOptions } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { afterEach, describe, expect, it } from 'vitest';
import { pgliteSnapshot } from '../../test/support/databases.ts';
import { parseBytea, serializeBytea } from './open.ts';
import { useNamedStatements } from './pglite-statements.ts';
import { takeTransactionsInTurn } from './pglite-turns.ts';

async function openPglite(): Promise<PGlite> {
  const pg = await PGlite.create({
    loadDataDir: pgliteSnapshot(),
    extensions: { btree_gist },
    parsers: { 17: parseBytea },
    serializers: { 17: serializeBytea },
  });
  await pg.exec(`create table sample (
    id int primary key, body bytea, amount numeric(39,0), at timestamptz, tags text[], doc json, note text)`);
  return pg;
}

async function namedCount(pg: PGlite, text: string): Promise<number> {
  const { rows } = await pg.query<{ n: number }>(
    `select count(*)::int as n from pg_prepared_statements where name like 'hm_l_%' and statement = $1`,
    [text],
  );
  return rows[0]!.n;
}

describe('PGlite queries as named statements', () => {
  let pg: PGlite | undefined;
  afterEach(async () => {
    await pg?.close();
    pg = undefined;
  });

  it('parses a text once and answers every run as PGlite’s own query() does', async () => {
    pg = await openPglite();
    const plain = pg.query.bind(pg);
    useNamedStatements(pg);
    const insert = 'insert into sample values ($1, $2, $3, $4, $5, $6, $7) returning *';
    const rows = [
      [
        1,
        new Uint8Array([0, 1, 255]),
        '340282366920938463463374607431768211455',
        new Date(0),
        ['a', 'b'],
        { k: [1] },
        null,
      ],
      [2, new Uint8Array([]), '0', new Date('2026-12-07T10:00:00Z'), [], '"text"', 'ü\u{1F600}'],
    ];
    for (const values of rows) {
      const named = await pg.query(insert, values);
      expect(named.rows).toHaveLength(1);
      await plain('delete from sample where id = $1', [values[0]]);
      expect(await plain(insert, values)).toEqual(named);
    }
    expect(await namedCount(pg, insert)).toBe(1);

    // As drizzle passes them: timestamps kept as text, over PGlite's parsers.
    const asText = { rowMode: 'array' as const, parsers: { 1184: (value: string) => value } };
    const reads: Array<[string, unknown[], QueryOptions?]> = [
      ['select at, amount, body from sample order by id', [], asText],
      ['select * from sample order by id', []],
      ['select id, body, tags from sample where id = any($1) order by id', [[1, 2]], { rowMode: 'array' }],
      ['update sample set note = $1 where id > $2', ['n', 0]],
      ['delete from sample where id = $1', [99]],
      ['select 1 as one where false', []],
    ];
    for (const [text, params, options] of reads) {
      expect(await pg.query(text, params, options), text).toEqual(await plain(text, params, options));
      expect(await pg.query(text, params, options), text).toEqual(await plain(text, params, options));
      expect(await namedCount(pg, text), text).toBe(1);
    }
  });

  it('keeps PostgreSQL’s errors with their statement, and a failed transaction rolls back whole', async () => {
    pg = await openPglite();
    useNamedStatements(pg);
    const insert = 'insert into sample (id, note) values ($1, $2)';
    await pg.query(insert, [1, 'first']);
    const failed = await pg
      .transaction(async (tx) => {
        await tx.query(insert, [2, 'second']);
        await tx.query(insert, [1, 'again']);
      })
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: '23505', query: insert, params: [1, 'again'] });
    expect((await pg.query('select id from sample order by id')).rows).toEqual([{ id: 1 }]);

    await expect(pg.query('select from nowhere where')).rejects.toMatchObject({ code: '42601' });
    await expect(pg.query('select count(*)::int as n from sample')).resolves.toMatchObject({
      rows: [{ n: 1 }],
    });
  });

  it('runs a query outside a transaction after the transaction in progress, as PGlite’s query() does', async () => {
    pg = await openPglite();
    useNamedStatements(pg);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const transaction = pg.transaction(async (tx) => {
      await tx.query('insert into sample (id) values ($1)', [7]);
      order.push('transaction wrote');
      await held;
      order.push('transaction ends');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const outside = pg.query<{ n: number }>('select count(*)::int as n from sample').then((r) => {
      order.push('outside read');
      return r.rows[0]!.n;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await transaction;
    expect(await outside).toBe(1);
    expect(order).toEqual(['transaction wrote', 'transaction ends', 'outside read']);
  });

  it('sends a large Bind on its own, with the same answers and errors', async () => {
    pg = await openPglite();
    const plain = pg.query.bind(pg);
    useNamedStatements(pg);
    const body = new Uint8Array(300_000).map((_, i) => i % 251);
    const insert = 'insert into sample (id, body) values ($1, $2) returning id, body';
    expect((await pg.query(insert, [1, body])).rows).toEqual([{ id: 1, body: Buffer.from(body) }]);
    expect(await pg.query('select body from sample')).toEqual(await plain('select body from sample'));

    // Refused at Bind (not an integer), inside a transaction: the error, the transaction undone,
    // and the connection ready for the next statement.
    const refused = await pg
      .transaction(async (tx) => {
        await tx.query(insert, [2, body]);
        await tx.query('select $1::int as n, $2::bytea as b', ['x'.repeat(100_000), body]);
      })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: '22P02' });
    expect((await pg.query('select id from sample order by id')).rows).toEqual([{ id: 1 }]);
  });

  it('runs texts past its bound unnamed, with the same answers', async () => {
    pg = await openPglite();
    useNamedStatements(pg, { maxNamed: 2 });
    for (let i = 0; i < 5; i++) {
      expect((await pg.query(`select $1::int + ${i} as n`, [1])).rows).toEqual([{ n: 1 + i }]);
      const inTransaction = await pg.transaction((tx) => tx.query(`select $1::int * ${i} as n`, [2]));
      expect(inTransaction.rows).toEqual([{ n: 2 * i }]);
    }
    const { rows } = await pg.query<{ n: number }>(
      `select count(*)::int as n from pg_prepared_statements where name like 'hm_l_%'`,
    );
    expect(rows[0]!.n).toBe(2);
  });
});

describe('PGlite transactions in a turn of their own', () => {
  let pg: PGlite | undefined;
  afterEach(async () => {
    await pg?.close();
    pg = undefined;
  });

  it('runs a statement after the transaction in progress, before the transactions queued behind it', async () => {
    pg = await openPglite();
    useNamedStatements(pg);
    takeTransactionsInTurn(pg);
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const transactions = [1, 2, 3].map((n) =>
      pg!.transaction(async (tx) => {
        order.push(`transaction ${n} begins`);
        await tx.query('insert into sample (id) values ($1)', [n]);
        await new Promise<void>((resolve) => releases.push(resolve));
        order.push(`transaction ${n} ends`);
      }),
    );
    // The first holds the database; the ingress's insert arrives behind all three.
    while (releases.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const statement = pg.query('insert into sample (id) values ($1)', [10]).then(() => {
      order.push('statement');
    });
    for (let n = 0; n < 3; n++) {
      while (releases.length <= n) await new Promise((resolve) => setTimeout(resolve, 10));
      releases[n]!();
    }
    await Promise.all([...transactions, statement]);
    expect(order).toEqual([
      'transaction 1 begins',
      'transaction 1 ends',
      'statement',
      'transaction 2 begins',
      'transaction 2 ends',
      'transaction 3 begins',
      'transaction 3 ends',
    ]);
    // A transaction that fails does not stop the ones behind it.
    const failing = pg.transaction(async () => {
      throw new Error('refused');
    });
    const after = pg.transaction((tx) => tx.query<{ n: number }>('select count(*)::int as n from sample'));
    await expect(failing).rejects.toThrow('refused');
    expect((await after).rows).toEqual([{ n: 4 }]);
  });
});
