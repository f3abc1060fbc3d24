import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BACKENDS,
  createPostgresDatabase,
  openTestDatabase,
  type TestDatabase,
} from '../../test/support/databases.ts';
import { openDatabase, queryRows, tables } from './index.ts';

describe.each(BACKENDS)('database on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database.close();
  });

  it('has every table of the design', async () => {
    const rows = await queryRows<{ table_name: string }>(
      database.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const names = rows.map((r) => r.table_name);
    for (const t of [
      'orgs',
      'pocs',
      'org_pocs',
      'customers',
      'nets',
      'accounts',
      'api_keys',
      'submissions',
      'submission_templates',
      'tickets',
      'rejections',
      'audit_log',
      'outbox',
    ]) {
      expect(names).toContain(t);
    }
  });

  it('keeps 128-bit addresses as numbers and raw bytes exactly', async () => {
    await database.db.insert(tables.orgs).values({ handle: 'X-1', name: 'X', city: 'Y', country: 'US' });
    const end = (1n << 128n) - 1n;
    await database.db.insert(tables.nets).values({
      handle: 'NET6-0-1',
      name: 'ALL',
      version: 6,
      startAddress: 0n,
      endAddress: end,
      type: 'direct_allocation',
      orgHandle: 'X-1',
    });
    const [net] = await database.db.select().from(tables.nets);
    expect(net?.endAddress).toBe(end);
    const raw = Buffer.from([0xff, 0x00, 0xe9, 0x0d, 0x0a]);
    await database.db
      .insert(tables.submissions)
      .values({ id: 's1', raw, rawSha256: 'x', deliverySha256: 'x', sizeBytes: 5, via: 'stdin' });
    const [sub] = await database.db.select().from(tables.submissions);
    expect(Buffer.compare(sub!.raw, raw)).toBe(0);
  });
});

describe('migrations', () => {
  it('run at start-up and are idempotent on PostgreSQL, even when two processes start together', async () => {
    const url = await createPostgresDatabase();
    // The clone is already migrated; migrating again (twice at once) must change nothing.
    const [a, b] = await Promise.all([
      openDatabase({ kind: 'postgres', url }),
      openDatabase({ kind: 'postgres', url }),
    ]);
    const rows = await queryRows<{ n: string }>(
      a.db,
      sql`select count(*)::text as n from drizzle.__drizzle_migrations`,
    );
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    await a.close();
    await b.close();
  });

  it('run on a new PGlite directory, reopen without change, and refuse a second opener', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-lite-'));
    try {
      const first = await openDatabase({ kind: 'pglite', dataDir: dir });
      await first.db.insert(tables.orgs).values({ handle: 'KEEP-1', name: 'K', city: 'C', country: 'US' });
      await expect(openDatabase({ kind: 'pglite', dataDir: dir })).rejects.toThrow(/E_DATABASE_LOCKED/);
      await first.close();
      const again = await openDatabase({ kind: 'pglite', dataDir: dir });
      const rows = await again.db.select().from(tables.orgs);
      expect(rows.map((r) => r.handle)).toEqual(['KEEP-1']);
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
