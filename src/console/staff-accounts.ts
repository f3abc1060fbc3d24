/**
 * Staff accounts and signing in: who they are, their password, and the throttle that makes
 * guessing passwords slow (sign-in-throttle.ts). Every attempt is recorded, known address or not,
 * in a record kept bounded (login-attempts.ts).
 */
import { and, asc, eq, isNotNull, isNull, ne } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { type LoginAttemptRetention, recordSignInAttempt } from './login-attempts.ts';
import { DECOY_HASH, hashPassword, passwordWeakness, verifyPassword } from './passwords.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';

export interface StaffUser {
  readonly id: number;
  readonly email: string;
  readonly mustChangePassword: boolean;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

export async function createStaffUser(
  db: Database,
  rawEmail: string,
  password: string,
  options: { readonly oneTime: boolean },
): Promise<Result<StaffUser & { readonly reinstatedAfter?: Date }>> {
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
  if (row) return ok({ id: row.id, email: row.email, mustChangePassword: row.mustChangePassword });
  // A removed account is reinstated with the new password (a colleague back, a removal by
  // mistake): the same row, so the audit log's `staff:<email>` stays one person. Its sessions
  // ended at the removal and stay ended; the reinstatement is audited.
  const u = tables.staffUsers;
  return await db.transaction(async (tx) => {
    const [removed] = await tx.select().from(u).where(eq(u.email, email));
    const [back] = removed?.disabledAt
      ? await tx
          .update(u)
          .set({ passwordHash, mustChangePassword: options.oneTime, disabledAt: null })
          .where(and(eq(u.email, email), isNotNull(u.disabledAt)))
          .returning()
      : [];
    if (!back || !removed?.disabledAt)
      return fail(problem('E_STAFF_EXISTS', `a staff account for ${email} already exists and is active`));
    await tx.insert(tables.auditLog).values({
      actor: 'cli:staff add',
      action: 'staff.reinstate',
      objectType: 'staff',
      objectHandle: email,
      note: `reinstated with a new password; removed ${removed.disabledAt.toISOString()}`,
      before: { state: 'removed', removedAt: removed.disabledAt.toISOString() },
      after: { state: 'active' },
    });
    return ok({
      id: back.id,
      email: back.email,
      mustChangePassword: back.mustChangePassword,
      reinstatedAfter: removed.disabledAt,
    });
  });
}

export interface StaffAccount extends StaffUser {
  readonly createdAt: Date;
  /** When the account was removed (it can no longer sign in, nor sign staff jobs); null while active. */
  readonly removedAt: Date | null;
}

/** Every staff account, removed ones too (their names stay in the audit log), by address. */
export async function listStaffAccounts(db: Database): Promise<StaffAccount[]> {
  const u = tables.staffUsers;
  const rows = await db.select().from(u).orderBy(asc(u.email));
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    mustChangePassword: row.mustChangePassword,
    createdAt: row.createdAt,
    removedAt: row.disabledAt,
  }));
}

/**
 * Removes a staff account: it can no longer sign in, its sessions end now, and the worker runs
 * no staff job it signed from then on. The row stays, disabled, so the audit log's `staff:<email>`
 * still names someone the registry knew.
 */
export async function removeStaffAccount(db: Database, rawEmail: string): Promise<Result<StaffAccount>> {
  const email = normaliseEmail(rawEmail);
  const u = tables.staffUsers;
  return await db.transaction(async (tx) => {
    const [removed] = await tx
      .update(u)
      .set({ disabledAt: new Date() })
      .where(and(eq(u.email, email), isNull(u.disabledAt)))
      .returning();
    if (!removed) {
      const [known] = await tx.select().from(u).where(eq(u.email, email));
      return fail(
        known
          ? problem('E_STAFF_REMOVED', `the staff account ${email} was already removed`)
          : problem('E_STAFF_UNKNOWN', `there is no staff account for ${email}`),
      );
    }
    await tx.delete(tables.staffSessions).where(eq(tables.staffSessions.staffUserId, removed.id));
    return ok({
      id: removed.id,
      email: removed.email,
      mustChangePassword: removed.mustChangePassword,
      createdAt: removed.createdAt,
      removedAt: removed.disabledAt,
    });
  });
}

