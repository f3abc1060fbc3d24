/**
 * Replies room: composing the mails that answer a submission (texts from templates/replies/),
 * deciding whom not to answer, and sending through the outbox table.
 * The reply format is a contract: docs/reply-format.md.
 */
export type { ReplyStyle } from '../config/index.ts';
export { type AcknowledgementRequest, composeAcknowledgement, RECEIVED_STATUS } from './acknowledge.ts';
export { addressesIn, firstAddress, mailboxKey, sameAddress } from './addresses.ts';
export {
  type ComposeOptions,
  composeOptionsFor,
  composeReplies,
  HEADER_STATUS,
  HEADER_SUBMISSION,
  HEADER_TEMPLATE,
  HEADER_TICKET,
} from './compose.ts';
/** The line of a later answer naming the reply it replaces: written by the composer, read by clients. */
export { oneLine, SUPERSEDES_LABEL } from './layout.ts';
export {
  type IncomingMailFacts,
  type NoReplyReason,
  type ReplyDecision,
  shouldReply,
  whyNotAnswerable,
} from './loop-rules.ts';
export { notificationMessageId, replyMessageId } from './message-id.ts';
export { crlfLines, renderTextMail, type TextMail, type TextMailHeaders } from './mime.ts';
export { composeNotification, type NotificationRequest, type NotifyOptions } from './notify.ts';
export { type ClaimedMail, enqueueOutbox, outboxWrite, retryFailedMail } from './outbox.ts';
export { headerHoldsKey, headerRecipients, keyFreeHeaders } from './redact.ts';
export { RecipientReplyLimit, type ReplyAdmission } from './reply-limit.ts';
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
export {
  CONTRACT_LABELS,
  labelsOf,
  loadReplyTexts,
  type PhraseKey,
  type ProseKey,
  REPLY_TEXTS_DIR,
  type ReplyLabels,
  type ReplyTextOptions,
  type ReplyTexts,
  readReplyTexts,
} from './texts.ts';
export { emlFileName } from './transport.ts';
export {
  type OutgoingKind,
  type OutgoingMail,
  type ReplyRequest,
  TEMPLATE_STATUSES,
  type TemplateReport,
  type TemplateStatus,
  worstStatus,
} from './types.ts';
