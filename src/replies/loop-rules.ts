/**
 * Whom we may answer. An automatic responder that answers bounces, auto-replies or mailing
 * lists makes mail loops and backscatter (RFC 3834 section 2); these rules decide before any
 * reply is composed. Pure: header values in, a decision out.
 */
import { domainToASCII } from 'node:url';
import { addressesIn, domainPart, firstAddress, localPart, sameAddress } from './addresses.ts';

/** What we know of an incoming message. Header values as written (display names allowed). */
export interface IncomingMailFacts {
  /** SMTP MAIL FROM; '' or '<>' is the null sender of a bounce. Undefined when unknown (piped in). */
  readonly envelopeFrom?: string;
  readonly from?: string;
  /** Every Reply-To address (several fields joined by ', '): the first is answered, all are checked. */
  readonly replyTo?: string;
  readonly returnPath?: string;
  readonly autoSubmitted?: string;
  readonly precedence?: string;
  readonly listId?: string;
  /** The names of the message's `List-*` header fields (`List-Post`, `List-Unsubscribe`...). */
  readonly listFields?: readonly string[];
  /** `X-Loop` values: robots, ourselves among them, mark the mail they send with their address. */
  readonly xLoop?: readonly string[];
  /**
   * `X-Autoreply` and `X-Autorespond` fields (names lower-cased): auto-responders that write no
   * Auto-Submitted mark their replies with these. Not `X-Auto-Response-Suppress`: it asks that
   * nothing answer the message automatically, and billing systems put it on every mail they send,
   * templates included (Exchange's own out-of-office replies carry Auto-Submitted).
   */
  readonly autoReplyMarks?: readonly { readonly name: string; readonly value: string }[];
  /** `X-Hostmaster-Status`, which only our own replies carry. */
  readonly hostmasterStatus?: string;
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
  | 'our-own-reply'
  | 'no-reply-address'
  | 'unanswerable-address'
  | 'unverified-sender'
  | 'reply-limit'
  | 'no-address';

export type ReplyDecision =
  | { readonly reply: true; readonly to: string }
  | { readonly reply: false; readonly reason: NoReplyReason; readonly explanation: string };

/**
 * Senders that are machines reporting on mail, never people sending templates. Not postmaster:
 * RFC 5321 makes it a person's mailbox (bounces from it come from the null sender or as
 * multipart/report, and are caught as such).
 */
const DAEMON_LOCAL_PARTS = new Set(['mailer-daemon', 'mail-daemon', 'mailerdaemon']);

/**
 * The local part without a `+tag`, lower-cased, blanks (a quoted local part's) as hyphens:
 * `MAILER-DAEMON+x` -> `mailer-daemon`, `"Mailer Daemon"` -> `mailer-daemon`.
 */
const untagged = (address: string) => localPart(address).replace(/\+.*$/, '').trim().replace(/\s+/g, '-');

/**
 * Local parts that say nobody reads them (`nobody`, `noreply`, `no-reply-billing`,
 * `do_not_reply`...), compared without separators: a reply there is read by no one, or bounces.
 */
function isNoReplyAddress(address: string): boolean {
  const bare = untagged(address).replace(/[-_.]/g, '');
  return bare === 'nobody' || /^(?:no|donot)(?:reply|replies|respond|response)/.test(bare);
}

/** Domains that are nobody's on the Internet (RFC 2606, RFC 6761, the usual local names). */
const RESERVED_DOMAIN = /(?:^|\.)(?:localhost|localdomain|local|invalid|home\.arpa)$/;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Why a reply to this address could reach nobody, or undefined when it may be sent: an address
 * literal (`a@[127.0.0.1]`), a domain written with a trailing dot (`x@localhost.`: RFC 5321's
 * syntax has none, and resolvers read it as the root-anchored name), a one-label or local name
 * (`nobody@localhost`, `x@host.localdomain`), a domain that is not a host name at all.
 */
export function unanswerableAddress(address: string): string | undefined {
  const domain = domainPart(address);
  if (!address.includes('@') || domain === '') return `${address} has no domain`;
  if (domain.startsWith('[')) return `${address} names an IP address, not a mail domain`;
  if (domain.endsWith('.')) return `${address} ends its domain in a dot, which no mail address does`;
  if (!domain.includes('.')) return `${address} has a one-label domain, not one on the Internet`;
  if (RESERVED_DOMAIN.test(domain)) return `${address} is in a domain reserved for local use`;
  // Internationalized names arrive as UTF-8 (SMTPUTF8): they are host names in their A-label form.
  const ascii = /^[\x00-\x7f]*$/.test(domain) ? domain : domainToASCII(domain);
  if (!DOMAIN.test(ascii)) return `${address} does not have a valid domain`;
  return undefined;
}

/** Whether an answer to this address is read by someone: not a no-reply box, not undeliverable. */
export function whyNotAnswerable(
  address: string,
): { reason: NoReplyReason; explanation: string } | undefined {
  if (isNoReplyAddress(address)) {
    return { reason: 'no-reply-address', explanation: `${address} says it reads no replies` };
  }
  const unanswerable = unanswerableAddress(address);
  return unanswerable ? { reason: 'unanswerable-address', explanation: unanswerable } : undefined;
}

/**
 * List-Id (RFC 2919) and the RFC 2369 fields only a list has: its posting address, owner and
 * archive. Not List-Unsubscribe, List-Subscribe or List-Help alone: sending services add those to
 * every mail they carry (bulk-sender rules demand List-Unsubscribe), a billing system's
 * templates included, and that system must still get its answers.
 */
const LIST_FIELDS = new Set(['list-id', 'list-post', 'list-owner', 'list-archive']);

function isNullPath(value: string | undefined): boolean {
  return value !== undefined && /^\s*<?\s*>?\s*$/.test(value);
}

function isListAddress(address: string): boolean {
  const local = untagged(address);
  return local.startsWith('owner-') || local.endsWith('-request') || local.endsWith('-owner');
}

/**
 * The first word of a structured header value, lower-cased, with RFC 5322 comments left out:
 * `Bulk (newsletter)` -> `bulk`, `auto-replied; owner-email="x@y"` -> `auto-replied`.
 */
function firstWord(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let text = value;
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(/\([^()]*\)/g, ' ');
  }
  return text
    .split(/[\s;,]+/)
    .find((w) => w !== '')
    ?.toLowerCase();
}

