/**
 * What the worker's steps share: configuration, the database, how replies and notices are
 * composed and queued, and who to tell once a reply is committed.
 */
import type { Logger } from 'pino';
import { createSharedResolver, createSystemResolver, type DnsResolver } from '../auth/index.ts';
import type { Config } from '../config/index.ts';
import type { Database, Executor, TemplateOutcome } from '../db/index.ts';
import { enqueueOutbox } from '../outbox/index.ts';
import {
  type AccountStrangerLimit,
  type AcknowledgementRequest,
  alarmScope,
  type BlankForm,
  composeAcknowledgement,
  composeNotification,
  composeOptionsFor,
  composeReplies,
  firstAddress,
  mailboxKey,
  type OutgoingMail,
  type RecipientReplyLimit,
  type ReplyRequest,
  type ReplyTexts,
  sameAddress,
} from '../replies/index.ts';
import { readBlankForms } from '../shared/index.ts';
import type { ValidationEvent } from '../validation/index.ts';
import { DnsWaits } from './dns-waits.ts';
import type { NoticeComposer } from './notices.ts';
import { provenAddressesOf } from './own-addresses.ts';

export interface WorkerMetrics {
  templateHandled(form: string, outcome: TemplateOutcome): void;
  /** A validation answered or bounced (src/validation). */
  validationEvent?(event: ValidationEvent): void;
}

export interface WorkerContext {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  /**
   * DNS for DKIM/SPF checks, shared by the process's messages (cached, one question asked once,
   * DNS_CONCURRENCY in flight; see src/auth/dns-sharing.ts) over the system resolver or a test's.
   */
  readonly resolver: DnsResolver;
  /** The process's jobs waiting on DNS: at least one slot is kept for jobs that need none. */
  readonly dnsWaits: DnsWaits;
  readonly composeNotices: NoticeComposer;
  /** The blank forms we publish (templates/), sent to whoever asks for them by mail. */
  readonly blankForms: ReadonlyMap<string, BlankForm>;
  /** Our own addresses (hostmaster and reply From): never answered. */
  readonly ourAddresses: readonly string[];
  /** The acknowledgement of an answer to our mail (RECEIVED), to queue with the message's other writes. */
  composeAcknowledgement(request: AcknowledgementRequest): OutgoingMail;
  /** The reply's mail, to queue with the message's other writes. */
  composeReply(request: ReplyRequest, tag?: string): Promise<OutgoingMail[]>;
  /** Composes, limits (see limitMail) and queues a reply; says why a mail was held back, if one was. */
  enqueueReply(
    tx: Executor,
    request: ReplyRequest,
    tag?: string,
    exempt?: string,
  ): Promise<readonly string[]>;
  /**
   * The mails that may go: each recipient but `exempt` (the requester's own proven address)
   * is counted against REPLY_LIMIT_PER_RECIPIENT_PER_HOUR across processes; a mail past it is
   * held back and said why. With the requesting `account`, a recipient outside the account's
   * proven addresses is also counted against STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR; past it the
   * mail to that recipient is kept for staff (an undelivered outbox row) and said why.
   */
  limitMail(mails: readonly OutgoingMail[], exempt?: string, account?: MailingAccount): Promise<LimitedMail>;
  /** Called after a reply was committed: wakes the outbox sender. */
  afterCommit(): void;
  readonly metrics?: WorkerMetrics;
}

/** The account whose request makes the mail, and the transaction to read its addresses in. */
export interface MailingAccount {
  readonly accountId: number;
  readonly ex: Executor;
}

export interface LimitedMail {
  readonly sent: readonly OutgoingMail[];
  /** Why each mail held back was held, one sentence each. */
  readonly held: readonly string[];
  /** The mails (by their Message-ID as composed) kept for staff past the account's bound, and for whom. */
  readonly heldForStaff: readonly HeldForStaff[];
}

/** A mail, or the part of it for some of its recipients, kept for staff (an outbox row `failed`). */
export interface HeldForStaff {
  /** The Message-ID the mail was composed with (the held row's own is `<held.` + it). */
  readonly messageId: string;
  readonly recipients: readonly string[];
  /** Of how many recipients the mail had. */
  readonly of: number;
  /** Why, in the words the reply's note and the outbox row use. */
  readonly why: string;
}

export interface WorkerContextOptions {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  readonly texts: ReplyTexts;
  readonly resolver?: DnsResolver;
  /** The per-recipient count in Redis; without it (a test's bare context) nothing is limited. */
  readonly replyLimit?: RecipientReplyLimit;
  /** The per-account count of addresses outside its own, in Redis; without it, not limited. */
  readonly strangerLimit?: AccountStrangerLimit;
  readonly wakeOutbox?: () => void;
  readonly metrics?: WorkerMetrics;
}

/** Every address that is us: mail from any of them is a loop, never answered. */
export function ourAddresses(config: Config): string[] {
  const replyFrom = firstAddress(config.replies.from);
  return [
    ...config.hostmasterAddresses,
    ...config.dryRunAddresses,
    ...(replyFrom ? [replyFrom.toLowerCase()] : []),
  ];
}

