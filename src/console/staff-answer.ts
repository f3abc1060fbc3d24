/**
 * A written answer from staff to the customer, put in the outbox in the same transaction as
 * the dismissal it explains, so the answer is sent exactly when the dismissal is committed.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Config } from '../config/index.ts';
import type { AnswerTrust, Submission, Transaction } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { crlfLines, headerRecipients, oneLine, threadingFields } from '../replies/index.ts';
import { fail, ok, problem, type Result, redactApiKeys } from '../shared/index.ts';

export interface StaffAnswer {
  readonly submissionId: string;
  readonly rejectionId: number;
  /** Whom the worker's rules answer (see staffAnswerTarget). */
  readonly to: string;
  /**
   * The sender proved who they are: their Subject is quoted and the answer threads to their
   * message. Otherwise an attacker's Subject or Message-ID is not carried to a verified third
   * party (a forged From aligned by nobody never gets this far: nobody is answered).
   */
  readonly authenticated: boolean;
  readonly originalSubject: string | null;
  readonly originalMessageId: string;
  readonly text: string;
  /** Tells apart a second answer on one rejection (an undo's): part of its Message-ID. */
  readonly label?: string;
}

/** Where a staff answer to a submission would go, as the worker decided for its own answers. */
export interface StaffAnswerTarget {
  readonly to: string;
  readonly trust: Exclude<AnswerTrust, 'none'>;
}

type AnsweredSubmission = Pick<Submission, 'answerTo' | 'answerTrust' | 'answerWithheld'>;

function addressOf(mailbox: string): string {
  return (/<([^>]+)>/.exec(mailbox)?.[1] ?? mailbox).trim().toLowerCase();
}

/**
 * The worker's own decision (src/worker/whom-to-answer.ts, recorded on the submission row): a
 * staff answer goes where a reply would, so a forged From or Reply-To naming a victim does not
 * make staff mail the victim either. The console asks no DNS: a submission the worker has not
 * decided for is answered by nobody. Our own and bounce addresses are refused again as a guard.
 */
export function staffAnswerTarget(config: Config, submission: AnsweredSubmission): Result<StaffAnswerTarget> {
  if (submission.answerTrust === null) {
    return fail(
      problem(
        'E_NO_RECIPIENT',
        'the worker has not decided whom this message may be answered at (no verified sender address is recorded)',
      ),
    );
  }
  if (submission.answerTrust === 'none' || !submission.answerTo) {
    return fail(
      problem(
        'E_NO_RECIPIENT',
        `the sender may not be answered: ${submission.answerWithheld ?? 'no verified sender address'}`,
      ),
    );
  }
  const to = addressOf(submission.answerTo);
  if (!to.includes('@')) {
    return fail(problem('E_NO_RECIPIENT', 'the submission has no sender address to answer'));
  }
  if (config.hostmasterAddresses.includes(to) || to === addressOf(config.replies.from)) {
    return fail(problem('E_NO_RECIPIENT', `the sender ${to} is our own address: an answer would loop`));
  }
  if (/^(mailer-daemon|postmaster)@/i.test(to)) {
    return fail(problem('E_NO_RECIPIENT', `the sender ${to} is a bounce address`));
  }
  return ok({ to, trust: submission.answerTrust });
}

/** The stable Message-ID of a staff answer: a retried dismissal adds no second answer (nor a second count). */
export function staffAnswerMessageId(
  config: Config,
  submissionId: string,
  rejectionId: number,
  label?: string,
): string {
  const host = addressOf(config.replies.from).split('@')[1] ?? 'localhost';
  return `<${submissionId}.staff.${rejectionId}${label ? `.${label}` : ''}@${host}>`;
}

export async function queueStaffAnswer(
  tx: Transaction,
  config: Config,
  answer: StaffAnswer,
): Promise<string> {
  const from = config.replies.from;
  // Stable, like every outbox Message-ID: a retried dismissal adds no second answer.
  const messageId = staffAnswerMessageId(config, answer.submissionId, answer.rejectionId, answer.label);
  // A billing system may build its Message-IDs, Subjects or addresses from its key, and staff
  // may paste one into the answer: no header or line of ours carries it.
  // threadingFields: the one rule of every answer's threading (an id we cannot write is in neither field).
  const original = answer.authenticated ? threadingFields(answer.originalMessageId).inReplyTo : undefined;
  const subject =
    answer.authenticated && answer.originalSubject
      ? `Re: ${oneLine(answer.originalSubject).replace(/^(re:\s*)+/i, '')}`
      : `Re: your message ${answer.submissionId}`;
  const raw = await new MailComposer({
    from,
    to: headerRecipients(answer.to),
    subject,
    // crlfLines: no line break but CRLF (a NEL or LS pasted from the customer's mail is shown).
    text: crlfLines(redactApiKeys(answer.text)),
    messageId,
    newline: 'win',
    ...(original ? { inReplyTo: original, references: original } : {}),
    headers: { 'X-Hostmaster-Submission': answer.submissionId },
  })
    .compile()
    .build();
  await tx
    .insert(tables.outbox)
    .values({
      messageId,
      submissionId: answer.submissionId,
      kind: 'staff',
      // The null sender, as for every mail we generate: a bounce must not come back as a submission.
      envelopeFrom: '',
      recipients: [answer.to],
      raw: raw.toString('utf8'),
    })
    .onConflictDoNothing();
  return messageId;
}
