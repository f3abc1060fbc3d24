/**
 * Outbox room: the table replies wait in (written in the transaction of what they report) and
 * the sender that delivers them after commit, by SMTP or as .eml files. Apart from the replies
 * room, which composes the mails and needs no database: a command that only reads mail
 * (`hostmasterd lint`) loads neither the database nor a transport.
 */
export { type ClaimedMail, enqueueOutbox, outboxWrite, retryFailedMail } from './outbox.ts';
export {
  backoffDelay,
  DEFAULT_BACKOFF,
  type OutboxBackoff,
  type OutboxLogger,
  type OutboxMetrics,
  type OutboxSender,
  type OutboxSenderOptions,
  startOutboxSender,
} from './sender.ts';
export { emlFileName } from './transport.ts';
