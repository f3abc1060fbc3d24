/**
 * The queue's paging: keyset on (created_at, id), so rows sharing a timestamp are neither lost
 * nor repeated, and a deep page of 100,000 rejections is read through the index like page one.
 */
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countByReason,
  encodeCursor,
  listRejections,
  PAGE_SIZE,
  rejectionPageQuery,
} from '../../src/console/rejection-queue.ts';
import { type Database, tables } from '../../src/db/index.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';

async function insertSubmission(db: Database, id: string): Promise<void> {
  await db.insert(tables.submissions).values({
    id,
    raw: Buffer.from('Subject: x\r\n\r\nbody'),
    rawSha256: id,
    deliverySha256: id,
    sizeBytes: 17,
    via: 'smtp',
    subject: 'SWIP API-1111-2222-3333-4444',
  });
}

/** `count` rejections in one statement; every third shares one timestamp, to test ties. */
async function insertRejections(db: Database, submissionId: string, count: number): Promise<void> {
  await db.execute(sql`
    insert into rejections (submission_id, template_index, reason_code, reason, form, sender, created_at, state)
    select ${submissionId}, g,
      case g % 3 when 0 then 'E_NO_PARENT_NET' when 1 then 'E_PREFIX_TOO_SMALL' else 'E_NOT_AUTHORIZED' end,
      'reason ' || g,
      case g % 2 when 0 then 'ARIN-REASSIGN-SIMPLE' else 'ARIN-NET-MOD' end,
      'billing' || (g % 7) || '@cust' || (g % 5) || '.example',
      case when g % 3 = 0 then timestamptz '2026-11-01 12:00:00.123456+00'
           else timestamptz '2026-11-01 00:00:00+00' + g * interval '1 second' end,
      case when g % 10 = 0 then 'dismissed' else 'open' end
    from generate_series(1, ${count}) as g`);
}

