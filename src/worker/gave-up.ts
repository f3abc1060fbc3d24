/**
 * A job that used up all its tries (a bug, a broken database, an outage longer than the backoff)
 * must not sit unseen in Redis with its submission half-way: the message is in the database, but
 * staff would only find it in the queue's dashboard. The last failed try therefore puts it in the
 * rejection queue, as a whole-message rejection with the error, and marks the submission `failed`
 * (the sweeper leaves failed submissions alone). Staff reprocess it from the console once the
 * cause is fixed; the sender is answered then. Best effort: when the database itself is the
 * cause, this fails too and the job stays failed in Redis, as before.
 */
import { eq } from 'drizzle-orm';
import { type Database, tables } from '../db/index.ts';
import { describeError, type ErrorCode, problem } from '../shared/errors.ts';
import { redactApiKeys } from '../shared/redact.ts';
import { openWholeMessageRejection } from './whole-message-rejection.ts';

export const GAVE_UP_CODE: ErrorCode = 'E_PROCESSING_FAILED';

export async function recordGaveUp(
  db: Database,
  submissionId: string,
  tries: number,
  error: unknown,
): Promise<void> {
  const reason = `the worker could not process this message after ${tries} ${tries === 1 ? 'try' : 'tries'} (last error: ${redactApiKeys(describeError(error))}); nothing of it was applied and the sender has not been answered. Reprocess it once the cause is fixed.`;
  await db.transaction(async (tx) => {
    const [submission] = await tx
      .update(tables.submissions)
      .set({ state: 'failed', refusalCode: GAVE_UP_CODE, refusalMessage: reason })
      .where(eq(tables.submissions.id, submissionId))
      .returning({ from: tables.submissions.fromAddress });
    if (submission) {
      await openWholeMessageRejection(
        tx,
        submissionId,
        problem(GAVE_UP_CODE, reason),
        submission.from ?? null,
      );
    }
  });
}
