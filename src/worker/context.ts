/**
 * What the worker's steps share: configuration, the database, how replies and notices are
 * composed and queued, and who to tell once a reply is committed.
 */
import type { Logger } from 'pino';
import type { DnsResolver } from '../auth/index.ts';
import type { Config } from '../config/index.ts';
import type { Database, Executor, TemplateOutcome } from '../db/index.ts';
import {
  composeNotification,
  composeOptionsFor,
  composeReplies,
  enqueueOutbox,
  firstAddress,
  type OutgoingMail,
  type ReplyRequest,
  type ReplyTexts,
} from '../replies/index.ts';
import type { NoticeComposer } from './notices.ts';

export interface WorkerMetrics {
  templateHandled(form: string, outcome: TemplateOutcome): void;
}

export interface WorkerContext {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  /** DNS for DKIM/SPF checks; the system resolver when absent (tests pass a stub). */
  readonly resolver?: DnsResolver;
  readonly composeNotices: NoticeComposer;
  /** Our own addresses (hostmaster and reply From): never answered. */
  readonly ourAddresses: readonly string[];
  /** The reply's mail, to queue with the message's other writes. */
  composeReply(request: ReplyRequest, tag?: string): Promise<OutgoingMail[]>;
  enqueueReply(tx: Executor, request: ReplyRequest, tag?: string): Promise<void>;
  /** Called after a reply was committed: wakes the outbox sender. */
  afterCommit(): void;
  readonly metrics?: WorkerMetrics;
}

export interface WorkerContextOptions {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  readonly texts: ReplyTexts;
  readonly resolver?: DnsResolver;
  readonly wakeOutbox?: () => void;
  readonly metrics?: WorkerMetrics;
}

/** Every address that is us: mail from any of them is a loop, never answered. */
export function ourAddresses(config: Config): string[] {
  const replyFrom = firstAddress(config.replies.from);
  return [...config.hostmasterAddresses, ...(replyFrom ? [replyFrom.toLowerCase()] : [])];
}

export function createWorkerContext(options: WorkerContextOptions): WorkerContext {
  const { config, texts } = options;
  const composeOptions = composeOptionsFor(config, texts);
  const { hostname, from } = composeOptions;
  const composeReply = (request: ReplyRequest, tag?: string) =>
    composeReplies(request, { ...composeOptions, ...(tag ? { tag } : {}) });
  return {
    ourAddresses: ourAddresses(config),
    config,
    db: options.db,
    logger: options.logger,
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    composeNotices: (notices) =>
      Promise.all(
        notices
          .filter((n) => n.to.length > 0)
          .map((n) => composeNotification({ ...n, to: [...n.to] }, { from, hostname, texts })),
      ),
    composeReply,
    enqueueReply: async (tx, request, tag) => {
      await enqueueOutbox(tx, await composeReply(request, tag), request.submissionId);
    },
    afterCommit: () => options.wakeOutbox?.(),
  };
}
