/**
 * A job that failed for good (its tries used up by a bug, a broken database or an outage longer
 * than the backoff; its workers killed under it more than WORKER_MAX_STALLED_COUNT times) must
 * not sit unseen in Redis with its submission half-way: the message is in the database, but
 * staff would only find it in the queue's dashboard. It is put in the rejection queue, as a
 * whole-message rejection with the error, its submission marked `failed`, and the sender told
 * that nothing was applied and staff will process it. Staff reprocess it from the console once
 * the cause is fixed; the sender then gets the real reply (a Message-ID of its own).
 *
 * Several paths get here for one failure: the last try itself, the worker's 'failed' event (the
 * only one for a job failed for stalling, which BullMQ fails without running it), and the
 * sweeper (a `give-up` job) when neither could write, the database being down or the worker
 * killed. Only a submission still `received` or `processing` is given up, under its row lock, so
 * they record one rejection and one reply between them, and never undo a finished message.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { tables } from '../db/index.ts';
import { describeError, type ErrorCode, problem, redactApiKeys } from '../shared/index.ts';
import type { WorkerContext } from './context.ts';
import { readSubmission, senderCheckFor } from './process-submission.ts';
import { openWholeMessageRejection } from './whole-message-rejection.ts';
import { type Addressing, answerRecord, whomToAnswer } from './whom-to-answer.ts';

export const GAVE_UP_CODE: ErrorCode = 'E_PROCESSING_FAILED';

/** What the sender is told: no internal detail (that is for staff), what happened and what follows. */
const SENDER_TEXT =
  'your message could not be processed because of a problem on our side; nothing in it was applied. Hostmaster staff have been told and will process it; you will get another reply then. There is no need to send it again.';

/**
 * Whom to tell, by the same rules as every answer (src/worker/whom-to-answer.ts): the message is
 * read again for its key; when reading it is what fails, from the stored envelope and head
 * alone, where only a sender verified by DKIM or SPF is answered. When even that cannot be
 * decided, nobody.
 */
async function addressingOf(ctx: WorkerContext, submissionId: string): Promise<Addressing> {
  const [submission] = await ctx.db
    .select()
    .from(tables.submissions)
    .where(eq(tables.submissions.id, submissionId));
  if (!submission) return { replyTo: undefined, noReply: 'the submission is gone', authenticated: false };
  try {
    return await readSubmission(ctx, submission);
  } catch {
    // Reading it is what failed: the head and the envelope still decide.
  }
  try {
    return await whomToAnswer(ctx, submission, undefined, senderCheckFor(ctx, submission));
  } catch (error) {
    return {
      replyTo: undefined,
      noReply: `could not decide whom to answer (${describeError(error)})`,
      authenticated: false,
    };
  }
}

export interface GaveUpOptions {
  /**
   * The sweeper's give-up: only when no whole-message rejection exists. A job failed long ago
   * stays failed in Redis, and once staff reprocess its message (state `received` again, while
   * the staff job runs) that old failure must not be given up on a second time; it was recorded
   * with the rejection staff acted on.
   */
  readonly unlessRejected?: boolean;
}

/** Returns whether this call gave the submission up (false: already handled, by another path). */
export async function recordGaveUp(
  ctx: WorkerContext,
  submissionId: string,
  tries: number,
  error: unknown,
  options: GaveUpOptions = {},
): Promise<boolean> {
  // Decided before the transaction: it may wait on DNS for its budget.
  const addressing = await addressingOf(ctx, submissionId);
  const told = addressing.replyTo
    ? 'the sender was told staff will process it'
    : `the sender was not answered (${addressing.noReply ?? 'nobody to answer'})`;
  const reason = `the worker could not process this message after ${tries} ${tries === 1 ? 'try' : 'tries'} (last error: ${redactApiKeys(describeError(error))}); nothing of it was applied and ${told}. Reprocess it once the cause is fixed.`;
  const outcome = await ctx.db.transaction(async (tx) => {
    if (options.unlessRejected) {
      const [rejected] = await tx
        .select({ id: tables.rejections.id })
        .from(tables.rejections)
        .where(and(eq(tables.rejections.submissionId, submissionId), isNull(tables.rejections.templateIndex)))
        .limit(1);
      if (rejected) return 'left';
    }
    // A second path waits here on the first one's row lock, then finds the state changed.
    const [submission] = await tx
      .update(tables.submissions)
      .set({
        state: 'failed',
        refusalCode: GAVE_UP_CODE,
        refusalMessage: reason,
        ...answerRecord(addressing),
      })
      .where(
        and(
          eq(tables.submissions.id, submissionId),
          inArray(tables.submissions.state, ['received', 'processing']),
        ),
      )
      .returning();
    if (!submission) return 'left';
    await openWholeMessageRejection(
      tx,
      submissionId,
      problem(GAVE_UP_CODE, reason),
      submission.fromAddress ?? null,
    );
    const { replyTo } = addressing;
    if (!replyTo) return 'given up';
    const held = await ctx.enqueueReply(
      tx,
      {
        submissionId,
        ...(submission.messageId ? { originalMessageId: submission.messageId } : {}),
        originalSubject: submission.subject ?? '',
        to: replyTo,
        ...(addressing.authenticated ? {} : { withoutOriginalText: true }),
        refusal: problem(GAVE_UP_CODE, SENDER_TEXT),
        templates: [],
      },
      'gave-up',
      addressing.ownAddress,
    );
    return held.length === 0 ? 'answered' : 'given up';
  });
  if (outcome === 'answered') ctx.afterCommit();
  return outcome !== 'left';
}