describe.each(BACKENDS)('rejection queue on %s', (backend) => {
  let handle: TestDatabase;

  beforeAll(async () => {
    handle = await openTestDatabase(backend);
    await insertSubmission(handle.db, 'S-small');
    await insertRejections(handle.db, 'S-small', 300);
  });
  afterAll(async () => handle?.close());

  it('pages newest first through every open row exactly once, ties included', async () => {
    const seen: number[] = [];
    let after: string | undefined;
    let previous: { at: number; id: number } | undefined;
    do {
      const page = await listRejections(handle.db, { state: 'open' }, after);
      for (const row of page.rows) {
        const at = row.createdAt.getTime();
        if (previous) expect(at < previous.at || (at === previous.at && row.id < previous.id)).toBe(true);
        previous = { at, id: row.id };
        seen.push(row.id);
      }
      after = page.next;
    } while (after);
    expect(seen).toHaveLength(270);
    expect(new Set(seen).size).toBe(270);
  });

  it('filters by reason, form, sender and day, and counts per reason', async () => {
    const page = await listRejections(handle.db, {
      state: 'open',
      reasonCode: 'E_PREFIX_TOO_SMALL',
      form: 'arin-reassign',
      sender: 'BILLING3@',
    });
    expect(page.rows.length).toBeGreaterThan(0);
    for (const row of page.rows) {
      expect(row.reasonCode).toBe('E_PREFIX_TOO_SMALL');
      expect(row.form).toBe('ARIN-REASSIGN-SIMPLE');
      expect(row.sender).toMatch(/^billing3@/);
      expect(row.subject).toBe('SWIP API-****-****-****-4444');
    }
    const none = await listRejections(handle.db, { state: 'open', fromDay: '2026-11-02' });
    expect(none.rows).toHaveLength(0);
    const oneDay = await listRejections(handle.db, {
      state: 'all',
      fromDay: '2026-11-01',
      toDay: '2026-11-01',
    });
    expect(oneDay.rows).toHaveLength(PAGE_SIZE);
    expect(await countByReason(handle.db, { state: 'open' })).toEqual([
      { reasonCode: 'E_NOT_AUTHORIZED', count: 90 },
      { reasonCode: 'E_NO_PARENT_NET', count: 90 },
      { reasonCode: 'E_PREFIX_TOO_SMALL', count: 90 },
    ]);
  });

  it('hides a key in any form in the subject, the reason and the sender it lists', async () => {
    await insertSubmission(handle.db, 'S-keys');
    await handle.db
      .update(tables.submissions)
      .set({ subject: 'SWIP API=2D1111=2D2222=2D3333=2D4444' })
      .where(eq(tables.submissions.id, 'S-keys'));
    await handle.db.insert(tables.rejections).values({
      submissionId: 'S-keys',
      reasonCode: 'E_KEYS_HIDDEN',
      reason: 'refused: <API-1111-2222-3333-4444>',
      sender: 'API-1111-2222-3333-4444@cust.example',
    });
    const page = await listRejections(handle.db, { state: 'open', reasonCode: 'E_KEYS_HIDDEN' });
    expect(page.rows).toHaveLength(1);
    const shown = JSON.stringify(page.rows[0]);
    expect(shown).not.toMatch(/1111.?2222|2222.?3333/);
    expect(shown).toContain('API-****-****-****-4444');
  });

  it('pages through every open row exactly once sorted by sender, by reason and oldest first', async () => {
    const open = (await countByReason(handle.db, { state: 'open' })).reduce((n, c) => n + c.count, 0);
    for (const sort of ['sender', 'reason', 'oldest'] as const) {
      const seen: number[] = [];
      let after: string | undefined;
      let previousKey = '';
      do {
        const page = await listRejections(handle.db, { state: 'open', sort }, after);
        for (const row of page.rows) {
          const key =
            sort === 'sender' ? (row.sender ?? '').toLowerCase() : sort === 'reason' ? row.reasonCode : '';
          expect(key >= previousKey).toBe(true);
          previousKey = key;
          seen.push(row.id);
        }
        // The cursor (a link on the page) carries the row's time and id, never its sender.
        if (page.next) expect(Buffer.from(page.next, 'base64url').toString()).toMatch(/^\["[^"]+",\d+\]$/);
        after = page.next;
      } while (after);
      expect(new Set(seen).size).toBe(open);
      expect(seen).toHaveLength(open);
    }
  });

  it('ignores a cursor that is not one of ours', async () => {
    const page = await listRejections(handle.db, { state: 'open' }, 'not-a-cursor');
    expect(page.rows).toHaveLength(PAGE_SIZE);
  });
});

describe('rejection queue with 100,000 rows (PostgreSQL)', () => {
  let handle: TestDatabase;

  beforeAll(async () => {
    handle = await openTestDatabase('postgres');
    await insertSubmission(handle.db, 'S-big');
    await insertRejections(handle.db, 'S-big', 100_000);
    await handle.db.execute(sql`analyze rejections`);
  }, 60_000);
  afterAll(async () => handle?.close());

  it('reads page one and a deep page through the (state, created_at, id) index', async () => {
    const first = await listRejections(handle.db, { state: 'open' });
    expect(first.rows).toHaveLength(PAGE_SIZE);
    expect(first.next).toBeDefined();

    const r = tables.rejections;
    const [deep] = await handle.db
      .select({ at: sql<string>`${r.createdAt}::text`, id: r.id })
      .from(r)
      .where(sql`${r.state} = 'open'`)
      .orderBy(sql`${r.createdAt} desc, ${r.id} desc`)
      .offset(80_000)
      .limit(2);
    const cursor = encodeCursor({ at: deep!.at, id: deep!.id });
    const page = await listRejections(handle.db, { state: 'open' }, cursor);
    expect(page.rows).toHaveLength(PAGE_SIZE);
    expect(page.rows[0]!.id).not.toBe(deep!.id);

    // Page one and the deep page, the reason as written and as a person types it.
    for (const [filters, after] of [
      [{ state: 'open' as const }, cursor],
      [{ state: 'open' as const, reasonCode: 'E_NO_PARENT_NET' }, cursor],
      [{ state: 'open' as const, reasonCode: 'no parent net' }, undefined],
      [{ state: 'open' as const, reasonCode: 'no parent net' }, cursor],
    ] as const) {
      const query = rejectionPageQuery(handle.db, filters, after).toSQL();
      const client = new pg.Client({
        connectionString: handle.target.kind === 'postgres' ? handle.target.url : '',
      });
      await client.connect();
      try {
        const plan = await client.query(`explain ${query.sql}`, query.params as unknown[]);
        const text = plan.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
        expect(text).toMatch(/Index (Only )?Scan( Backward)? using rejections_(state_created|reason)_idx/);
        expect(text).not.toMatch(/Seq Scan on rejections/);
      } finally {
        await client.end();
      }
    }
  });
});
