/**
 * Mail about a POC validation (src/validation's recogniser): a reply to a validation mail, or a
 * delivery report for one. Decided before the message is taken for a submission of templates,
 * so "CORRECT" under a quoted validation mail is an answer, not a message without a template.
 * A message that also holds templates is run as any other (a POC template M validates its POC
 * when applied, see run-template.ts).
 */
import { eq } from 'drizzle-orm';
import { type Submission, type Transaction, tables } from '../db/index.ts';
import { type ExtractedMail, textWithInlineForwards } from '../mail/index.ts';
import { enqueueOutbox } from '../outbox/index.ts';
import { replyMessageId, sameAddress } from '../replies/index.ts';
import {
  type AnswerVerdict,
  answerByMail,
  composeValidationAnswer,
  hostnameOf,
  recogniseValidationMail,
  recordBounce,
  type ValidationMail,
} from '../validation/index.ts';
import type { WorkerContext } from './context.ts';
import type { ReadSubmission } from './process-submission.ts';
import { lockSubmission } from './run-template.ts';
import { openWholeMessageRejection } from './whole-message-rejection.ts';
import { answerRecord, replyDecision } from './whom-to-answer.ts';

/** Machine mail that quotes a validation mail is no answer from the POC. */
const AUTOMATIC = new Set([
  'null-sender',
  'mailer-daemon',
  'delivery-report',
  'auto-submitted',
  'bulk-precedence',
  'mailing-list',
  'our-own-address',
  'our-own-reply',
]);

function validationMailOf(ctx: WorkerContext, read: ReadSubmission): ValidationMail | undefined {
  if (!read.mail || read.templates.length > 0) return undefined;
  return validationMailIn(ctx, read.submission, read.mail);
}

function validationMailIn(
  ctx: WorkerContext,
  submission: Submission,
  mail: ExtractedMail,
): ValidationMail | undefined {
  const decision = replyDecision(ctx, submission);
  const { headers } = mail;
  return recogniseValidationMail({
    inReplyTo: headers.inReplyTo,
    references: headers.references,
    contentType: headers.contentType,
    // Quotes written into the text (an Outlook reply's) are the mail room's forwards: its token counts.
    text: textWithInlineForwards(mail),
    raw: submission.raw.toString('latin1'),
    automatic: !decision.reply && AUTOMATIC.has(decision.reason),
  });
}

/** Whether a message without templates is an answer to a POC validation mail (or its delivery report). */
export function isAboutValidation(ctx: WorkerContext, submission: Submission, mail: ExtractedMail): boolean {
  return validationMailIn(ctx, submission, mail) !== undefined;
}

/**
 * Handles the message if it is about a validation; false when it is not (or names a validation
 * we do not know and quotes no token): the caller then runs it as any other mail.
 */
