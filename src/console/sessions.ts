/**
 * Signed-in browsers. The cookie carries 32 random bytes; the table keeps only their SHA-256,
 * so a leaked database dump signs nobody in. Sessions end on sign-out, after 12 hours, or
 * after 2 idle hours; every other session of an account ends when its password is changed
 * (staff-accounts.ts), and all of them on "sign out everywhere" or when the account is removed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, lt, or } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';
import type { StaffUser } from './staff-accounts.ts';

export const SESSION_COOKIE = 'hm_session';
const LIFETIME_MS = 12 * 3600_000;
const IDLE_MS = 2 * 3600_000;
/** last_seen_at is refreshed at most this often, so reading a page is not always a write. */
const TOUCH_MS = 60_000;

export interface Flash {
  readonly kind: 'ok' | 'error';
  readonly text: string;
}

export interface SignedInStaff extends StaffUser {
  readonly tokenDigest: string;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Starts a session for the account whose password was just checked (`checkedHash`) and returns
 * the cookie value; undefined when that password is no longer the account's (changed, or the
 * account removed, between the check and now). The account's row is locked for it, as a password
 * change locks it: a sign-in with the old password cannot add a session after the change ended
 * the others.
 */
export async function openSession(
  db: Database,
  user: StaffUser,
  checkedHash: string,
): Promise<string | undefined> {
  const token = randomBytes(32).toString('base64url');
  const u = tables.staffUsers;
  const opened = await db.transaction(async (tx) => {
    const [account] = await tx
      .select({ hash: u.passwordHash, disabledAt: u.disabledAt })
      .from(u)
      .where(eq(u.id, user.id))
      .for('update');
    if (!account || account.disabledAt !== null || account.hash !== checkedHash) return false;
    await tx.insert(tables.staffSessions).values({
      tokenDigest: digest(token),
      staffUserId: user.id,
      expiresAt: new Date(Date.now() + LIFETIME_MS),
    });
    return true;
  });
  if (!opened) return undefined;
  // Expired sessions of anyone are swept here: signing in is rare enough to carry the cost.
  await db
    .delete(tables.staffSessions)
    .where(
      or(
        lt(tables.staffSessions.expiresAt, new Date()),
        lt(tables.staffSessions.lastSeenAt, new Date(Date.now() - IDLE_MS)),
      ),
    );
  return token;
}

export async function findSession(
  db: Database,
  token: string | undefined,
): Promise<SignedInStaff | undefined> {
  if (!token || token.length > 100) return undefined;
  const s = tables.staffSessions;
  const u = tables.staffUsers;
  const now = Date.now();
  const [row] = await db
    .select({
      tokenDigest: s.tokenDigest,
      lastSeenAt: s.lastSeenAt,
      id: u.id,
      email: u.email,
      mustChangePassword: u.mustChangePassword,
      disabledAt: u.disabledAt,
    })
    .from(s)
    .innerJoin(u, eq(u.id, s.staffUserId))
    .where(
      and(
        eq(s.tokenDigest, digest(token)),
        gt(s.expiresAt, new Date(now)),
        gt(s.lastSeenAt, new Date(now - IDLE_MS)),
      ),
    );
  if (!row || row.disabledAt !== null) return undefined;
  if (now - row.lastSeenAt.getTime() > TOUCH_MS) {
    await db
      .update(s)
      .set({ lastSeenAt: new Date(now) })
      .where(eq(s.tokenDigest, row.tokenDigest));
  }
  return {
    tokenDigest: row.tokenDigest,
    id: row.id,
    email: row.email,
    mustChangePassword: row.mustChangePassword,
  };
}

export async function closeSession(db: Database, tokenDigest: string): Promise<void> {
  await db.delete(tables.staffSessions).where(eq(tables.staffSessions.tokenDigest, tokenDigest));
}

/** Ends every session of an account ("sign out everywhere"); how many there were. */
export async function closeEverySession(db: Database, staffUserId: number): Promise<number> {
  const ended = await db
    .delete(tables.staffSessions)
    .where(eq(tables.staffSessions.staffUserId, staffUserId))
    .returning({ tokenDigest: tables.staffSessions.tokenDigest });
  return ended.length;
}

export async function setFlash(db: Database, tokenDigest: string, flash: Flash): Promise<void> {
  await db
    .update(tables.staffSessions)
    .set({ flash })
    .where(eq(tables.staffSessions.tokenDigest, tokenDigest));
}

/** Reads and clears the one-shot message for this page. */
export async function takeFlash(db: Database, tokenDigest: string): Promise<Flash | undefined> {
  const s = tables.staffSessions;
  const [row] = await db.select({ flash: s.flash }).from(s).where(eq(s.tokenDigest, tokenDigest));
  if (!row?.flash) return undefined;
  await db.update(s).set({ flash: null }).where(eq(s.tokenDigest, tokenDigest));
  return row.flash;
}
