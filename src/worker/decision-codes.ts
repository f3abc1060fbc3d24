/**
 * Reason codes of queue rows that wait for a staff decision rather than a fix (declared with the
 * rejections table, src/db/schema.ts, where the console's triage tab reads them too).
 */
import { tables } from '../db/index.ts';
import type { ErrorCode } from '../shared/index.ts';

/** Work held for staff review: its sender holds an open ticket until staff approve or reject it. */
export const STAFF_REVIEW_CODE: ErrorCode = tables.STAFF_REVIEW_REASON;

/**
 * A message without a template that answers mail we sent (a question, a complaint about a
 * change): staff read it and answer; its sender got one acknowledgement (RECEIVED).
 */
export const ANSWER_TO_US_CODE: ErrorCode = tables.ANSWER_TO_US_REASON;
