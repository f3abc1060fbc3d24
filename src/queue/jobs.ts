/**
 * What travels through Redis. One submission = one job (jobId = submission id, so adding the
 * same submission twice is a no-op while the job exists). Staff actions from the console are
 * jobs too, so every change to the registry goes through the one worker path.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SUBMISSIONS_QUEUE = 'submissions';

/** The name, in the database's console_secrets, of the key the console signs staff jobs with. */
export const STAFF_JOB_SECRET = 'staff-jobs';

/** Process a received submission: extract, parse, authorize, apply, reply. */
export interface ProcessSubmissionJob {
  readonly kind: 'process';
  readonly submissionId: string;
}

export interface StaffIdentity {
  /** The staff member's e-mail address, as signed in to the console. */
  readonly staff: string;
  /** For the audit log and the rejection's notes: never mailed. */
  readonly note: string;
  /** What staff chose to tell the sender: the one staff text a reply carries (absent: none). */
  readonly message?: string;
  /**
   * HMAC-SHA256 (hex) of the job id and the rest of the job under the console's staff-job key:
   * proof that the console's own action path made it, for this job id only (a copy queued again
   * under another id is refused). Anyone who can write to Redis (or reach bull-board) can add a
   * job; only the console and the worker read the key (from the database), so no staff job runs
   * without it.
   */
  readonly proof: string;
}

/**
 * Run refused templates of a submission again (e.g. after registry data was fixed).
 * Templates already applied are never applied twice.
 */
export interface ReprocessJob extends StaffIdentity {
  readonly kind: 'reprocess';
  readonly submissionId: string;
  /** Which templates (1-based); empty = every refused template of the submission. */
  readonly templateIndexes: readonly number[];
  readonly rejectionId?: number;
}

/** Apply one refused template, waiving the named rules (e.g. E_PREFIX_TOO_SMALL), and answer the customer. */
export interface OverrideJob extends StaffIdentity {
  readonly kind: 'override';
  readonly submissionId: string;
  readonly templateIndex: number;
  readonly waive: readonly string[];
  readonly rejectionId?: number;
  /**
   * The refusal or hold staff decided on, as the console showed it (the rejection's reason): the
   * worker applies nothing if the template would now be refused or held for other words (a
   * removal's subtree grew since the hold), E_REVIEW_CONFLICT. Absent in jobs queued before it.
   */
  readonly reviewed?: string;
}

/**
 * Replace the whole text of a refused template (form line to END OF TEMPLATE) by staff's corrected
 * text, then apply it. The text is written on the version staff saw (`basedOnVersion`, 1 for the
 * customer's): if another edit came first, the job is refused rather than losing that edit.
 */
export interface EditAndApplyJob extends StaffIdentity {
  readonly kind: 'edit-and-apply';
  readonly submissionId: string;
  readonly templateIndex: number;
  readonly text: string;
  readonly basedOnVersion: number;
  readonly waive: readonly string[];
  readonly rejectionId?: number;
  /** As OverrideJob's: the refusal or hold staff saw beside the text they edited. */
  readonly reviewed?: string;
}

/**
 * Decide work held for review against the sender: the template ends REJECTED on the ticket the
 * sender already holds (closed), and the sender is mailed staff's reason.
 */
export interface RejectJob extends StaffIdentity {
  readonly kind: 'reject';
  readonly submissionId: string;
  readonly templateIndex: number;
  /** Why, in staff's words, for the sender: the reply's `Error: E_REJECTED_BY_STAFF: <reason>`. */
  readonly reason: string;
  readonly rejectionId?: number;
}

/**
 * Take back what an override or an edit applied, from its audit row (`auditId`): the registry
 * changes its job wrote are reverted, the template is refused (or held) again on the same ticket,
 * the rejection is open again, and the sender is answered with the superseding reply, all in one
 * transaction.
 */
export interface UndoJob extends StaffIdentity {
  readonly kind: 'undo';
  readonly submissionId: string;
  readonly templateIndex: number;
  readonly rejectionId: number;
  readonly auditId: number;
}

