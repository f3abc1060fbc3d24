/**
 * Mail the relay refused for good, or that used its attempts (outbox rows `failed`): work for
 * staff, listed on its own page (`/undelivered`, counted on the queue page) and on its
 * submission's page, each with "send again". A retry is a staff action like the others: a note
 * for the audit log, a CSRF token, and an audit row `console.retry-mail` committed with the row
 * made due again (src/outbox's retryFailedMail: only the recipients that did not get it are
 * sent it; those the relay took keep their `sent` outcome).
 */
import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { retryFailedMail } from '../outbox/index.ts';
import { checkNote } from './actions.ts';
import { hideKeys, hideKeysIn } from './key-hiding.ts';
import type { Flash } from './sessions.ts';
import type { StaffUser } from './staff-accounts.ts';

/** The page lists this many, newest first; the count says how many there are in all. */
export const UNDELIVERED_PAGE = 100;

export interface UndeliveredMail {
  readonly id: number;
  readonly messageId: string;
  readonly submissionId: string | null;
  readonly kind: string;
  /** The recipients the mail did not reach (a row's others got it). */
  readonly failedRecipients: readonly string[];
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
}

type OutboxRow = typeof tables.outbox.$inferSelect;

/** The recipients a failed row did not reach: every one the relay has not taken. */
export function notReached(row: Pick<OutboxRow, 'recipients' | 'recipientOutcomes'>): string[] {
  return row.recipients.filter((address) => row.recipientOutcomes[address]?.state !== 'sent');
}

export async function countUndelivered(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(tables.outbox)
    .where(eq(tables.outbox.state, 'failed'));
  return row?.n ?? 0;
}

export async function listUndelivered(db: Database): Promise<UndeliveredMail[]> {
  const o = tables.outbox;
  const rows = await db
    .select()
    .from(o)
    .where(eq(o.state, 'failed'))
    .orderBy(desc(o.id))
    .limit(UNDELIVERED_PAGE);
  return rows.map((row) =>
    hideKeysIn({
      id: row.id,
      messageId: row.messageId,
      submissionId: row.submissionId,
      kind: row.kind,
      failedRecipients: notReached(row),
      attempts: row.attempts,
      lastError: row.lastError,
      createdAt: row.createdAt,
    }),
  );
}

/**
 * Sends a failed outbox row again, from a fresh count of attempts, to the recipients it did not
 * reach; the audit row and the row made due commit together. Where the mail belongs (its
 * submission, when it has one) comes back for the page to return to.
 */
export async function retryUndelivered(
  db: Database,
  staff: StaffUser,
  outboxId: number,
  input: { readonly note: string },
): Promise<{ readonly flash: Flash; readonly submissionId?: string | null }> {
  const note = checkNote(input.note);
  if (!note.ok) return { flash: { kind: 'error', text: `Not sent again: ${note.error.message}.` } };
  const o = tables.outbox;
  return await db.transaction(async (tx) => {
    const [row] = await tx.select().from(o).where(eq(o.id, outboxId)).for('update');
    if (!row) return { flash: { kind: 'error', text: `Mail ${outboxId} does not exist.` } };
    if (row.state !== 'failed') {
      return {
        submissionId: row.submissionId,
        flash: {
          kind: 'error',
          text: `Not sent again: mail ${row.messageId} is ${row.state}, not failed (someone sent it again already, or it is still being tried). Reload the page.`,
        },
      };
    }
    const recipients = notReached(row);
    await retryFailedMail(tx, row.messageId);
    await tx.insert(tables.auditLog).values({
      actor: `staff:${staff.email}`,
      action: 'console.retry-mail',
      objectType: 'outbox',
      objectHandle: row.messageId,
      submissionId: row.submissionId,
      note: note.value,
      before: { state: 'failed', attempts: row.attempts, lastError: row.lastError },
      after: { state: 'pending', recipients },
    });
    return {
      submissionId: row.submissionId,
      flash: {
        kind: 'ok',
        text: hideKeys(
          `Mail ${row.messageId} is queued to be sent again to ${recipients.join(', ')}; the page shows when it is sent.`,
        ).text,
      },
    };
  });
}
