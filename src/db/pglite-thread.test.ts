/**
 * The embedded database in a thread of its own (pglite-thread.ts), as the daemon opens it: what
 * the daemon's statements get back is what they get from PGlite in the process (rows with our
 * codecs, errors with their SQLSTATE, transactions committed or rolled back, named statements),
 * commits outlive a reopening, and a thread that ends unasked fails what waits and says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, queryRows } from './database.ts';
import { openDatabase } from './open.ts';
import { openPgliteThread, startPgliteThread } from './pglite-thread.ts';

/** What drizzle's wrapped error carries of PostgreSQL's. */
const sqlState = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code;

describe('the embedded database in a thread of its own', () => {
  const dirs: string[] = [];
  const handles: DatabaseHandle[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-thread-'));
    dirs.push(dir);
    return dir;
  };
  const open = async (dataDir: string, ownThread: boolean) => {
    const handle = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false, ownThread });
    handles.push(handle);
    return handle;
  };

  it('answers as PGlite in the process does: rows, codecs, errors, transactions', async () => {
    const dir = tempDir();
    const answers: unknown[][] = [];
    for (const ownThread of [false, true]) {
      const dataDir = path.join(dir, String(ownThread));
      const { db, close } = await open(dataDir, ownThread);
      const seen: unknown[] = [];
      await db.execute(sql`create table probe (n int primary key, raw bytea, tags text[])`);
      // The same text twice: the second run is a named statement (pglite-statements.ts).
      for (const n of [1, 2]) {
        await db.execute(
          sql`insert into probe values (${n}, ${Buffer.from([0, n, 255])}, ${sql.raw(`ARRAY['a','b${n}']`)})`,
        );
      }
      seen.push(await queryRows(db, sql`select n, raw, tags from probe order by n`));
      seen.push(await db.execute(sql`insert into probe values (1, null, null)`).catch(sqlState));
      seen.push(
        await db
          .transaction(async (tx) => {
            await tx.execute(sql`insert into probe values (3, null, null)`);
            throw new Error('taken back');
          })
          .catch((error: Error) => error.message),
      );
      await db.transaction(async (tx) => {
        await tx.execute(sql`insert into probe values (4, null, null)`);
      });
      seen.push(await queryRows(db, sql`select n from probe order by n`));
      await close();
      handles.pop();
      // What was committed is there after a reopening.
      const again = await open(dataDir, ownThread);
      seen.push(await queryRows(again.db, sql`select count(*)::int as n from probe`));
      answers.push(seen);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[1]).toEqual([
      [
        { n: 1, raw: Buffer.from([0, 1, 255]), tags: ['a', 'b1'] },
        { n: 2, raw: Buffer.from([0, 2, 255]), tags: ['a', 'b2'] },
      ],
      '23505',
      'taken back',
      [{ n: 1 }, { n: 2 }, { n: 4 }],
      [{ n: 3 }],
    ]);
  });

  it('carries a 10 MiB value both ways', async () => {
    const { db } = await open(tempDir(), true);
    const big = Buffer.alloc(10 * 1024 * 1024, 7);
    big[big.length - 1] = 9;
    const [row] = await queryRows<{ raw: Buffer }>(db, sql`select ${big}::bytea as raw`);
    expect(row?.raw.equals(big)).toBe(true);
  });

  it('fails what waits and says so when its thread ends unasked', async () => {
    const dataDir = tempDir();
    const thread = startPgliteThread(dataDir);
    const lost: Error[] = [];
    const client = await openPgliteThread(dataDir, { thread, onLost: (error) => lost.push(error) });
    await client.query('select 1');
    await thread.terminate();
    await expect(client.query('select 1')).rejects.toThrow(/embedded database's thread ended/);
    expect(lost).toHaveLength(1);
    await client.close();
  });
});
