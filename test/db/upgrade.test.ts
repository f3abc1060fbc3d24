/**
 * A registry that already holds mail upgrades in place: migrations that add a NOT NULL column to
 * a table with rows must fill it first. Here: 0006 gives every stored submission a delivery
 * digest, so a database from before it still starts, and still recognises a byte-identical
 * re-delivery of a message it already has; 0018 gives outbox rows their recipients' outcomes,
 * on both backends, and mail waiting in the outbox at the upgrade still goes out.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { DatabaseTarget } from '../../src/config/index.ts';
import { type Database, MIGRATIONS_FOLDER, openDatabase, queryRows, tables } from '../../src/db/index.ts';
import { deliveryDigest, storeSubmission } from '../../src/ingress/index.ts';
import { retryFailedMail, startOutboxSender } from '../../src/outbox/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { processSubmission } from '../../src/worker/index.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import { rejectionsOf, templateRows } from '../pipeline/support/outcomes.ts';
import { startSmtpSink } from '../replies/support/smtp-sink.ts';
import { BACKENDS } from '../support/databases.ts';
import { mail } from '../support/stack.ts';
import { quietWorkerContext } from '../support/worker-context.ts';

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
      sql`insert into submissions (id, raw, raw_sha256, message_id, size_bytes, via, envelope_from)
          values ('S-BEFORE', ${raw}, ${rawDigest}, '<before-upgrade@demo-isp.example>', ${raw.length}, 'smtp',
                  'noc@demo-isp.example')`,
    );
    await old.close();

    const upgraded = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const rows = await queryRows<{ id: string; delivery_sha256: string }>(
        upgraded.db,
        sql`select id, delivery_sha256 from submissions`,
      );
      expect(rows).toEqual([{ id: 'S-BEFORE', delivery_sha256: rawDigest }]);
      // The same bytes again from the same client (an MTA that never heard our 250): the stored
      // one, not a second.
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

  /** An empty database on `backend`, migrated by the previous release's migrations (`before`). */
  async function previousRelease(
    backend: (typeof BACKENDS)[number],
    before: string,
  ): Promise<DatabaseTarget> {
    if (backend === 'pglite') {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-upgrade-'));
      dirs.push(dataDir);
      const target: DatabaseTarget = { kind: 'pglite', dataDir };
      const old = await openDatabase(target, { migrate: false });
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(old.db as unknown as Parameters<typeof migrate>[0], { migrationsFolder: before });
      await old.close();
      return target;
    }
    const adminUrl = inject('postgresUrl');
    const name = `upgrade_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
    const target: DatabaseTarget = { kind: 'postgres', url: adminUrl.replace(/\/postgres$/, `/${name}`) };
    const old = await openDatabase(target, { migrate: false });
    const { migrate } = await import('drizzle-orm/node-postgres/migrator');
    await migrate(old.db as unknown as Parameters<typeof migrate>[0], { migrationsFolder: before });
    await old.close();
    return target;
  }

  async function outboxRow(db: Database, messageId: string, state: string, recipients: string) {
    await db.execute(
      sql`insert into outbox (message_id, kind, envelope_from, recipients, raw, state, attempts, last_error)
          values (${messageId}, 'notification', '', ${recipients}::text[],
                  ${`Message-ID: ${messageId}\r\nSubject: notice\r\n\r\nchanged\r\n`}, ${state},
                  ${state === 'failed' ? 10 : 0}, ${state === 'failed' ? '451 mailbox busy' : null})`,
    );
  }

  it.each(BACKENDS)(
    '0018 on %s: outbox rows written before it get no outcomes; a pending one goes to every recipient, a failed one can be retried',
    async (backend) => {
      const before = migrationsUpTo('0017_nets_org_in_address_order');
      dirs.push(before);
      const target = await previousRelease(backend, before);
      const old = await openDatabase(target, { migrate: false });
      await outboxRow(
        old.db,
        '<S1.notify.1.A-ARIN@registry.example>',
        'pending',
        '{a@isp.example,b@isp.example}',
      );
      await outboxRow(old.db, '<S2.notify.1.B-ARIN@registry.example>', 'failed', '{c@isp.example}');
      await outboxRow(old.db, '<S3.reply@registry.example>', 'sent', '{d@isp.example}');
      await old.close();

      const upgraded = await openDatabase(target);
      const relay = await startSmtpSink();
      const sender = startOutboxSender({
        db: upgraded.db,
        transport: { kind: 'smtp', url: relay.url },
        pollMs: 60_000,
      });
      try {
        const rows = await upgraded.db.select().from(tables.outbox).orderBy(tables.outbox.id);
        expect(rows.map((r) => [r.state, r.recipientOutcomes, r.waitsForRelay])).toEqual([
          ['pending', {}, false],
          ['failed', {}, false],
          ['sent', {}, false],
        ]);
        await sender.drain();
        expect(await retryFailedMail(upgraded.db, '<S2.notify.1.B-ARIN@registry.example>')).toBe(true);
        await sender.drain();
        expect(relay.accepted.map((m) => m.rcptTo)).toEqual([
          ['a@isp.example', 'b@isp.example'],
          ['c@isp.example'],
        ]);
        const after = await upgraded.db.select().from(tables.outbox).orderBy(tables.outbox.id);
        expect(after.map((r) => r.state)).toEqual(['sent', 'sent', 'sent']);
      } finally {
        await sender.close();
        await relay.close();
        await upgraded.close();
      }
    },
  );

  it('0023 rewrites supersede keys stored before they carried the kind of change: an old open refusal is closed by the later approval again', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-upgrade-'));
    dirs.push(dataDir);
    const before = migrationsUpTo('0022_nets_name_index');
    dirs.push(before);
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const old = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    await migrate(old.db as unknown as Parameters<typeof migrate>[0], { migrationsFolder: before });
    const seed = validateSeed(DEMO_SEED);
    if (!seed.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(old.db, seed.value);
    if (!seeded.ok) throw new Error(seeded.error.message);

    // Monday's refusals: a range outside Demo ISP's space (read, refused by the registry; known
    // again by its network name and customer) and a country XX (refused at reading: no request).
    const outside = simpleReassignment({ range: '203.0.113.0/29', name: 'DEMO-UPGRADE-RANGE' });
    const country = simpleReassignment({ range: '198.51.100.232/29', name: 'DEMO-UPGRADE-XX' }).replace(
      /(Country Code:) US$/m,
      '$1 XX',
    );
    const refused = [
      await processed(old.db, outside, 'refused-range'),
      await processed(old.db, country, 'refused-country'),
    ];
    const keysNow = new Map<string, readonly string[]>();
    for (const id of refused) {
      const [row] = await templateRows(old.db, id);
      keysNow.set(id, row!.subjects);
      expect((await rejectionsOf(old.db, id)).map((r) => r.state)).toEqual(['open']);
    }
    // Stored as the release before c7bcf20 stored them: `range:...`, no kind, no name key.
    await old.db.execute(
      sql`update submission_templates set subjects = array(
            select regexp_replace(k, '^[a-z-]+:(range:)', '\\1') from unnest(subjects) as k where k !~ ':name:')`,
    );
    expect((await templateRows(old.db, refused[0]!))[0]!.subjects).toEqual(['range:4:3405803776-3405803783']);
    await old.close();

    const upgraded = await openDatabase({ kind: 'pglite', dataDir });
    try {
      // The keys the current code writes, as requestSubjects writes them (the name key of a
      // template refused at reading is not in its stored row: it keeps its range key only).
      expect((await templateRows(upgraded.db, refused[0]!))[0]!.subjects).toEqual(
        [...keysNow.get(refused[0]!)!].sort(),
      );
      expect((await templateRows(upgraded.db, refused[1]!))[0]!.subjects).toEqual(
        keysNow.get(refused[1]!)!.filter((k) => !k.includes(':name:')),
      );
      // The billing system's corrected resends, approved: each closes its old refusal.
      const fixes = [
        await processed(
          upgraded.db,
          simpleReassignment({ range: '198.51.100.224/29', name: 'DEMO-UPGRADE-RANGE' }),
          'fixed-range',
        ),
        await processed(
          upgraded.db,
          simpleReassignment({ range: '198.51.100.232/29', name: 'DEMO-UPGRADE-XX' }),
          'fixed-country',
        ),
      ];
      for (const [i, id] of refused.entries()) {
        expect((await templateRows(upgraded.db, fixes[i]!))[0]!.outcome).toBe('approved');
        expect(await rejectionsOf(upgraded.db, id)).toMatchObject([
          { state: 'superseded', closedBy: 'system', supersededBy: fixes[i] },
        ]);
      }
    } finally {
      await upgraded.close();
    }
  }, 300_000);
});

/** One message of Demo ISP's NOC with the template and its key, stored and run by the worker. */
async function processed(db: Database, template: string, tag: string): Promise<string> {
  const stored = await storeSubmission(db, {
    raw: Buffer.from(
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        messageId: `<${tag}@demo-isp.example>`,
        body: `${template}\n`,
      }),
    ),
    envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
    via: 'smtp',
  });
  if (!stored.ok) throw new Error(stored.error.message);
  await processSubmission(quietWorkerContext(db), stored.value.id);
  return stored.value.id;
}
