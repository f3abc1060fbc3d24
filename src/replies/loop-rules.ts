/**
 * Whom we may answer. An automatic responder that answers bounces, auto-replies or mailing
 * lists makes mail loops and backscatter (RFC 3834 section 2); these rules decide before any
 * reply is composed. Pure: header values in, a decision out.
 */
import { addressesIn, firstAddress, localPart, sameAddress } from './addresses.ts';

/** What we know of an incoming message. Header values as written (display names allowed). */
export interface IncomingMailFacts {
  /** SMTP MAIL FROM; '' or '<>' is the null sender of a bounce. Undefined when unknown (piped in). */
  readonly envelopeFrom?: string;
  readonly from?: string;
  readonly replyTo?: string;
  readonly returnPath?: string;
  readonly autoSubmitted?: string;
  readonly precedence?: string;
  readonly listId?: string;
  /** `multipart/report` is a delivery or disposition notification. */
  readonly contentType?: string;
}

export type NoReplyReason =
  | 'null-sender'
  | 'mailer-daemon'
  | 'delivery-report'
  | 'auto-submitted'
  | 'bulk-precedence'
  | 'mailing-list'
  | 'our-own-address'
  | 'no-address';

export type ReplyDecision =
  | { readonly reply: true; readonly to: string }
  | { readonly reply: false; readonly reason: NoReplyReason; readonly explanation: string };

/** Senders that are machines reporting on mail, never people sending templates. */
const DAEMON_LOCAL_PARTS = new Set(['mailer-daemon', 'postmaster', 'mail-daemon', 'mailerdaemon']);

function isNullPath(value: string | undefined): boolean {
  return value !== undefined && /^\s*<?\s*>?\s*$/.test(value);
}

function isListAddress(address: string): boolean {
  const local = localPart(address);
  return local.startsWith('owner-') || local.endsWith('-request') || local.endsWith('-owner');
}

const no = (reason: NoReplyReason, explanation: string): ReplyDecision => ({
  reply: false,
  reason,
  explanation,
});

/** Answer Reply-To (its first address), else From, else the envelope sender; or say why not. */
export function shouldReply(facts: IncomingMailFacts, ourAddresses: readonly string[]): ReplyDecision {
  if (isNullPath(facts.envelopeFrom)) return no('null-sender', 'the envelope sender is empty (<>): a bounce');
  if (isNullPath(facts.returnPath)) return no('null-sender', 'Return-Path is <>: a bounce');

  const envelope = firstAddress(facts.envelopeFrom) ?? facts.envelopeFrom?.trim();
  const from = firstAddress(facts.from);
  const replyTo = firstAddress(facts.replyTo);
  const senders = [envelope, firstAddress(facts.returnPath), from].filter(
    (a): a is string => !!a && a.includes('@'),
  );

  const daemon = senders.find((a) => DAEMON_LOCAL_PARTS.has(localPart(a)));
  if (daemon) return no('mailer-daemon', `${daemon} is a mail system address: a bounce or a notice`);
  if (/^\s*multipart\/report\b/i.test(facts.contentType ?? '')) {
    return no('delivery-report', 'the message is a delivery or disposition report (multipart/report)');
  }

  const autoSubmitted = facts.autoSubmitted?.split(';')[0]?.trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') {
    return no('auto-submitted', `Auto-Submitted: ${autoSubmitted}: answering automatic mail makes loops`);
  }
  const precedence = facts.precedence?.trim().toLowerCase();
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') {
    return no('bulk-precedence', `Precedence: ${precedence}`);
  }
  if (facts.listId?.trim()) return no('mailing-list', 'the message came through a mailing list (List-Id)');
  const list = senders.find(isListAddress);
  if (list) return no('mailing-list', `${list} is a mailing list's address`);

  const candidates = [...senders, ...addressesIn(facts.replyTo)];
  const ours = candidates.find((a) => ourAddresses.some((o) => sameAddress(a, o)));
  if (ours) return no('our-own-address', `${ours} is our own address: answering it would loop`);

  const to = replyTo ?? from ?? senders[0];
  if (!to) return no('no-address', 'neither Reply-To, From nor the envelope sender holds an address');
  return { reply: true, to };
}
