/**
 * Replies room: composing the mails that answer a submission (texts from templates/replies/) and
 * deciding whom not to answer; pure of storage, so `hostmasterd lint` reads it without the
 * database. They are sent through the outbox room (src/outbox/). The reply format is a contract:
 * docs/reply-format.md.
 */
export type { ReplyStyle } from '../config/index.ts';
export { type AcknowledgementRequest, composeAcknowledgement, RECEIVED_STATUS } from './acknowledge.ts';
export { addressesIn, firstAddress, mailboxKey, sameAddress } from './addresses.ts';
export {
  type ComposeOptions,
  composeOptionsFor,
  composeReplies,
  HEADER_DRY_RUN,
  HEADER_STATUS,
  HEADER_SUBMISSION,
  HEADER_TEMPLATE,
  HEADER_TICKET,
  type ThreadingFields,
  threadable,
  threadingFields,
} from './compose.ts';
/** The line of a later answer naming the reply it replaces: written by the composer, read by clients. */
export { DRY_RUN_LABEL, EDITED_LABEL, NOT_APPLIED_LABEL, oneLine, SUPERSEDES_LABEL } from './layout.ts';
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
export { headerHoldsKey, headerRecipients, keyFreeHeaders } from './redact.ts';
export { alarmScope, RecipientReplyLimit, type ReplyAdmission } from './reply-limit.ts';
export { FORM_LABEL, UNKNOWN_FORM_LABEL } from './services.ts';
export { AccountStrangerLimit, type StrangerAdmission } from './stranger-limit.ts';
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
export {
  type BlankForm,
  type EditedField,
  type OutgoingKind,
  type OutgoingMail,
  type ReplyRequest,
  SERVICE_STATUSES,
  type ServiceAnswer,
  type ServiceStatus,
  TEMPLATE_STATUSES,
  type TemplateReport,
  type TemplateStatus,
  type UnknownFormName,
  worstStatus,
} from './types.ts';
