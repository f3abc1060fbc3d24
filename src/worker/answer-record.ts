/**
 * What the worker records for a message that answers our mail (answers-to-us.ts): its links to
 * the tickets and submissions it answers, and, when it holds no template, a row for staff
 * (E_ANSWER_TO_OUR_MAIL, shown in the console's triage tab) and one acknowledgement to the sender
 * (RECEIVED; once per ticket and address, see acknowledgedBefore), under the same rules as every
 * answer: whom we may answer (whom-to-answer.ts: no bounce, auto-reply or list, a forged sender
 * answered only at an address that proved itself) and the per-recipient limit.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import { enqueueOutbox } from '../outbox/index.ts';
import { problem } from '../shared/index.ts';
import { type AnsweredMail, acknowledgedBefore, describeAnswer } from './answers-to-us.ts';
import type { WorkerContext } from './context.ts';
import { ANSWER_TO_US_CODE } from './decision-codes.ts';
import type { ReadSubmission } from './process-submission.ts';
import { openWholeMessageRejection } from './whole-message-rejection.ts';

/** Links the message to what it answers (replacing the links of an earlier run). */
export async function recordLinks(
  tx: Transaction,
  submissionId: string,
  answered: AnsweredMail,
): Promise<void> {
  await tx.delete(tables.messageLinks).where(eq(tables.messageLinks.submissionId, submissionId));
  if (answered.links.length === 0) return;
  await tx.insert(tables.messageLinks).values(answered.links.map((link) => ({ submissionId, ...link })));
}

/**
 * The tickets the acknowledgement may name: those the sender was a party to (our mail about it
 * went to the sender's address, or it is a ticket of the sender's own account). A ticket number
 * anyone can type; confirming another account's ticket would tell the sender it exists (tickets
 * are sequential) and that the message answers mail we sent them. Staff see every ticket named.
 */
async function ticketsOfParty(
  tx: Transaction,
  read: ReadSubmission,
  answered: AnsweredMail,
): Promise<string[]> {
  const account = (read.requester ?? read.keyHolder)?.accountId;
  const submissions = [
    ...new Set(answered.links.flatMap((l) => (l.answersSubmissionId ? [l.answersSubmissionId] : []))),
  ];
  const ownSubmissions =
    account === undefined || submissions.length === 0
      ? new Set<string>()
      : new Set(
          (
            await tx
              .select({ id: tables.submissions.id })
              .from(tables.submissions)
              .where(
                and(inArray(tables.submissions.id, submissions), eq(tables.submissions.accountId, account)),
              )
          ).map((r) => r.id),
        );
  const party = answered.links.filter(
    (l) =>
      l.senderWasRecipient || (l.answersSubmissionId !== null && ownSubmissions.has(l.answersSubmissionId)),
  );
  return [...new Set(party.flatMap((l) => (l.ticketNumber ? [l.ticketNumber] : [])))];
}

/**
 * Links the message, opens its row for staff, and queues the acknowledgement (unless told not
 * to: a staff reprocess, whose sender already had one). Returns the message as answered: a
 * held acknowledgement leaves nobody answered, and staff read why.
 */
export async function recordAnswerToUs(
  ctx: WorkerContext,
  tx: Transaction,
  read: ReadSubmission,
  answered: AnsweredMail,
  options: { readonly acknowledge: boolean },
): Promise<ReadSubmission> {
  const { submission } = read;
  await recordLinks(tx, submission.id, answered);
  const headers = read.mail?.headers;
  const due = options.acknowledge && read.replyTo !== undefined && !answered.answersAcknowledgement;
  const toldBefore =
    due && read.replyTo ? await acknowledgedBefore(tx, answered, submission.id, read.replyTo) : undefined;
  const mails =
    due && read.replyTo && !toldBefore
      ? [
          ctx.composeAcknowledgement({
            submissionId: submission.id,
            ...(headers?.messageId ? { originalMessageId: headers.messageId } : {}),
            ...(headers?.references.length ? { originalReferences: headers.references } : {}),
            originalSubject: headers?.subject ?? submission.subject ?? '',
            to: read.replyTo,
            ...(read.authenticated ? {} : { withoutOriginalText: true }),
            tickets: await ticketsOfParty(tx, read, answered),
          }),
        ]
      : [];
  // Counted for every recipient, the requester's own address too: an acknowledgement answers no
  // request, and a limit is the last guard against a conversation with a machine.
  const { sent, held } = await ctx.limitMail(mails);
  const answeredRead: ReadSubmission =
    held.length > 0 && sent.length === 0 ? { ...read, replyTo: undefined, noReply: held.join('; ') } : read;
  const unanswered = answered.answersAcknowledgement
    ? 'it answers our acknowledgement, which is not acknowledged again'
    : toldBefore
      ? `${answeredRead.replyTo} already had our acknowledgement of an answer about ${[...new Set(toldBefore)].join(', ')}: one per ticket and address`
      : answeredRead.replyTo
        ? undefined
        : (answeredRead.noReply ?? 'nobody to answer');
  const reason = `${describeAnswer(answered)}${unanswered ? ` (not answered: ${unanswered})` : ''}`;
  const sender = headers?.from?.address ?? submission.fromAddress ?? null;
  await openWholeMessageRejection(tx, submission.id, problem(ANSWER_TO_US_CODE, reason), sender);
  await enqueueOutbox(tx, sent, submission.id);
  return answeredRead;
}
