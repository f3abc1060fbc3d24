/**
 * The one way a message enters: commit the raw bytes, then put its job in Redis. Only when both
 * are done is the sender told "accepted". SMTP and `submit` both come through here.
 */
import type { Executor } from '../db/index.ts';
import type { SubmissionQueue } from '../queue/index.ts';
import { withTimeout } from '../queue/index.ts';
import { type ErrorCode, fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { type IncomingMessage, type StoredSubmission, storeSubmission } from './store.ts';

export interface AcceptDeps {
  readonly db: Executor;
  readonly queue: SubmissionQueue;
  readonly maxBytes: number;
  /** DRY_RUN_ADDRESS (storeSubmission's option). */
  readonly dryRunAddresses: readonly string[];
  /** Longest wait for the database before answering "try again" (default 15 s). */
  readonly storeTimeoutMs?: number;
}

export interface Accepted extends StoredSubmission {
  /** False when a duplicate's submission was already handled, so no job was needed. */
  readonly queued: boolean;
}

const TEMPORARY: readonly ErrorCode[] = [
  'E_DATABASE_UNAVAILABLE',
  'E_QUEUE_UNAVAILABLE',
  'E_DELIVERY_UNDECIDED',
];

/** Temporary problems mean "send it again later" (SMTP 451, exit 75); the others are refusals. */
export function isTemporary(p: Problem): boolean {
  return TEMPORARY.includes(p.code);
}

export async function acceptMessage(deps: AcceptDeps, message: IncomingMessage): Promise<Result<Accepted>> {
  let stored: Result<StoredSubmission>;
  try {
    // If the database hangs past the timer but commits later, the row is picked up by the
    // sweeper and the sender's retry is recognised as a duplicate: nothing is lost or doubled.
    stored = await withTimeout(
      storeSubmission(deps.db, message, { maxBytes: deps.maxBytes, dryRunAddresses: deps.dryRunAddresses }),
      deps.storeTimeoutMs ?? 15_000,
      'storing the message',
    );
  } catch (error) {
    return fail(
      problem('E_DATABASE_UNAVAILABLE', `the message could not be stored: ${(error as Error).message}`),
    );
  }
  if (!stored.ok) return stored;
  const submission = stored.value;
  // A duplicate of a message already handled must not be handled again: its job may be long
  // gone (completed jobs are trimmed) and a new one would redo the work and reply twice.
  if (submission.duplicate && submission.state !== 'received' && submission.state !== 'processing') {
    return ok({ ...submission, queued: false });
  }
  const queued = await deps.queue.enqueue({ kind: 'process', submissionId: submission.id });
  if (!queued.ok) return queued;
  return ok({ ...submission, queued: true });
}
