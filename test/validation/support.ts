/**
 * Validation mails and their answers as the stack's SMTP sink catches them: the mails a round
 * sent (by POC), the answer to one submission read into a typed object, and the mails a POC
 * writes back (a reply, a delivery report).
 */
import { simpleParser } from 'mailparser';
import { VALIDATION_STATUSES, type ValidationStatus } from '../../src/validation/mail.ts';
import type { CaughtMail, SmtpSink } from '../replies/support/smtp-sink.ts';
import { mail } from '../support/stack.ts';

export function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded)?.[1]?.trim();
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ValidationMailSeen {
  readonly mail: CaughtMail;
  readonly handle: string;
  readonly messageId: string;
  readonly text: string;
  readonly token: string;
}

/** Every validation mail the sink caught so far, decoded. */
export async function validationMails(sink: SmtpSink): Promise<ValidationMailSeen[]> {
  const out: ValidationMailSeen[] = [];
  for (const caught of sink.accepted.filter((m) => headerOf(m.raw, 'X-Hostmaster-Validation'))) {
    const parsed = await simpleParser(caught.raw);
    const text = parsed.text ?? '';
    out.push({
      mail: caught,
      handle: headerOf(caught.raw, 'X-Hostmaster-Validation')!,
      messageId: headerOf(caught.raw, 'Message-ID')!,
      text,
      token: /Validation-Token: (VT-[A-Z2-7]{26})/.exec(text)?.[1] ?? '',
    });
  }
  return out;
}

/** Waits until the sink holds `count` validation mails in all. */
export async function waitForValidationMails(sink: SmtpSink, count: number, timeoutMs = 60_000) {
  await until(`${count} validation mails`, timeoutMs, () =>
    sink.accepted.filter((m) => headerOf(m.raw, 'X-Hostmaster-Validation')).length >= count
      ? true
      : undefined,
  );
  return validationMails(sink);
}

/**
 * The answer to a validation reply read back as a billing system would (its lines, typed), as
 * test/support/reply-reader.ts reads the other replies: the daemon writes these lines, never reads them.
 */
export interface ParsedValidationAnswer {
  readonly status: ValidationStatus;
  readonly submission: string;
  readonly handle?: string;
  readonly validUntil?: string;
  readonly refused?: { readonly code: string; readonly message: string };
}

export function parseValidationAnswer(text: string): ParsedValidationAnswer | undefined {
  const value = (label: string) =>
    new RegExp(`^${label}: (.*)$`, 'm').exec(text.replace(/\r\n/g, '\n'))?.[1]?.trim();
  const status = VALIDATION_STATUSES.find((s) => s === value('Status'));
  const submission = value('Submission');
  if (!status || !submission || !/^hostmasterd (validated POC|did not validate)/.test(text)) return undefined;
  const handle = value('Handle');
  const validUntil = value('Valid-Until');
  const refusedLine = value('Refused');
  const refused = refusedLine ? /^(E_[A-Z0-9_]+)[^:]*: (.*)$/.exec(refusedLine) : null;
  return {
    status,
    submission,
    ...(handle ? { handle } : {}),
    ...(validUntil ? { validUntil } : {}),
    ...(refused ? { refused: { code: refused[1]!, message: refused[2]! } } : {}),
  };
}

/** The answer to a validation reply, read as a billing system would. */
export async function validationAnswerFor(
  sink: SmtpSink,
  submissionId: string,
  timeoutMs = 60_000,
): Promise<{ mail: CaughtMail; answer: ParsedValidationAnswer }> {
  const caught = await until(`the answer to ${submissionId}`, timeoutMs, () =>
    sink.accepted.find((m) => headerOf(m.raw, 'X-Hostmaster-Submission') === submissionId),
  );
  const text = (await simpleParser(caught.raw)).text ?? '';
  const answer = parseValidationAnswer(text);
  if (!answer) throw new Error(`the answer to ${submissionId} does not parse:\n${text}`);
  return { mail: caught, answer };
}

/** A person's reply to a validation mail: their words on top, the mail quoted below. */
export function replyTo(
  seen: ValidationMailSeen,
  words: string,
  options: {
    from?: string;
    threaded?: boolean;
    /** `outlook`: the mail below Outlook's "-----Original Message-----" and header block, without `>`. */
    quote?: boolean | 'outlook';
    headers?: Record<string, string>;
  } = {},
): string {
  const quoted =
    options.quote === false
      ? ''
      : options.quote === 'outlook'
        ? `\n\n-----Original Message-----\nFrom: hostmaster <hostmaster@localhost>\nSent: Tuesday, December 8, 2026 3:00 AM\nTo: ${seen.mail.rcptTo[0]}\nSubject: annual validation ${seen.handle}\n\n${seen.text}\n`
        : `\n\nOn Tue, hostmaster wrote:\n${seen.text
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n')}\n`;
  return mail({
    from: options.from ?? `POC <${seen.mail.rcptTo[0]}>`,
    subject: `Re: annual validation ${seen.handle}`,
    body: `${words}${quoted}`,
    headers: {
      ...(options.threaded === false ? {} : { 'In-Reply-To': seen.messageId, References: seen.messageId }),
      ...options.headers,
    },
  });
}

/** A receiving server's delivery report (RFC 3464) for a validation mail that could not be delivered. */
export function deliveryReport(seen: ValidationMailSeen, failed: string, status = '5.1.1'): string {
  const boundary = 'dsn-boundary-1';
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.demo-isp.example>',
    'To: hostmaster@localhost',
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <dsn.${Math.random().toString(36).slice(2)}@mx.demo-isp.example>`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `I'm sorry to have to inform you that your message could not be delivered to ${failed}.`,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.demo-isp.example',
    '',
    `Final-Recipient: rfc822; ${failed}`,
    'Action: failed',
    `Status: ${status}`,
    'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    `From: hostmaster@localhost`,
    `To: ${failed}`,
    `Message-ID: ${seen.messageId}`,
    `Subject: annual validation`,
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
