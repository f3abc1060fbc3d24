/**
 * The consumer side: runs a processor for each job of the "submissions" queue. The processor is
 * the worker room's business; this file only owns the BullMQ plumbing and a shutdown that
 * cannot hang (BullMQ's `worker.close()` can wait forever while Redis is unreachable).
 */
import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { describeFailure, type JobFailure, SUBMISSIONS_QUEUE, type SubmissionJob } from './jobs.ts';
import { bullmq, ioredis } from './packages.ts';
import { describeRedis, type RedisLocation, redisOptionsFor } from './redis-options.ts';
import { withTimeout } from './timeout.ts';

export interface JobMeta {
  /** Attempts already made before this one (0 on the first run). */
  readonly attemptsMade: number;
  /** This is the job's last try: a temporary trouble now must end in an answer, not a retry. */
  readonly lastAttempt: boolean;
  readonly jobId: string;
  /** The processor may put this run off once with DeferJob (false when it already did). */
  readonly deferrable: boolean;
}

/**
 * Thrown by a processor that would only wait (for DNS, say): the job goes back to the queue for
 * `delayMs` without using up a try, and its worker slot is free for other jobs meanwhile.
 */
export class DeferJob extends Error {
  override name = 'DeferJob';
  constructor(
    readonly delayMs: number,
    why: string,
  ) {
    super(why);
  }
}

/** Throw to fail this attempt: BullMQ retries with backoff until the job's attempts are used up. */
export type SubmissionProcessor = (job: SubmissionJob, meta: JobMeta) => Promise<StaffJobResult | void>;

/**
 * Called once a job has failed for good, in every way one can: its last try threw, the processor
 * gave up (UnrecoverableError), or BullMQ failed it for stalling too often without running it.
 */
export type FailedForGood = (job: SubmissionJob, failure: JobFailure, jobId: string) => Promise<void>;

export interface SubmissionWorkerOptions {
  readonly concurrency: number;
  /** How often stalled jobs (their worker died) are looked for, ms (BullMQ default 30 s). */
  readonly stalledInterval?: number;
  /** Stalls allowed before a job is failed without being run again (default 1). */
  readonly maxStalledCount?: number;
  readonly onFailedForGood?: FailedForGood;
  /** How long a job's lock lasts without renewal, ms (default 30 s). */
  readonly lockDuration?: number;
  /** How long close() lets running jobs finish before it drops them (they are then re-run as stalled). */
  readonly closeTimeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * Thrown by a processor to fail its job without retrying it. BullMQ knows its own by name as well
 * as by class, so this one needs no BullMQ loaded to be thrown (the worker's helpers throw it).
 */
export class UnrecoverableError extends Error {
  override name = 'UnrecoverableError';
}

/**
 * A staff job refused by design (E_EDIT_CONFLICT, E_ALREADY_UNDONE, E_UNDO_CONFLICT,
 * E_REVIEW_CONFLICT, an edit that leaves no template...): an outcome, not a failure. The worker
 * completes the job with `{ refused: <why> }` (StaffJobResult), so the failed count operations
 * alert on, and bull-board's failed list, hold only jobs that broke; the console reads the refusal
 * from the result as it read the failure's reason.
 */
export class StaffRefusal extends UnrecoverableError {
  override name = 'StaffRefusal';
}

/** What a job that ran to its end returns: a staff refusal's words, or nothing. */
export type StaffJobResult = { readonly refused: string } | undefined;

export interface SubmissionWorker {
  readonly worker: Worker<SubmissionJob>;
  /** Stop taking jobs, let running ones finish (up to closeTimeoutMs), then disconnect. */
  close(): Promise<void>;
}

export function startSubmissionWorker(
  location: RedisLocation,
  processor: SubmissionProcessor,
  options: SubmissionWorkerOptions,
): SubmissionWorker {
  const redisOptions = redisOptionsFor(location);
  const where = describeRedis(redisOptions);
  const logger = options.logger;
  // Workers must wait for Redis rather than fail commands (BullMQ requires this).
  const { Redis } = ioredis();
  const connection = new Redis({ ...redisOptions, maxRetriesPerRequest: null });
  let lastError = '';
  const onError = (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    logger?.warn({ redis: where, err: error.message }, 'submission worker: redis error');
  };
  connection.on('error', onError);
  connection.on('ready', () => {
    lastError = '';
  });

  const { DelayedError, Worker: BullWorker } = bullmq();
  const worker = new BullWorker<SubmissionJob>(
    SUBMISSIONS_QUEUE,
    async (job: Job<SubmissionJob>, token?: string) => {
      try {
        return await processor(job.data, {
          attemptsMade: job.attemptsMade,
          lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
          jobId: job.id ?? '',
          // A put-off run starts again without counting a try: at most one deferral per try.
          deferrable: (job.attemptsStarted ?? 1) - job.attemptsMade <= 1,
        });
      } catch (error) {
        if (!(error instanceof DeferJob) || !token) throw error;
        await job.moveToDelayed(Date.now() + error.delayMs, token);
        throw new DelayedError(error.message);
      }
    },
    {
      connection,
      concurrency: options.concurrency,
      ...(options.stalledInterval !== undefined ? { stalledInterval: options.stalledInterval } : {}),
      ...(options.maxStalledCount !== undefined ? { maxStalledCount: options.maxStalledCount } : {}),
      ...(options.lockDuration !== undefined ? { lockDuration: options.lockDuration } : {}),
    },
  );
  worker.on('error', onError);
  /** Failures being recorded: close() lets them finish. */
  const recordings = new Set<Promise<unknown>>();
  worker.on('failed', (job, error) => {
    logger?.warn(
      { jobId: job?.id, kind: job?.data.kind, attemptsMade: job?.attemptsMade, err: error.message },
      'submission job attempt failed',
    );
    // finishedOn is set only when the job went to 'failed' (a retry leaves it unset).
    if (!job?.finishedOn || !options.onFailedForGood) return;
    const failure = describeFailure({
      attemptsStarted: job.attemptsStarted,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason ?? error.message,
    });
    const recording = options
      .onFailedForGood(job.data, failure, job.id ?? '')
      .catch((failed: unknown) =>
        logger?.error(
          { jobId: job.id, err: (failed as Error).message },
          'could not record a job failed for good; the sweeper will',
        ),
      )
      .finally(() => recordings.delete(recording));
    recordings.add(recording);
  });

  let closing: Promise<void> | undefined;
  return {
    worker,
    close: () => {
      closing ??= (async () => {
        const timeoutMs = options.closeTimeoutMs ?? 30_000;
        try {
          await withTimeout(worker.close(), timeoutMs, 'closing the worker gracefully');
        } catch (error) {
          logger?.warn({ err: (error as Error).message }, 'worker did not close in time; forcing it');
          await withTimeout(worker.close(true), 2_000, 'force-closing the worker').catch(() => {});
        }
        await withTimeout(Promise.all(recordings), timeoutMs, 'recording failed jobs').catch(() => {});
        connection.disconnect();
      })();
      return closing;
    },
  };
}