/**
 * Replaces an account's password and ends every other session of the account (a password is
 * changed because it may have leaked: whoever signed in with it is signed out); the session
 * `keepSession` (the one the change was made in, by its digest) stays. How many were ended is
 * said. The account's row is locked as a sign-in's new session locks it (sessions.ts).
 */
export async function changePassword(
  db: Database,
  user: StaffUser,
  current: string,
  next: string,
  keepSession: string,
): Promise<Result<{ readonly user: StaffUser; readonly sessionsEnded: number }>> {
  const [row] = await db.select().from(tables.staffUsers).where(eq(tables.staffUsers.id, user.id));
  if (!row || !(await verifyPassword(current, row.passwordHash))) {
    return fail(problem('E_WRONG_PASSWORD', 'the current password is not right'));
  }
  if (next === current)
    return fail(problem('E_WEAK_PASSWORD', 'choose a password different from the current one'));
  const weakness = passwordWeakness(next, row.email);
  if (weakness) return fail(problem('E_WEAK_PASSWORD', weakness));
  const passwordHash = await hashPassword(next);
  const s = tables.staffSessions;
  const ended = await db.transaction(async (tx) => {
    await tx
      .update(tables.staffUsers)
      .set({ passwordHash, mustChangePassword: false })
      .where(eq(tables.staffUsers.id, user.id));
    return await tx
      .delete(s)
      .where(and(eq(s.staffUserId, user.id), ne(s.tokenDigest, keepSession)))
      .returning({ tokenDigest: s.tokenDigest });
  });
  return ok({ user: { ...user, mustChangePassword: false }, sessionsEnded: ended.length });
}

/**
 * The throttle's counts could not be read or written (Redis away): nobody is signed in then.
 * Told apart from any other failure, which is not Redis's and is not reported as its outage.
 */
export class SignInThrottleUnavailable extends Error {
  constructor(readonly outage: Error) {
    super(`the sign-in throttle is unavailable: ${outage.message}`);
    this.name = 'SignInThrottleUnavailable';
  }
}

/** Why a sign-in was refused; a throttled one also says when to try again. */
export interface SignInRefusal extends Problem {
  readonly retryAfterSeconds?: number;
}

/**
 * Checks an address and password. An attempt the throttle makes wait is refused before its
 * password is checked, and says how long to wait; a wrong password and an unknown address get
 * the same answer. Every attempt is recorded, known address or not.
 */
export async function signIn(
  db: Database,
  rawEmail: string,
  password: string,
  remoteAddress: string,
  throttle: SignInThrottle,
  retention?: LoginAttemptRetention,
): Promise<Result<StaffUser & { readonly checkedHash: string }, SignInRefusal>> {
  const email = normaliseEmail(rawEmail).slice(0, 320);
  const waitMs = await throttle.admit(email, remoteAddress).catch((error: Error) => {
    throw new SignInThrottleUnavailable(error);
  });
  if (waitMs > 0) {
    await recordSignInAttempt(db, { email, succeeded: false, remoteAddress }, retention);
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return fail({
      ...problem(
        'E_SIGN_IN_THROTTLED',
        `too many failed sign-ins for this address or from your network: wait ${seconds} s and try again (this try was not checked)`,
      ),
      retryAfterSeconds: seconds,
    });
  }
  const [row] = await db.select().from(tables.staffUsers).where(eq(tables.staffUsers.email, email));
  const usable = row !== undefined && row.disabledAt === null;
  const matches = await verifyPassword(password, usable ? row.passwordHash : DECOY_HASH);
  const succeeded = usable && matches;
  await recordSignInAttempt(db, { email, succeeded, remoteAddress }, retention);
  if (!succeeded) return fail(problem('E_SIGN_IN_FAILED', 'that e-mail address and password do not match'));
  await throttle.succeeded(email, remoteAddress).catch((error: Error) => {
    throw new SignInThrottleUnavailable(error);
  });
  return ok({
    id: row.id,
    email: row.email,
    mustChangePassword: row.mustChangePassword,
    checkedHash: row.passwordHash,
  });
}
