/**
 * A registry that already holds mail upgrades in place: migrations that add a NOT NULL column to
 * a table with rows must fill it first. Here: 0006 gives every stored submission a delivery
 * digest, so a database from before it still starts, and still recognises a byte-identical
 * re-delivery of a message it already has.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, openDatabase, queryRows } from '../../src/db/index.ts';
import { deliveryDigest, storeSubmission } from '../../src/ingress/index.ts';

interface Journal {
  entries: { idx: number; tag: string }[];
}

/** The migrations folder as it was up to (and with) `lastTag`. */
function migrationsUpTo(lastTag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-migrations-'));
  fs.cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as Journal;
  const last = journal.entries.findIndex((e) => e.tag === lastTag);
  if (last < 0) throw new Error(`no migration ${lastTag}`);
  journal.entries = journal.entries.slice(0, last + 1);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

describe('upgrading a database that holds submissions', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('0006 fills the delivery digest of stored submissions; a re-delivery of one is still recognised', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-upgrade-'));
    dirs.push(dataDir);
    const before = migrationsUpTo('0005_used_dkim_signatures');
    dirs.push(before);
    const raw = Buffer.from(
      'From: <noc@demo-isp.example>\r\nMessage-ID: <before-upgrade@demo-isp.example>\r\n\r\nhello\r\n',
    );
    const rawDigest = createHash('sha256').update(raw).digest('hex');

    // The database as the previous release left it, with one message stored.
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const old = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    await migrate(old.db as unknown as Parameters<typeof migrate>[0], { migrationsFolder: before });
    await old.db.execute(
      sql`insert into submissions (id, raw, raw_sha256, message_id, size_bytes, via)
          values ('S-BEFORE', ${raw}, ${rawDigest}, '<before-upgrade@demo-isp.example>', ${raw.length}, 'smtp')`,
    );
    await old.close();

    const upgraded = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const rows = await queryRows<{ id: string; delivery_sha256: string }>(
        upgraded.db,
        sql`select id, delivery_sha256 from submissions`,
      );
      expect(rows).toEqual([{ id: 'S-BEFORE', delivery_sha256: rawDigest }]);
      // The same bytes again (an MTA that never heard our 250): the stored one, not a second.
      const again = await storeSubmission(upgraded.db, {
        raw,
        envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
        via: 'smtp',
      });
      expect(again).toMatchObject({ ok: true, value: { id: 'S-BEFORE', duplicate: true } });
      // New rows get the real digest.
      const stored = await storeSubmission(upgraded.db, {
        raw: Buffer.from(raw.toString().replace('hello', 'after')),
        envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
        via: 'smtp',
      });
      if (!stored.ok) throw new Error(stored.error.message);
      const [fresh] = await queryRows<{ delivery_sha256: string }>(
        upgraded.db,
        sql`select delivery_sha256 from submissions where id = ${stored.value.id}`,
      );
      expect(fresh?.delivery_sha256).toBe(
        deliveryDigest(Buffer.from(raw.toString().replace('hello', 'after'))),
      );
    } finally {
      await upgraded.close();
    }
  });
});
