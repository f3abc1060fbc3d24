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

export type SubmissionJob = ProcessSubmissionJob | ReprocessJob | OverrideJob | EditAndApplyJob;

/** BullMQ job ids must not contain ':' nor be integers. */
export function jobIdFor(job: SubmissionJob, nonce: string | number = 0): string {
  if (job.kind === 'process') return job.submissionId;
  const scope = 'templateIndex' in job ? `t${job.templateIndex}` : 'all';
  return `${job.submissionId}.${job.kind}.${scope}.${nonce}`;
}
