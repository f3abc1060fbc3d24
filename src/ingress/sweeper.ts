/**
 * Repairs the half-done states a submission can be left in. At start-up and then periodically,
 * for every submission still `received` or `processing`:
 * - its job is missing (Redis failed between the ingress's commit and its add, lost its last
 *   second of writes, or the job was removed): the job is added again; the job id is the
 *   submission id, so adding one that exists is harmless;
 * - its job failed for good and nothing recorded it (the worker died as the job failed, or the
 *   database was down for the last try and for the worker's 'failed' event): a `give-up` job is
 *   queued, and the worker puts the message in the rejection queue as E_PROCESSING_FAILED and
 *   tells the sender. A give-up job that itself failed for good is run again.
 */
import { and, asc, inArray, lt } from 'drizzle-orm';
import type { Logger } from 'pino';
import { type Executor, tables } from '../db/index.ts';
import { type GiveUpJob, jobIdFor, type SubmissionJob, type SubmissionQueue } from '../queue/index.ts';
import { silentLogger } from '../shared/index.ts';

export interface SweeperDeps {
  readonly db: Executor;
  readonly queue: SubmissionQueue;
  /** Between sweeps (default 60 s). */
  readonly intervalMs?: number;
  /** Submissions younger than this are left alone: the ingress is still adding their job (default 30 s). */
  readonly graceMs?: number;
  /**
   * Whether startSweeper sweeps before it resolves (default true). startSubmissionKeeping runs its
   * own start-up sweep, with no grace and tried again until it succeeds (keeping.ts).
   */
  readonly startupSweep?: boolean;
  /** Most submissions looked at per sweep (default 1000). */
  readonly batchSize?: number;
  readonly logger?: Logger;
}

export interface SweepResult {
  readonly checked: number;
  readonly requeued: readonly string[];
  /** Submissions whose failed job was handed to the worker to give up on. */
  readonly givenUp: readonly string[];
}

export interface Sweeper {
  /**
   * Runs one sweep now (the start-up one has already run when startSweeper resolves), with the
   * given grace (default the sweeper's). A sweep asked for with a shorter grace than the one
   * running runs after it; otherwise the running one answers.
   */
  sweep(graceMs?: number): Promise<SweepResult>;
  stop(): Promise<void>;
}

export async function sweepOnce(deps: SweeperDeps): Promise<SweepResult> {
  const { submissions } = tables;
  const graceMs = deps.graceMs ?? 30_000;
  const unhandled = inArray(submissions.state, ['received', 'processing']);
  const rows = await deps.db
    .select({ id: submissions.id })
    .from(submissions)
    .where(
      graceMs > 0 ? and(unhandled, lt(submissions.receivedAt, new Date(Date.now() - graceMs))) : unhandled,
    )
    .orderBy(asc(submissions.receivedAt))
    .limit(deps.batchSize ?? 1_000);
  const requeued: string[] = [];
  const givenUp: string[] = [];
  for (const { id } of rows) {
    const outcome = await deps.queue.jobOutcome(id);
    if (outcome === 'missing') {
      await add(deps.queue, { kind: 'process', submissionId: id });
      requeued.push(id);
    } else if (outcome === 'failed' && (await handOnFailure(deps.queue, id))) {
      givenUp.push(id);
    }
  }
  return { checked: rows.length, requeued, givenUp };
}

async function add(queue: SubmissionQueue, job: SubmissionJob): Promise<void> {
  const added = await queue.enqueue(job);
  if (!added.ok) throw new Error(added.error.message);
}

/**
 * The job of a submission still unhandled has failed for good: queue its give-up, or run a
 * give-up that failed (the database still down) again. The worker gives up only if nothing
 * recorded the failure meanwhile (see src/worker/gave-up.ts), so this may hand it on freely.
 */
async function handOnFailure(queue: SubmissionQueue, submissionId: string): Promise<boolean> {
  const failure = await queue.failure(submissionId);
  if (!failure) return false;
  const giveUp: GiveUpJob = { kind: 'give-up', submissionId, ...failure };
  const giveUpOutcome = await queue.jobOutcome(jobIdFor(giveUp));
  if (giveUpOutcome === 'missing') {
    await add(queue, giveUp);
    return true;
  }
  if (giveUpOutcome === 'failed') return queue.retryFailed(jobIdFor(giveUp));
  return false;
}

export async function startSweeper(deps: SweeperDeps): Promise<Sweeper> {
  const logger = deps.logger ?? silentLogger();
  const defaultGraceMs = deps.graceMs ?? 30_000;
  let running: { readonly graceMs: number; readonly done: Promise<SweepResult> } | undefined;
  const report = (result: SweepResult) => {
    if (result.requeued.length > 0) {
      logger.warn({ submissions: result.requeued }, 'sweeper re-queued submissions whose job was missing');
    }
    if (result.givenUp.length > 0) {
      logger.warn(
        { submissions: result.givenUp },
        'sweeper handed on submissions whose job failed with no outcome recorded, to be given up',
      );
    }
    return result;
  };
  const sweep = (graceMs = defaultGraceMs): Promise<SweepResult> => {
    if (running && running.graceMs <= graceMs) return running.done;
    // One sweep at a time: a shorter grace asked for meanwhile (a listener back after a loss) runs next.
    const before = running?.done.catch(() => undefined);
    const done = Promise.resolve(before)
      .then(() => sweepOnce({ ...deps, graceMs }))
      .then(report)
      .finally(() => {
        if (running?.done === done) running = undefined;
      });
    running = { graceMs, done };
    return done;
  };
  // At start-up a failure is only logged: Redis or the database may come up a moment later.
  if (deps.startupSweep !== false) {
    await sweep().catch((error: Error) => logger.warn({ err: error.message }, 'start-up sweep failed'));
  }
  const timer = setInterval(() => {
    sweep().catch((error: Error) => logger.warn({ err: error.message }, 'sweep failed; will try again'));
  }, deps.intervalMs ?? 60_000);
  timer.unref();
  return {
    sweep,
    stop: async () => {
      clearInterval(timer);
      await running?.done.catch(() => {});
    },
  };
}
