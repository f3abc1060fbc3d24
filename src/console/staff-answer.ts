/**
 * A written answer from staff to the customer, put in the outbox in the same transaction as
 * the dismissal it explains, so the answer is sent exactly when the dismissal is committed.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Config } from '../config/index.ts';
import type { Transaction } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { headerRecipients, holdsKey, redactApiKeys } from '../replies/redact.ts';
import { fail, ok, problem, type Result } from '../shared/errors.ts';

export interface StaffAnswer {
  readonly submissionId: string;
  readonly rejectionId: number;
  /** Who the customer wrote as (From, else the envelope sender). */
  readonly to: string;
  readonly originalSubject: string | null;
  readonly originalMessageId: string;
  readonly text: string;
}

function addressOf(mailbox: string): string {
  return (/<([^>]+)>/.exec(mailbox)?.[1] ?? mailbox).trim().toLowerCase();
}

/** Refuses to write to nobody, to a bounce address, or to ourselves (a mail loop). */
export function answerRecipient(
  config: Config,
  fromAddress: string | null,
  envelopeFrom: string,
): Result<string> {
  const to = addressOf(fromAddress || envelopeFrom || '');
  if (!to.includes('@')) {
    return fail(problem('E_NO_RECIPIENT', 'the submission has no sender address to answer'));
  }
  if (config.hostmasterAddresses.includes(to) || to === addressOf(config.replies.from)) {
    return fail(problem('E_NO_RECIPIENT', `the sender ${to} is our own address: an answer would loop`));
  }
  if (/^(mailer-daemon|postmaster)@/i.test(to)) {
    return fail(problem('E_NO_RECIPIENT', `the sender ${to} is a bounce address`));
  }
  return ok(to);
}

export async function queueStaffAnswer(
  tx: Transaction,
  config: Config,
  answer: StaffAnswer,
): Promise<string> {
  const from = config.replies.from;
  const host = addressOf(from).split('@')[1] ?? 'localhost';
  // Stable, like every outbox Message-ID: a retried dismissal adds no second answer.
  const messageId = `<${answer.submissionId}.staff.${answer.rejectionId}@${host}>`;
  // A billing system may build its Message-IDs, Subjects or addresses from its key, and staff
  // may paste one into the answer: no header or line of ours carries it.
  const original =
    answer.originalMessageId && !holdsKey(answer.originalMessageId)
      ? `<${answer.originalMessageId.replace(/^<|>$/g, '')}>`
      : undefined;
  const subject = answer.originalSubject
    ? `Re: ${redactApiKeys(answer.originalSubject).replace(/^(re:\s*)+/i, '')}`
    : 'Your submission';
  const raw = await new MailComposer({
    from,
    to: headerRecipients(answer.to),
    subject,
    text: redactApiKeys(answer.text),
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
