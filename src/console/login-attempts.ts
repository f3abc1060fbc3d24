/**
 * The record of sign-in attempts, kept bounded. Every attempt is written, one the throttle refused
 * unchecked too (a guessing spell is visible afterwards); but anyone who can reach /login makes
 * attempts, many a second from many addresses, and the table shares its disk with the registry
 * and the mail pipeline. So the record keeps the newest `rows` attempts and none older than
 * `days`: each `sweepEvery`-th attempt (by its id, so every console replica takes its turn
 * without a timer) deletes the rest in one statement, and the table never holds more than
 * `rows + sweepEvery` rows.
 */
import { lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';

export interface LoginAttemptRetention {
  readonly rows: number;
  readonly days: number;
  readonly sweepEvery: number;
}

/**
 * 100,000 attempts and 90 days: months of ordinary use, a bounded flood (~25 MB with the index for
 * ordinary addresses, ~100 MB at most with 320-character ones).
 */
export const DEFAULT_LOGIN_ATTEMPT_RETENTION: LoginAttemptRetention = {
  rows: 100_000,
  days: 90,
  sweepEvery: 1_000,
};

export async function recordSignInAttempt(
  db: Database,
  attempt: { readonly email: string; readonly succeeded: boolean; readonly remoteAddress: string },
  retention: LoginAttemptRetention = DEFAULT_LOGIN_ATTEMPT_RETENTION,
): Promise<void> {
  const attempts = tables.staffLoginAttempts;
  const [row] = await db.insert(attempts).values(attempt).returning({ id: attempts.id });
  if (!row || row.id % retention.sweepEvery !== 0) return;
  await db
    .delete(attempts)
    .where(
      or(
        lt(attempts.id, row.id - retention.rows + 1),
        lt(attempts.at, sql`now() - make_interval(days => ${retention.days})`),
      ),
    );
}
