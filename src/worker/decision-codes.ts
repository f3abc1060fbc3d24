/**
 * Reason codes of queue rows that wait for a staff decision rather than a fix: the console's
 * triage tab shows these (src/console/rejection-queue.ts).
 */
import type { ErrorCode } from '../shared/index.ts';

/** Work held for staff review: its sender holds an open ticket until staff approve or reject it. */
export const STAFF_REVIEW_CODE: ErrorCode = 'E_STAFF_REVIEW';

/**
 * A message without a template that answers mail we sent (a question, a complaint about a
 * change): staff read it and answer; its sender got one acknowledgement (RECEIVED).
 */
export const ANSWER_TO_US_CODE: ErrorCode = 'E_ANSWER_TO_OUR_MAIL';

/** Both, in the order the triage tab names them. */
export const DECISION_CODES: readonly ErrorCode[] = [STAFF_REVIEW_CODE, ANSWER_TO_US_CODE];
