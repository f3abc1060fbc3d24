/**
 * A job that used up all its tries (a bug, a broken database, an outage longer than the backoff)
 * must not sit unseen in Redis with its submission half-way: the message is in the database, but
 * staff would only find it in the queue's dashboard. The last failed try therefore puts it in the
 * rejection queue, as a whole-message rejection with the error, and marks the submission `failed`
 * (the sweeper leaves failed submissions alone). Staff reprocess it from the console once the
 * cause is fixed; the sender is answered then. Best effort: when the database itself is the
 * cause, this fails too and the job stays failed in Redis, as before.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { type Database, tables } from '../db/index.ts';
import type { ErrorCode } from '../shared/errors.ts';
import { redactApiKeys } from '../shared/redact.ts';

export const GAVE_UP_CODE: ErrorCode = 'E_PROCESSING_FAILED';

function describe(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e.message) message = e.message;
    e = e.cause;
  }
  return redactApiKeys(message.split('\n')[0] ?? message);
}

export async function recordGaveUp(
  db: Database,
  submissionId: string,
  tries: number,
  error: unknown,
): Promise<void> {
  const reason = `the worker could not process this message after ${tries} ${tries === 1 ? 'try' : 'tries'} (last error: ${describe(error)}); nothing of it was applied and the sender has not been answered. Reprocess it once the cause is fixed.`;
  await db.transaction(async (tx) => {
    const [submission] = await tx
      .update(tables.submissions)
      .set({ state: 'failed', refusalCode: GAVE_UP_CODE, refusalMessage: reason })
      .where(and(eq(tables.submissions.id, submissionId)))
      .returning({ from: tables.submissions.fromAddress });
    if (!submission) return;
    const open = await tx
      .select({ id: tables.rejections.id })
      .from(tables.rejections)
      .where(and(eq(tables.rejections.submissionId, submissionId), isNull(tables.rejections.templateIndex)));
    const values = { reasonCode: GAVE_UP_CODE, reason, sender: submission.from ?? null };
    if (open[0]) {
      await tx
        .update(tables.rejections)
        .set({ ...values, state: 'open', closedAt: null, closedBy: null })
        .where(eq(tables.rejections.id, open[0].id));
    } else {
      await tx.insert(tables.rejections).values({ submissionId, templateIndex: null, ...values });
    }
  });
}
