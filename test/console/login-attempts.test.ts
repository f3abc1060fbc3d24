/**
 * The record of sign-in attempts stays bounded however many are made: anyone who reaches /login
 * writes a row a try (throttled tries too), and the table shares its disk with the registry.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSignInAttempt } from '../../src/console/login-attempts.ts';
import {
  DEFAULT_SIGN_IN_THROTTLE,
  memoryAttemptCounter,
  signInThrottle,
} from '../../src/console/sign-in-throttle.ts';
import { signIn } from '../../src/console/staff-accounts.ts';
import { tables } from '../../src/db/index.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';

const RETENTION = { rows: 50, days: 90, sweepEvery: 10 } as const;

describe.each(BACKENDS)('sign-in attempts on %s', (backend) => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await openTestDatabase(backend);
  });
  afterAll(async () => handle?.close());

  const count = async () =>
    (await handle.db.select({ n: sql<number>`count(*)::int` }).from(tables.staffLoginAttempts))[0]!.n;

  it('keeps the newest attempts of a flood of random addresses, never more than the bound', async () => {
    const throttle = signInThrottle(memoryAttemptCounter(), DEFAULT_SIGN_IN_THROTTLE);
    for (let i = 0; i < 150; i++) {
      await signIn(handle.db, `guess-${i}@x.example`, 'wrong', '203.0.113.9', throttle, RETENTION);
      expect(await count()).toBeLessThanOrEqual(RETENTION.rows + RETENTION.sweepEvery);
    }
    // Most of the flood was throttled unchecked and is still on record, up to the bound.
    const newest = await handle.db
      .select({ email: tables.staffLoginAttempts.email })
      .from(tables.staffLoginAttempts)
      .orderBy(sql`id desc`)
      .limit(1);
    expect(newest[0]?.email).toBe('guess-149@x.example');
    expect(await count()).toBeGreaterThanOrEqual(RETENTION.rows);
  });

  it('forgets attempts older than the retention days at the next sweep', async () => {
    await handle.db.execute(sql`update staff_login_attempts set at = now() - interval '91 days'`);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < RETENTION.sweepEvery; i++)
      await recordSignInAttempt(
        handle.db,
        { email: 'fresh@x.example', succeeded: false, remoteAddress: '192.0.2.1' },
        RETENTION,
      );
    const left = await handle.db
      .select({ email: tables.staffLoginAttempts.email })
      .from(tables.staffLoginAttempts);
    expect(left.length).toBeLessThanOrEqual(RETENTION.sweepEvery);
    expect(new Set(left.map((r) => r.email))).toEqual(new Set(['fresh@x.example']));
  });
});
