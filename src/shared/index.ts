/**
 * The shared room's face: the blank forms we publish, the error catalogue, errors as values, API key recognition and redaction, the shapes of
 * registry identifiers, the message ids of a threading field, logging and process checks. Other rooms import only from here.
 */

export { type BlankForm, readBlankForms } from './blank-forms.ts';
export { oneSpaceBlanks } from './blanks.ts';
export { mapArrayOnChange } from './copy-on-change.ts';
export { isDataRefusal } from './data-refusal.ts';
export { acquireDirectoryLock, directoryLockHolder } from './directory-lock.ts';
export * from './error-codes.ts';
export * from './errors.ts';
export { type Reading as KeyReading, type ReadOptions, readAsPerson } from './key-reading.ts';
export { findKeySpans, type KeySpan, mayHoldKey, redactedKey, redactKeyShapes } from './key-shapes.ts';
export { lazyPackage } from './lazy-package.ts';
export { LINE_BREAK, lineBreakName, showLineBreaks, visibleKeyFree, writtenAsIs } from './line-breaks.ts';
export * from './listen.ts';
export { createLogger, type Logger, silentLogger } from './logger.ts';
export { messageIdsIn } from './message-ids.ts';
export { isProcessAlive } from './process.ts';
export { redactApiKey, redactApiKeys, redactKey } from './redact.ts';
export { RELAY_FAULTS, type RelayFault } from './relay-faults.ts';
export { SUBMISSION_CHANNEL, SUBMISSION_LISTENER_NAME } from './submission-channel.ts';
export { newSubmissionId, SUBMISSION_ID_PATTERN } from './submission-id.ts';
export { CUSTOMER_HANDLE, HOSTNAME, NET_HANDLE, ORG_HANDLE, POC_HANDLE, REFERRAL_SERVER } from './syntax.ts';
export {
  holdsInvisible,
  holdsTemplateHeader,
  isQuotedLine,
  type TemplateLine,
  templateLine,
  templateNameBehindQuotes,
  withoutInvisible,
} from './template-line.ts';
export {
  findValidationTokens,
  REDACTED_VALIDATION_TOKEN,
  redactValidationTokens,
  VALIDATION_TOKEN,
} from './validation-token.ts';
