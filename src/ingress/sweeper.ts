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
import { and, asc, inArray, lt, sql } from 'drizzle-orm';
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

/** A periodic sweep: the grace, one batch. A catch-up: no grace, every batch. */
export type SweepKind = 'periodic' | 'catch-up';

export interface Sweeper {
  /**
   * Runs one sweep now (the start-up one has already run when startSweeper resolves): by default
   * the periodic one (the sweeper's grace, one batch). A catch-up sweep (no grace, every batch)
   * asked for while a periodic one runs runs after it; otherwise the running sweep answers.
   */
  sweep(kind?: SweepKind): Promise<SweepResult>;
  stop(): Promise<void>;
}

export interface SweepOptions {
  /** Submissions younger than this are left alone (default the deps' graceMs, 30 s). */
  readonly graceMs?: number;
  /**
   * Go on past the first batch until every unhandled submission was looked at. A periodic sweep
   * stops at one batch (its oldest); a catch-up sweep must also reach a pile `submit` stored while
   * no daemon ran, whose first batch stays unhandled, with jobs, until the workers get through it.
   */
  readonly everyBatch?: boolean;
}

export async function sweepOnce(deps: SweeperDeps, options: SweepOptions = {}): Promise<SweepResult> {
  const { submissions } = tables;
  const graceMs = options.graceMs ?? deps.graceMs ?? 30_000;
  const batchSize = deps.batchSize ?? 1_000;
  const unhandled = inArray(submissions.state, ['received', 'processing']);
  const young = graceMs > 0 ? lt(submissions.receivedAt, new Date(Date.now() - graceMs)) : undefined;
  const requeued: string[] = [];
  const givenUp: string[] = [];
  let checked = 0;
  // The next batch starts after the last row of this one; its time is the database's own text,
  // to the microsecond (a Date would cut it to the millisecond and read rows again).
  let after: { readonly at: string; readonly id: string } | undefined;
  for (;;) {
    const rows = await deps.db
      .select({ id: submissions.id, at: sql<string>`${submissions.receivedAt}::text` })
      .from(submissions)
      .where(
        and(
          unhandled,
          young,
          after
            ? sql`(${submissions.receivedAt}, ${submissions.id}) > (${after.at}::timestamptz, ${after.id})`
            : undefined,
        ),
      )
      .orderBy(asc(submissions.receivedAt), asc(submissions.id))
      .limit(batchSize);
    for (const { id } of rows) {
      const outcome = await deps.queue.jobOutcome(id);
      if (outcome === 'missing') {
        await add(deps.queue, { kind: 'process', submissionId: id });
        requeued.push(id);
      } else if (outcome === 'failed' && (await handOnFailure(deps.queue, id))) {
        givenUp.push(id);
      }
    }
    checked += rows.length;
    const last = rows.at(-1);
    if (!options.everyBatch || rows.length < batchSize || !last) break;
    after = last;
  }
  return { checked, requeued, givenUp };
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
  // One sweep at a time. A catch-up asked for while one runs may concern a row committed after
  // that sweep read its batch, so one more runs after it (at most one waits: it covers all asks).
  let running: Promise<SweepResult> | undefined;
  let waiting: Promise<SweepResult> | undefined;
  const begin = (kind: SweepKind): Promise<SweepResult> => {
    const options: SweepOptions = kind === 'catch-up' ? { graceMs: 0, everyBatch: true } : {};
    const done: Promise<SweepResult> = sweepOnce(deps, options)
      .then(report)
      .finally(() => {
        if (running === done) running = undefined;
      });
    running = done;
    return done;
  };
  const sweep = (kind: SweepKind = 'periodic'): Promise<SweepResult> => {
    if (waiting) return waiting;
    if (!running) return begin(kind);
    if (kind === 'periodic') return running;
    const next = running
      .catch(() => undefined)
      .then(() => {
        waiting = undefined;
        return begin('catch-up');
      });
    waiting = next;
    return next;
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
      await waiting?.catch(() => {});
      await running?.catch(() => {});
    },
  };
}
