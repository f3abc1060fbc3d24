/**
 * The embedded database in a thread of its own (pglite-thread.ts), as the daemon opens it: what
 * the daemon's statements get back is what they get from PGlite in the process (rows with our
 * codecs, errors with their SQLSTATE, transactions committed or rolled back, named statements),
 * commits outlive a reopening, and a thread that ends unasked fails what waits and says so.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, queryRows } from './database.ts';
import { openDatabase } from './open.ts';
import { openPgliteThread, startPgliteThread, type ThreadedPGlite } from './pglite-thread.ts';

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

  // Two databases made and each opened twice (a limit of its own): initdb alone takes seconds on
  // a busy machine.
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
      // Its first statement refused: the statement's error, nothing of the transaction kept.
      seen.push(
        await db
          .transaction(async (tx) => {
            await tx.execute(sql`insert into probe values (5, null, null)`);
            await tx.execute(sql`insert into probe values (1, null, null)`);
          })
          .catch(sqlState),
      );
      seen.push(
        await db
          .transaction(async (tx) => {
            await tx.execute(sql`insert into probe values (2, null, null)`);
          })
          .catch(sqlState),
      );
      // Nothing sent before it was given up.
      seen.push(
        await db
          .transaction(async () => {
            throw new Error('nothing to take back');
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
      '23505',
      '23505',
      'nothing to take back',
      [{ n: 1 }, { n: 2 }, { n: 4 }],
      [{ n: 3 }],
    ]);
  }, 240_000);

  it('carries a 10 MiB value both ways', async () => {
    const { db } = await open(tempDir(), true);
    const big = Buffer.alloc(10 * 1024 * 1024, 7);
    big[big.length - 1] = 9;
    const [row] = await queryRows<{ raw: Buffer }>(db, sql`select ${big}::bytea as raw`);
    expect(row?.raw.equals(big)).toBe(true);
  });

  it('goes to the thread once a statement in a transaction, BEGIN riding with the first', async () => {
    const { db } = await open(tempDir(), true);
    const client = (db as unknown as { $client: ThreadedPGlite }).$client;
    await db.execute(sql`create table trips (n int)`);
    const twoStatements = () =>
      db.transaction(async (tx) => {
        await tx.execute(sql`insert into trips values (1)`);
        return queryRows<{ n: number }>(tx, sql`select count(*)::int as n from trips`);
      });
    // The first run names its statements (a trip each, once).
    await twoStatements();
    const before = client.trips;
    expect(await twoStatements()).toEqual([{ n: 2 }]);
    // BEGIN with the insert, the select, COMMIT; PGlite's own way also sends BEGIN and the Syncs
    // after BEGIN and COMMIT on their own: six.
    expect(client.trips - before).toBe(3);
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

  it("crashes the process by default: a daemon whose database's thread ended exits, it does not hang", async () => {
    const dataDir = tempDir();
    const script = path.join(dataDir, 'daemon.mts');
    fs.writeFileSync(
      script,
      [
        `import { openPgliteThread, startPgliteThread } from ${JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'pglite-thread.ts')).href)};`,
        `const thread = startPgliteThread(${JSON.stringify(path.join(dataDir, 'db'))});`,
        'const client = await openPgliteThread("", { thread });',
        // As a daemon's listeners would, this keeps the process alive.
        'setInterval(() => {}, 1000);',
        "await client.query('select 1');",
        'await thread.terminate();',
        "await client.query('select 1').catch(() => {});",
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/the embedded database's thread ended/);
  });
});
