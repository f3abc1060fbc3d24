/**
 * What travels through Redis. One submission = one job (jobId = submission id, so adding the
 * same submission twice is a no-op while the job exists). Staff actions from the console are
 * jobs too, so every change to the registry goes through the one worker path.
 */
export const SUBMISSIONS_QUEUE = 'submissions';

/** Process a received submission: extract, parse, authorize, apply, reply. */
export interface ProcessSubmissionJob {
  readonly kind: 'process';
  readonly submissionId: string;
}

export interface StaffIdentity {
  /** The staff member's e-mail address, as signed in to the console. */
  readonly staff: string;
  readonly note: string;
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
}

/** Correct fields of a refused template (by field number, e.g. {'03': '198.51.100.0/29'}), then apply it. */
export interface EditAndApplyJob extends StaffIdentity {
  readonly kind: 'edit-and-apply';
  readonly submissionId: string;
  readonly templateIndex: number;
  readonly fieldValues: Readonly<Record<string, string>>;
  readonly waive: readonly string[];
  readonly rejectionId?: number;
}

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

export type SubmissionJob = ProcessSubmissionJob | ReprocessJob | OverrideJob | EditAndApplyJob | GiveUpJob;

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

/** BullMQ job ids must not contain ':' nor be integers. */
export function jobIdFor(job: SubmissionJob, nonce: string | number = 0): string {
  if (job.kind === 'process') return job.submissionId;
  // One give-up per submission: the sweeper adding it again finds it there.
  if (job.kind === 'give-up') return `${job.submissionId}.give-up`;
  const scope = 'templateIndex' in job ? `t${job.templateIndex}` : 'all';
  return `${job.submissionId}.${job.kind}.${scope}.${nonce}`;
}
