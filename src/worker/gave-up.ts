/**
 * A job that used up all its tries (a bug, a broken database, an outage longer than the backoff)
 * must not sit unseen in Redis with its submission half-way: the message is in the database, but
 * staff would only find it in the queue's dashboard. The last failed try therefore puts it in the
 * rejection queue, as a whole-message rejection with the error, marks the submission `failed`
 * (the sweeper leaves failed submissions alone), and tells the sender that nothing was applied
 * and staff will process it. Staff reprocess it from the console once the cause is fixed; the
 * sender then gets the real reply (a Message-ID of its own). Best effort: when the database itself is the
 * cause, this fails too and the job stays failed in Redis, as before.
 */
import { eq } from 'drizzle-orm';
import { tables } from '../db/index.ts';
import { describeError, type ErrorCode, problem } from '../shared/errors.ts';
import { redactApiKeys } from '../shared/redact.ts';
import type { WorkerContext } from './context.ts';
import { readSubmission, senderCheckFor } from './process-submission.ts';
import { openWholeMessageRejection } from './whole-message-rejection.ts';
import { type Addressing, whomToAnswer } from './whom-to-answer.ts';

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

export async function recordGaveUp(
  ctx: WorkerContext,
  submissionId: string,
  tries: number,
  error: unknown,
): Promise<void> {
  // Decided before the transaction: it may wait on DNS for its budget.
  const addressing = await addressingOf(ctx, submissionId);
  const told = addressing.replyTo
    ? 'the sender was told staff will process it'
    : `the sender was not answered (${addressing.noReply ?? 'nobody to answer'})`;
  const reason = `the worker could not process this message after ${tries} ${tries === 1 ? 'try' : 'tries'} (last error: ${redactApiKeys(describeError(error))}); nothing of it was applied and ${told}. Reprocess it once the cause is fixed.`;
  const answered = await ctx.db.transaction(async (tx) => {
    const [submission] = await tx
      .update(tables.submissions)
      .set({ state: 'failed', refusalCode: GAVE_UP_CODE, refusalMessage: reason })
      .where(eq(tables.submissions.id, submissionId))
      .returning();
    if (!submission) return false;
    await openWholeMessageRejection(
      tx,
      submissionId,
      problem(GAVE_UP_CODE, reason),
      submission.fromAddress ?? null,
    );
    const { replyTo } = addressing;
    if (!replyTo) return false;
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
    return held.length === 0;
  });
  if (answered) ctx.afterCommit();
}