export function createWorkerContext(options: WorkerContextOptions): WorkerContext {
  const { config, texts } = options;
  const composeOptions = composeOptionsFor(config, texts);
  const { hostname, from } = composeOptions;
  const composeReply = (request: ReplyRequest, tag?: string) =>
    composeReplies(request, { ...composeOptions, ...(tag ? { tag } : {}) });
  const limitMail = async (
    mails: readonly OutgoingMail[],
    exempt?: string,
    account?: MailingAccount,
  ): Promise<LimitedMail> => {
    const limit = options.replyLimit;
    if (!limit) return { sent: mails, held: [], heldForStaff: [] };
    const strangers = account === undefined ? undefined : options.strangerLimit;
    let proven: Set<string> | undefined;
    const sent: OutgoingMail[] = [];
    const held: string[] = [];
    const heldForStaff: HeldForStaff[] = [];
    for (const mail of mails) {
      // Each recipient on its own: a notice to several contacts still reaches those under the limit.
      const kept: string[] = [];
      const forStaff: string[] = [];
      for (const recipient of mail.recipients) {
        if (exempt && sameAddress(recipient, exempt)) {
          kept.push(recipient);
          continue;
        }
        if (strangers && account !== undefined) {
          proven ??= await provenAddressesOf(account.ex, account.accountId);
          const stranger = proven.has(mailboxKey(recipient))
            ? { admitted: true as const }
            : await strangers.admit(account.accountId, recipient);
          if (!stranger.admitted) {
            forStaff.push(recipient);
            held.push(
              `account limit: ${recipient} is not the account's own address, and its mail already went to ${stranger.count} such addresses in the last hour (STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR is ${strangers.perHour}); kept for staff`,
            );
            continue;
          }
        }
        // An alarm counts apart, per requesting account (alarmScope): others' mail cannot mute it.
        const scope = alarmScope(mail, recipient, account?.accountId);
        const verdict = await limit.admit(recipient, mail.messageId, undefined, scope);
        if (verdict.admitted) kept.push(recipient);
        else
          held.push(
            `reply limit: ${verdict.recipient} already got ${verdict.count} mails from us in the last hour (REPLY_LIMIT_PER_RECIPIENT_PER_HOUR is ${limit.perHour})`,
          );
      }
      if (kept.length === mail.recipients.length) sent.push(mail);
      else if (kept.length > 0) sent.push({ ...mail, recipients: kept });
      // Past the account's bound: stored undelivered under a Message-ID of its own, for staff to
      // send or let be (an address the account names is not ours to mail without limit).
      if (forStaff.length > 0) {
        const why = `the requesting account's mail already went to ${strangers?.perHour} addresses outside its own in the last hour (STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR)`;
        sent.push({
          ...mail,
          messageId: mail.messageId.replace(/^<?/, '<held.'),
          recipients: forStaff,
          heldForStaff: `held: ${why}; send it again if it should go`,
        });
        heldForStaff.push({
          messageId: mail.messageId,
          recipients: forStaff,
          of: mail.recipients.length,
          why,
        });
      }
    }
    return { sent, held, heldForStaff };
  };
  return {
    blankForms: readBlankForms(),
    ourAddresses: ourAddresses(config),
    config,
    db: options.db,
    logger: options.logger,
    // Answers are shared for the process's life: one context per worker process.
    resolver: createSharedResolver(
      options.resolver ?? createSystemResolver({ timeoutMs: config.dns.budgetMs }),
      { concurrency: config.dns.concurrency, lookupTimeoutMs: config.dns.budgetMs },
    ),
    dnsWaits: new DnsWaits(Math.max(1, config.workerConcurrency - 1), config.dns.budgetMs + 250),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    composeNotices: async (notices, exempt, account) => {
      const addressed = notices.filter((n) => n.to.length > 0);
      const mails = await Promise.all(
        addressed.map((n) => composeNotification({ ...n, to: [...n.to] }, { from, hostname, texts })),
      );
      const { sent, held, heldForStaff } = await limitMail(mails, exempt, account);
      for (const why of held) options.logger.warn({ why }, 'notice not sent');
      // Which notice each held mail was: the requester's reply says so (heldNoticeNote).
      const heldNotices = heldForStaff.flatMap((h) => {
        const notice = addressed[mails.findIndex((m) => m.messageId === h.messageId)];
        return notice ? [{ notice, held: h.recipients.length, of: h.of, why: h.why }] : [];
      });
      return { mails: [...sent], held: heldNotices };
    },
    composeReply,
    composeAcknowledgement: (request) => composeAcknowledgement(request, composeOptions),
    limitMail,
    enqueueReply: async (tx, request, tag, exempt) => {
      const { sent, held } = await limitMail(await composeReply(request, tag), exempt);
      await enqueueOutbox(tx, sent, request.submissionId);
      return held;
    },
    afterCommit: () => options.wakeOutbox?.(),
  };
}