const no = (reason: NoReplyReason, explanation: string): ReplyDecision => ({
  reply: false,
  reason,
  explanation,
});

/**
 * Whether a field marks the message as an automatic reply: `X-Autoreply` or `X-Autorespond`
 * with any value but `no`.
 */
function marksAutoReply(mark: { readonly name: string; readonly value: string }): boolean {
  const value = mark.value.trim().toLowerCase();
  return value !== 'no' && value !== 'false' && value !== '0';
}

/** Answer Reply-To (its first address), else From, else the envelope sender; or say why not. */
export function shouldReply(facts: IncomingMailFacts, ourAddresses: readonly string[]): ReplyDecision {
  if (isNullPath(facts.envelopeFrom)) return no('null-sender', 'the envelope sender is empty (<>): a bounce');
  if (isNullPath(facts.returnPath)) return no('null-sender', 'Return-Path is <>: a bounce');

  const isOurs = (a: string) => ourAddresses.some((o) => sameAddress(a, o));
  if (facts.hostmasterStatus !== undefined) {
    return no('our-own-reply', 'it carries X-Hostmaster-Status: one of our own replies came back');
  }
  const loop = (facts.xLoop ?? []).flatMap(addressesIn).find(isOurs);
  if (loop) return no('our-own-address', `X-Loop names ${loop}, our own address: it already passed us`);

  const envelope = firstAddress(facts.envelopeFrom) ?? facts.envelopeFrom?.trim();
  const from = firstAddress(facts.from);
  const replyTos = addressesIn(facts.replyTo);
  const senders = [envelope, firstAddress(facts.returnPath), from].filter(
    (a): a is string => !!a && a.includes('@'),
  );
  const to = replyTos[0] ?? from ?? senders[0];
  // Every address the mail came from or asks answers to, the one we would answer among them:
  // a bounce address, a list's robot or ourselves in any of them, and nobody is answered.
  const addresses = [...senders, ...replyTos];

  const daemon = addresses.find((a) => DAEMON_LOCAL_PARTS.has(untagged(a)));
  if (daemon) return no('mailer-daemon', `${daemon} is a mail system address: a bounce or a notice`);
  if (/^\s*multipart\/report\b/i.test(facts.contentType ?? '')) {
    return no('delivery-report', 'the message is a delivery or disposition report (multipart/report)');
  }

  const autoSubmitted = firstWord(facts.autoSubmitted);
  if (autoSubmitted && autoSubmitted !== 'no') {
    return no('auto-submitted', `Auto-Submitted: ${autoSubmitted}: answering automatic mail makes loops`);
  }
  const autoReply = (facts.autoReplyMarks ?? []).find(marksAutoReply);
  if (autoReply) {
    return no(
      'auto-submitted',
      `${autoReply.name}: ${autoReply.value.trim()}: answering automatic mail makes loops`,
    );
  }
  const precedence = firstWord(facts.precedence);
  if (precedence === 'auto_reply') {
    return no('auto-submitted', 'Precedence: auto_reply: answering automatic mail makes loops');
  }
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') {
    return no('bulk-precedence', `Precedence: ${precedence}`);
  }
  if (facts.listId?.trim()) return no('mailing-list', 'the message came through a mailing list (List-Id)');
  const listField = facts.listFields?.find((name) => LIST_FIELDS.has(name.trim().toLowerCase()));
  if (listField) return no('mailing-list', `the message came through a mailing list (${listField})`);
  const list = addresses.find(isListAddress);
  if (list) return no('mailing-list', `${list} is a mailing list's address`);

  const ours = addresses.find(isOurs);
  if (ours) return no('our-own-address', `${ours} is our own address: answering it would loop`);

  if (!to) return no('no-address', 'neither Reply-To, From nor the envelope sender holds an address');
  const unreadable = whyNotAnswerable(to);
  if (unreadable) return no(unreadable.reason, unreadable.explanation);
  return { reply: true, to };
}