/** The console actions an undo takes back: those that applied a template. */
export const UNDOABLE_STAFF_ACTIONS: readonly string[] = ['console.override', 'console.edit-and-apply'];

/**
 * Give up on a submission whose 'process' job failed for good without its outcome being recorded
 * (the worker died as it failed, or the database was down for the job's last try): the sweeper
 * queues it, the worker puts the message in the rejection queue and tells the sender.
 */
export interface GiveUpJob {
  readonly kind: 'give-up';
  readonly submissionId: string;
  /** Tries the failed job made. */
  readonly tries: number;
  /** Why it failed, as the failed job says (for staff; the sender is not shown it). */
  readonly cause: string;
}

/** What BullMQ writes on a job failed because its workers died under it more than `maxStalledCount` times. */
export const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

/** A job failed for good, as whoever records it needs it: tries made and why, in words. */
export interface JobFailure {
  readonly tries: number;
  readonly cause: string;
}

/** The counters BullMQ keeps on a job. */
export interface FailedJobFacts {
  /** Times a worker took the job (the take that only marks a stalled job failed counts too). */
  readonly attemptsStarted: number;
  /** Tries that ended in a failure the processor threw. */
  readonly attemptsMade: number;
  readonly failedReason: string;
}

export function describeFailure(job: FailedJobFacts): JobFailure {
  if (job.failedReason === STALLED_TOO_OFTEN) {
    // BullMQ fails such a job when a worker next takes it, without running it: that take is no try.
    const tries = Math.max(job.attemptsStarted - 1, 1);
    return {
      tries,
      cause: `the worker running it stopped (killed or crashed) before it finished, ${tries} ${tries === 1 ? 'time' : 'times'}, more than WORKER_MAX_STALLED_COUNT allows`,
    };
  }
  return { tries: Math.max(job.attemptsMade, 1), cause: job.failedReason };
}

export type StaffJob = ReprocessJob | OverrideJob | EditAndApplyJob | RejectJob | UndoJob;
export type SubmissionJob = ProcessSubmissionJob | GiveUpJob | StaffJob;

/** A staff job before the console signs it. */
export type UnsignedStaffJob =
  | Omit<ReprocessJob, 'proof'>
  | Omit<OverrideJob, 'proof'>
  | Omit<EditAndApplyJob, 'proof'>
  | Omit<RejectJob, 'proof'>
  | Omit<UndoJob, 'proof'>;

/** JSON with keys sorted at every depth: the same job always reads as the same bytes. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function proofOf(job: object, jobId: string, secret: string): string {
  const { proof: _, ...signed } = job as { proof?: unknown };
  return createHmac('sha256', secret)
    .update(`${jobId}\n${canonicalJson(signed)}`)
    .digest('hex');
}

/** The job as queued under `jobId`, with the console's proof. */
export function signStaffJob(job: UnsignedStaffJob, jobId: string, secret: string): StaffJob {
  return { ...job, proof: proofOf(job, jobId, secret) } as StaffJob;
}

/** Whether the job carries the proof the console would have given exactly this job under this id. */
export function hasValidProof(job: StaffJob, jobId: string, secret: string): boolean {
  if (typeof job.proof !== 'string' || !/^[0-9a-f]{64}$/.test(job.proof)) return false;
  return timingSafeEqual(Buffer.from(job.proof, 'hex'), Buffer.from(proofOf(job, jobId, secret), 'hex'));
}

/** BullMQ job ids must not contain ':' nor be integers. */
export function jobIdFor(job: SubmissionJob | UnsignedStaffJob, nonce: string | number = 0): string {
  if (job.kind === 'process') return job.submissionId;
  // One give-up per submission: the sweeper adding it again finds it there.
  if (job.kind === 'give-up') return `${job.submissionId}.give-up`;
  const scope = 'templateIndex' in job ? `t${job.templateIndex}` : 'all';
  return `${job.submissionId}.${job.kind}.${scope}.${nonce}`;
}
