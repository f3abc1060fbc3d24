/**
 * A transaction flushed `later` (durable-later.ts): on the embedded database its commit syncs no
 * file, and the next synchronous commit syncs once for both, or, with none, the WAL writer's check
 * (pglite-wal-writer.ts); a PostgreSQL server keeps its own setting (synchronous). What a kill does to such a commit is test/pipeline/lost-async-commit.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPostgresDatabase } from '../../test/support/databases.ts';
import { queryRows, type Transaction } from './database.ts';
import { transactionFlushed, writeFlushedLater } from './durable-later.ts';
import { openDatabase } from './open.ts';

const synchronousCommit = async (tx: Transaction) =>
  (await queryRows<{ setting: string }>(tx, sql`select current_setting('synchronous_commit') as setting`))[0]
    ?.setting;

describe('transactions flushed later', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('on PGlite: a later commit syncs nothing, the next synchronous one syncs both', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-later-'));
    dirs.push(dataDir);
    const handle = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    try {
      await handle.db.execute(sql`create table later_probe (n int)`);
      const syncs = vi.spyOn(fs, 'fdatasyncSync');
      const settings: (string | undefined)[] = [];
      await transactionFlushed(handle.db, 'later', async (tx) => {
        settings.push(await synchronousCommit(tx));
        await tx.execute(sql`insert into later_probe values (1)`);
      });
      await writeFlushedLater(handle.db, (ex) => ex.execute(sql`insert into later_probe values (0)`));
      expect(syncs).not.toHaveBeenCalled();
      await transactionFlushed(handle.db, 'at-commit', async (tx) => {
        settings.push(await synchronousCommit(tx));
        await tx.execute(sql`insert into later_probe values (2)`);
      });
      expect(settings).toEqual(['off', 'on']);
      const afterBoth = syncs.mock.calls.length;
      expect(afterBoth).toBeGreaterThan(0);
      // The setting was the transaction's own: an insert on its own commits synchronously.
      await handle.db.execute(sql`insert into later_probe values (3)`);
      expect(syncs.mock.calls.length).toBeGreaterThan(afterBoth);
    } finally {
      await handle.close();
    }
    const again = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    try {
      const rows = await queryRows<{ n: number }>(again.db, sql`select n from later_probe order by n`);
      expect(rows.map((r) => r.n)).toEqual([0, 1, 2, 3]);
    } finally {
      await again.close();
    }
  }, 180_000);

  it('on PGlite: a later commit with no synchronous one after it is flushed all the same (its WAL writer)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-later-'));
    dirs.push(dataDir);
    const handle = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    try {
      await handle.db.execute(sql`create table later_probe (n int)`);
      const syncs = vi.spyOn(fs, 'fdatasyncSync');
      await transactionFlushed(handle.db, 'later', async (tx) => {
        await tx.execute(sql`insert into later_probe values (1)`);
      });
      const [written] = await queryRows<{ lsn: string }>(
        handle.db,
        sql`select pg_current_wal_insert_lsn()::text as lsn`,
      );
      const flushed = async () =>
        (
          await queryRows<{ flushed: boolean }>(
            handle.db,
            sql`select pg_current_wal_flush_lsn() >= ${written!.lsn}::pg_lsn as flushed`,
          )
        )[0]?.flushed;
      const deadline = Date.now() + 20_000;
      while (!(await flushed())) {
        if (Date.now() > deadline) throw new Error('the later commit was not flushed within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(syncs).toHaveBeenCalled();
    } finally {
      await handle.close();
    }
  }, 180_000);

  it('on PostgreSQL: the server flushes in its own processes, the commit stays synchronous', async () => {
    // The suite's server commits asynchronously (it is thrown away): this database's sessions do not.
    const url = new URL(await createPostgresDatabase());
    url.searchParams.set('options', '-c synchronous_commit=on');
    const handle = await openDatabase({ kind: 'postgres', url: url.toString() }, { migrate: false });
    try {
      const setting = await transactionFlushed(handle.db, 'later', synchronousCommit);
      expect(setting).toBe('on');
      // A statement that may be flushed later stays a statement: no transaction around it.
      // (Its transaction began with it: a BEGIN before it would have begun earlier.)
      const alone = await writeFlushedLater(handle.db, async (ex) =>
        queryRows<{ alone: boolean }>(ex, sql`select now() = statement_timestamp() as alone`),
      );
      expect(alone).toEqual([{ alone: true }]);
    } finally {
      await handle.close();
    }
  }, 120_000);
});
