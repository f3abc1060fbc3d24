/**
 * "Is this mail about a validation?", decided before the worker looks for templates or treats a
 * reply to our mail as anything else: an answer to a validation mail (it names one in
 * In-Reply-To/References, or quotes a validation token), or a delivery report (DSN) for one.
 * Pure: the mail's headers, its text and its raw header-and-report text in, a verdict out.
 */
import { findValidationTokens } from '../shared/index.ts';
import { affirms } from './answer-reading.ts';
import { validationMessageIdsIn } from './mail.ts';

export interface MailFacts {
  readonly inReplyTo?: string | undefined;
  readonly references: readonly string[];
  /** Top-level Content-Type, lower-cased, without parameters. */
  readonly contentType: string;
  /** The text a person wrote (and quoted), as the mail room read it. */
  readonly text: string;
  /** The raw message as latin1 text: a DSN's machine-readable parts are read from it. */
  readonly raw: string;
  /** Why the mail may not be answered (auto-reply, list...), if so: such mail never validates. */
  readonly automatic?: boolean;
}

export type ValidationMail =
  | {
      readonly kind: 'answer';
      readonly tokens: readonly string[];
      readonly messageIds: readonly string[];
      /** The sender's own words say the record is correct. */
      readonly affirms: boolean;
    }
  | {
      readonly kind: 'bounce';
      readonly messageIds: readonly string[];
      /** Addresses the report says failed for good (Action: failed, Status 5.x.x), lower-cased. */
      readonly failed: readonly string[];
    };

/** Undefined: not about a validation; the worker handles it as any other mail. */
export function recogniseValidationMail(facts: MailFacts): ValidationMail | undefined {
  if (facts.contentType === 'multipart/report' && /report-type\s*=\s*"?delivery-status/i.test(facts.raw)) {
    const messageIds = validationMessageIdsIn(facts.raw);
    return messageIds.length > 0
      ? { kind: 'bounce', messageIds, failed: failedRecipients(facts.raw) }
      : undefined;
  }
  // A vacation note or a list's copy quoting the mail is no answer from the POC.
  if (facts.automatic) return undefined;
  const messageIds = validationMessageIdsIn([facts.inReplyTo ?? '', ...facts.references].join(' '));
  const tokens = findValidationTokens(facts.text);
  if (messageIds.length === 0 && tokens.length === 0) return undefined;
  return { kind: 'answer', tokens, messageIds, affirms: affirms(facts.text) };
}

/**
 * From a delivery-status part (RFC 3464): each recipient block's Final-Recipient (or
 * Original-Recipient) whose Action is `failed` and Status is 5.x.x.
 */
export function failedRecipients(raw: string): string[] {
  const text = raw.replace(/\r\n/g, '\n');
  const failed = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const recipient = /^(?:Final|Original)-Recipient:\s*rfc822\s*;\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$/im.exec(
      block,
    )?.[1];
    if (!recipient) continue;
    const action = /^Action:\s*(\w+)/im.exec(block)?.[1]?.toLowerCase();
    const status = /^Status:\s*(\d)\.\d{1,3}\.\d{1,3}/im.exec(block)?.[1];
    if (action === 'failed' && status === '5') failed.add(recipient.toLowerCase());
  }
  return [...failed];
}
