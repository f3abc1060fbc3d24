/**
 * Staff accounts and signing in: who they are, their password, and the lock-out that makes
 * guessing passwords slow. Every attempt is recorded, known address or not.
 */
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/errors.ts';
import { DECOY_HASH, hashPassword, passwordWeakness, verifyPassword } from './passwords.ts';

export interface StaffUser {
  readonly id: number;
  readonly email: string;
  readonly mustChangePassword: boolean;
}

export interface LockoutPolicy {
  /** Failures within `windowMs` (since the last success) that lock an address out. */
  readonly maxFailures: number;
  readonly windowMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, windowMs: 15 * 60_000 };

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

export async function createStaffUser(
  db: Database,
  rawEmail: string,
  password: string,
  options: { readonly oneTime: boolean },
): Promise<Result<StaffUser>> {
  const email = normaliseEmail(rawEmail);
  if (!EMAIL.test(email)) return fail(problem('E_STAFF_EMAIL', `"${rawEmail}" is not an e-mail address`));
  if (!options.oneTime) {
    const weakness = passwordWeakness(password, email);
    if (weakness) return fail(problem('E_WEAK_PASSWORD', weakness));
  }
  const passwordHash = await hashPassword(password);
  const inserted = await db
    .insert(tables.staffUsers)
    .values({ email, passwordHash, mustChangePassword: options.oneTime })
    .onConflictDoNothing()
    .returning();
  const row = inserted[0];
  if (!row) return fail(problem('E_STAFF_EXISTS', `a staff account for ${email} already exists`));
  return ok({ id: row.id, email: row.email, mustChangePassword: row.mustChangePassword });
}

export async function changePassword(
  db: Database,
  user: StaffUser,
  current: string,
  next: string,
): Promise<Result<StaffUser>> {
  const [row] = await db.select().from(tables.staffUsers).where(eq(tables.staffUsers.id, user.id));
  if (!row || !(await verifyPassword(current, row.passwordHash))) {
    return fail(problem('E_WRONG_PASSWORD', 'the current password is not right'));
  }
  if (next === current)
    return fail(problem('E_WEAK_PASSWORD', 'choose a password different from the current one'));
  const weakness = passwordWeakness(next, row.email);
  if (weakness) return fail(problem('E_WEAK_PASSWORD', weakness));
  await db
    .update(tables.staffUsers)
    .set({ passwordHash: await hashPassword(next), mustChangePassword: false })
    .where(eq(tables.staffUsers.id, user.id));
  return ok({ ...user, mustChangePassword: false });
}

/** Failures since the last success within the window: how close the address is to lock-out. */
async function recentFailures(db: Database, email: string, policy: LockoutPolicy): Promise<number> {
  const since = new Date(Date.now() - policy.windowMs);
  const a = tables.staffLoginAttempts;
  const [row] = await db
    .select({
      failures: sql<number>`count(*) filter (where not ${a.succeeded} and ${a.at} > coalesce(
        (select max(s.at) from staff_login_attempts s where s.email = ${email} and s.succeeded), 'epoch'))`.mapWith(
        Number,
      ),
    })
    .from(a)
    .where(and(eq(a.email, email), gt(a.at, since)));
  return row?.failures ?? 0;
}

/**
 * Checks an address and password. A locked-out address is refused even with the right
 * password, and says so; a wrong password and an unknown address get the same answer.
 */
export async function signIn(
  db: Database,
  rawEmail: string,
  password: string,
  remoteAddress: string,
  policy: LockoutPolicy = DEFAULT_LOCKOUT,
): Promise<Result<StaffUser, Problem>> {
  const email = normaliseEmail(rawEmail).slice(0, 320);
  if ((await recentFailures(db, email, policy)) >= policy.maxFailures) {
    await db.insert(tables.staffLoginAttempts).values({ email, succeeded: false, remoteAddress });
    const minutes = Math.round(policy.windowMs / 60_000);
    return fail(
      problem(
        'E_LOCKED_OUT',
        `too many failed sign-ins for this address: it is locked for ${minutes} minutes after the last attempt`,
      ),
    );
  }
  const [row] = await db.select().from(tables.staffUsers).where(eq(tables.staffUsers.email, email));
  const usable = row !== undefined && row.disabledAt === null;
  const matches = await verifyPassword(password, usable ? row.passwordHash : DECOY_HASH);
  const succeeded = usable && matches;
  await db.insert(tables.staffLoginAttempts).values({ email, succeeded, remoteAddress });
  if (!succeeded) return fail(problem('E_SIGN_IN_FAILED', 'that e-mail address and password do not match'));
  return ok({ id: row.id, email: row.email, mustChangePassword: row.mustChangePassword });
}
