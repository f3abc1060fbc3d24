/**
 * Whether a staff job came from the console: it must carry the console's proof (an HMAC under a
 * key only the database holds) and name a staff account that exists and is not disabled. A job
 * added any other way (bull-board, a script writing to Redis) is refused, audited as refused, and
 * never run: whoever can reach Redis must not be able to act, or be recorded, as staff.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { type Database, tables } from '../db/index.ts';
import { hasValidProof, STAFF_JOB_SECRET, type StaffJob } from '../queue/index.ts';
import { fail, ok, problem, type Result } from '../shared/index.ts';

export async function checkStaffJob(db: Database, job: StaffJob, jobId: string): Promise<Result<void>> {
  const [secret] = await db
    .select({ value: tables.consoleSecrets.value })
    .from(tables.consoleSecrets)
    .where(eq(tables.consoleSecrets.name, STAFF_JOB_SECRET));
  if (!secret || !hasValidProof(job, jobId, secret.value)) {
    return fail(
      problem(
        'E_FORGED_STAFF_JOB',
        `job ${jobId} (${String(job.kind)}) does not carry the console's proof for it: it was not queued by a staff action in the console, and nothing was done`,
      ),
    );
  }
  const staff = typeof job.staff === 'string' ? job.staff.toLowerCase() : '';
  const [account] = await db
    .select({ id: tables.staffUsers.id })
    .from(tables.staffUsers)
    .where(and(eq(tables.staffUsers.email, staff), isNull(tables.staffUsers.disabledAt)));
  if (!account) {
    return fail(
      problem(
        'E_FORGED_STAFF_JOB',
        `job ${jobId} (${job.kind}) names ${JSON.stringify(job.staff)}, who has no active staff account; nothing was done`,
      ),
    );
  }
  return ok(undefined);
}

/** The refusal in the audit log, under the worker's name: never under the staff name the job claims. */
export async function auditRefusedStaffJob(
  db: Database,
  job: StaffJob,
  jobId: string,
  why: string,
): Promise<void> {
  await db.insert(tables.auditLog).values({
    actor: 'system',
    action: 'worker.staff-job-refused',
    objectType: 'job',
    objectHandle: jobId,
    submissionId: typeof job.submissionId === 'string' ? job.submissionId.slice(0, 200) : null,
    note: why,
    after: { claimedStaff: String(job.staff).slice(0, 320), kind: String(job.kind) },
  });
}
