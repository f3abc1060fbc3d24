/**
 * The validation room: the annual POC validation by mail (NRPM 3.6). Rounds mail every due POC
 * (round.ts), answers validate them (answers.ts: a reply, the public page, a POC template, staff),
 * silence or bounces make them invalid, and an account whose every POC is invalid is held
 * (gate.ts). The rules themselves are values in, values out (rules.ts, recognise.ts, mail.ts).
 */

export { affirms, holdsValidationAnswer } from './answer-reading.ts';
export {
  type AnswerVerdict,
  answerByMail,
  answerByToken,
  type BounceVerdict,
  pocsNamedBy,
  recordBounce,
  requestForToken,
  type Validation,
  validatePoc,
} from './answers.ts';
export { type AtSend, validationMailAtSend, validationMailFailed } from './at-send.ts';
export { linkedPocStates, validatedByTemplate, validationGate } from './gate.ts';
export {
  composeValidationAnswer,
  HEADER_ROUND,
  HEADER_VALIDATION,
  TOKEN_LABEL,
  type ValidationAnswer,
  validationMessageIdsIn,
} from './mail.ts';
export { VALIDATION_EVENTS, type ValidationCounters, type ValidationEvent } from './metrics.ts';
export { type ValidationPageOptions, validationPage } from './page.ts';
export { type MailFacts, recogniseValidationMail, type ValidationMail } from './recognise.ts';
export {
  bounceAddressOf,
  hostnameOf,
  type RoundDeps,
  type RoundOptions,
  type RoundReport,
  runValidationRound,
} from './round.ts';
export {
  ANSWER_DAYS,
  type LinkedPoc,
  type PocDisplayState,
  pocDisplayState,
  roundOf,
  unvalidatedRefusal,
  VALIDITY_DAYS,
} from './rules.ts';
export { startValidationSchedule, VALIDATION_QUEUE, type ValidationSchedule } from './schedule.ts';
export {
  markValidatedByStaff,
  type PocListed,
  type PocValidationRecord,
  type ValidationOverview,
  validationHistory,
  validationOverview,
} from './staff.ts';
