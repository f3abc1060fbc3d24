/**
 * A message's transaction plans its statements once per session: its first statement, the lock
 * of the submission, sets `plan_cache_mode = force_generic_plan` for the rest of the transaction
 * (src/worker/run-template.ts, PLANNED_ONCE), and nothing after the transaction keeps it. The
 * sweeper's and the console's statements, whose plans depend on their values, run outside it; on
 * PGlite one session serves them all, so the setting must end with the transaction there too.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Executor, queryRows } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { lockSubmission } from '../../src/worker/run-template.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';

async function planCacheMode(ex: Executor): Promise<string | undefined> {
  const [row] = await queryRows<{ mode: string }>(ex, sql`select current_setting('plan_cache_mode') as mode`);
  return row?.mode;
}

describe.each(BACKENDS)('the plans of a message’s transaction (%s)', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('are kept from the lock to the commit, and PostgreSQL’s own choice is back after it', async () => {
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(
        'From: noc@demo-isp.example\r\nTo: hostmaster@localhost\r\nSubject: x\r\n\r\nhello\r\n',
      ),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    expect(await planCacheMode(database.db)).toBe('auto');

    const inside = await database.db.transaction(async (tx) => {
      const before = await planCacheMode(tx);
      const locked = await lockSubmission(tx, stored.value.id);
      return { before, after: await planCacheMode(tx), state: locked.state };
    });
    expect(inside).toEqual({ before: 'auto', after: 'force_generic_plan', state: 'received' });
    expect(await planCacheMode(database.db)).toBe('auto');

    await expect(
      database.db.transaction(async (tx) => {
        await lockSubmission(tx, stored.value.id);
        throw new Error('undone');
      }),
    ).rejects.toThrow('undone');
    expect(await planCacheMode(database.db)).toBe('auto');
  });
});