export async function handleValidationMail(ctx: WorkerContext, read: ReadSubmission): Promise<boolean> {
  const recognised = validationMailOf(ctx, read);
  if (!recognised) return false;
  const { submission } = read;
  const handled = await ctx.db.transaction(async (tx) => {
    const locked = await lockSubmission(tx, submission.id);
    if (locked.state === 'done') return true;
    if (recognised.kind === 'bounce') {
      const verdicts = await recordBounce(tx, recognised, { submissionId: submission.id });
      for (const v of verdicts) {
        ctx.logger.info(
          { submissionId: submission.id, poc: v.handle, flagged: v.flagged.length, invalid: v.invalid },
          'validation mail bounced',
        );
        ctx.metrics?.validationEvent?.('bounced');
      }
      await markDone(tx, submission, read);
      return true;
    }
    const now = new Date();
    const verdicts = await answerByMail(tx, recognised, {
      submissionId: submission.id,
      now,
      sender: {
        from: read.mail?.headers.from?.address,
        accountId: read.requester?.accountId,
        // The address DKIM or SPF vouched for: an authenticated requester's own, else the
        // verified address an unauthenticated sender is answered at (never a Reply-To).
        verified: read.authenticated ? read.ownAddress : read.replyTo,
      },
    });
    const [verdict, ...others] = verdicts;
    if (!verdict) return false;
    const { to, pocOwn } = answerAddress(
      ctx,
      read,
      verdicts.flatMap((v) => v.pocEmails ?? []),
    );
    const outcomeOf = (v: AnswerVerdict) =>
      v.ok
        ? { validated: true as const, validUntil: v.validUntil }
        : { validated: false as const, problem: v.problem };
    const raw = to
      ? composeValidationAnswer({
          submissionId: submission.id,
          to,
          messageId: replyMessageId(submission.id, hostnameOf(ctx.config)),
          // Threaded only for a sender who proved who they are, or the POC's own address (it
          // holds the mail): nothing an unproven sender wrote goes out (docs/reply-format.md).
          ...(read.mail?.headers.messageId && (read.authenticated || pocOwn)
            ? { inReplyTo: read.mail.headers.messageId }
            : {}),
          ...(verdict.handle ? { handle: verdict.handle } : {}),
          outcome: outcomeOf(verdict),
          // Every other POC the answer named, each said: nothing it named is passed over in silence.
          others: others.map((v) => ({ ...(v.handle ? { handle: v.handle } : {}), outcome: outcomeOf(v) })),
          from: ctx.config.replies.from,
          date: now,
        })
      : undefined;
    const mail = raw
      ? {
          messageId: replyMessageId(submission.id, hostnameOf(ctx.config)),
          kind: 'reply' as const,
          envelopeFrom: '' as const,
          recipients: [to!],
          raw,
        }
      : undefined;
    const { sent, held } = mail ? await ctx.limitMail([mail], read.ownAddress) : { sent: [], held: [] };
    if (sent.length > 0) {
      await enqueueOutbox(tx, sent, submission.id);
    }
    const refused = verdicts.filter((v): v is Extract<AnswerVerdict, { ok: false }> => !v.ok);
    if (refused.length > 0) {
      const unanswered =
        sent.length > 0 ? '' : ` (not answered: ${held[0] ?? read.noReply ?? 'nobody to answer'})`;
      // One row for the message: an unclear answer first (staff decide it), each POC's sentence in it.
      const lead = refused.find((v) => v.problem.code === 'E_VALIDATION_UNCLEAR') ?? refused[0]!;
      const message = refused
        .map((v) =>
          refused.length > 1 && v.handle ? `POC ${v.handle}: ${v.problem.message}` : v.problem.message,
        )
        .join('; ');
      await openWholeMessageRejection(
        tx,
        submission.id,
        { ...lead.problem, message: `${message}${unanswered}` },
        read.mail?.headers.from?.address ?? submission.fromAddress ?? null,
      );
    }
    for (const v of verdicts) {
      if (v.ok && !v.alreadyValid) ctx.metrics?.validationEvent?.('answered');
      ctx.logger.info(
        {
          submissionId: submission.id,
          poc: v.handle,
          validated: v.ok,
          code: v.ok ? undefined : v.problem.code,
          answered: sent.length > 0,
        },
        'validation answer handled',
      );
    }
    await markDone(tx, submission, read);
    return true;
  });
  if (handled) ctx.afterCommit();
  return handled;
}

/**
 * Whom the answer goes to: the sender when it writes from one of the POC's own addresses (a
 * registered address, and it holds the mail's token or Message-ID: no backscatter), else whom
 * the usual rules answer (docs/reply-format.md, "Whom we answer"); never mail that may not be
 * answered at all.
 */
function answerAddress(
  ctx: WorkerContext,
  read: ReadSubmission,
  pocEmails: readonly string[],
): { readonly to: string | undefined; readonly pocOwn: boolean } {
  const decision = replyDecision(ctx, read.submission);
  if (!decision.reply) return { to: undefined, pocOwn: false };
  const from = read.mail?.headers.from?.address;
  if (from && pocEmails.some((e) => sameAddress(e, from))) return { to: from, pocOwn: true };
  return { to: read.replyTo, pocOwn: false };
}

async function markDone(tx: Transaction, submission: Submission, read: ReadSubmission): Promise<void> {
  await tx
    .update(tables.submissions)
    .set({ state: 'done', processedAt: new Date(), ...answerRecord(read) })
    .where(eq(tables.submissions.id, submission.id));
}
