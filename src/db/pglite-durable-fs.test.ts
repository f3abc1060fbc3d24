/**
 * The embedded database syncs what it commits (pglite-durable-fs.ts): PostgreSQL runs with
 * fsync on and syncs its WAL by fsync, and each of those fsyncs reaches the real file's
 * descriptor, so a committed message is on disk when the ingress answers 250. A power cut cannot
 * be staged here; what is checked is that every commit asks the disk, and that the files hold
 * what was committed when the database is opened again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { queryRows } from './database.ts';
import { openDatabase } from './open.ts';

describe('the embedded database on disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs PostgreSQL with fsync on, and each commit syncs a file of the data directory', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-durable-'));
    dirs.push(dataDir);
    const handle = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const settings = await queryRows<{ name: string; setting: string }>(
        handle.db,
        sql`select name, setting from pg_settings where name in ('fsync', 'wal_sync_method') order by name`,
      );
      expect(settings).toEqual([
        { name: 'fsync', setting: 'on' },
        { name: 'wal_sync_method', setting: 'fsync' },
      ]);
      await handle.db.execute(sql`create table durable_probe (n int)`);
      // A file's data by fdatasync (its times left out), a directory by fsync.
      const synced = [vi.spyOn(fs, 'fdatasyncSync'), vi.spyOn(fs, 'fsyncSync')];
      const syncs = () => synced.reduce((n, spy) => n + spy.mock.calls.length, 0);
      for (let n = 1; n <= 3; n++) {
        const before = synced[0]!.mock.calls.length;
        await handle.db.transaction(async (tx) => {
          await tx.execute(sql`insert into durable_probe values (${n})`);
        });
        expect(synced[0]!.mock.calls.length, `commit ${n} synced no file`).toBeGreaterThan(before);
      }
      expect(syncs()).toBeGreaterThan(0);
    } finally {
      await handle.close();
    }
    const again = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    try {
      const rows = await queryRows<{ n: number }>(again.db, sql`select n from durable_probe order by n`);
      expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);
    } finally {
      await again.close();
    }
  }, 180_000);
});
