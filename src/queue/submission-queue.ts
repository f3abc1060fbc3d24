/**
 * The producer side of the "submissions" queue: the ingress, `submit`, the sweeper and the
 * console add jobs here. Its connection never queues commands while Redis is away
 * (`enableOfflineQueue: false`) and every call is raced against a timer, so a caller learns
 * "Redis is unreachable" in seconds and can answer 451 instead of hanging.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { fail, ok, problem, type Result } from '../shared/index.ts';
import { describeFailure, type JobFailure, jobIdFor, SUBMISSIONS_QUEUE, type SubmissionJob } from './jobs.ts';
import { bullmq, ioredis } from './packages.ts';
import { describeRedis, type RedisLocation, redisOptionsFor } from './redis-options.ts';
import { withTimeout } from './timeout.ts';

export interface SubmissionQueueOptions {
  /** How long an add or a lookup may take before Redis counts as unreachable (default 5 s). */
  readonly timeoutMs?: number;
  /** Tries per job for transient failures (default 8), spaced by exponential backoff from `backoffMs` (2 s). */
  readonly attempts?: number;
  readonly backoffMs?: number;
  /** Completed jobs are trimmed: kept this many seconds, at most this many (default 7 days, 10 000). */
  readonly keepCompleted?: { readonly age: number; readonly count: number };
  readonly logger?: Logger;
}

export interface EnqueueOptions {
  /** Makes staff jobs on one submission distinct (see `jobIdFor`); unused for 'process' jobs. */
  readonly nonce?: string | number;
  readonly delayMs?: number;
}

export type JobCounts = Readonly<Record<string, number>>;

export type JobOutcome = 'missing' | 'unfinished' | 'completed' | 'failed';

export class SubmissionQueue {
  /** The BullMQ queue itself, for the console's bull-board. */
  readonly queue: Queue<SubmissionJob>;
  /** The producer connection; the ingress keeps its per-sender counters here too. */
  readonly redis: Redis;
  readonly where: string;
  private readonly timeoutMs: number;
  private readonly defaults: JobsOptions;
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(location: RedisLocation, options: SubmissionQueueOptions = {}) {
    const redisOptions = redisOptionsFor(location);
    this.where = describeRedis(redisOptions);
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.logger = options.logger;
    const { Redis } = ioredis();
    const { Queue } = bullmq();
    this.redis = new Redis({
      ...redisOptions,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: this.timeoutMs,
      // Keep trying in the background, so the next message is accepted as soon as Redis is back.
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    let lastError = '';
    const onError = (error: Error) => {
      // One line per distinct error, not one per reconnect attempt.
      if (error.message === lastError) return;
      lastError = error.message;
      this.logger?.warn({ redis: this.where, err: error.message }, 'submission queue: redis error');
    };
    this.redis.on('error', onError);
    this.redis.on('ready', () => {
      lastError = '';
    });
    this.queue = new Queue<SubmissionJob>(SUBMISSIONS_QUEUE, { connection: this.redis });
    this.queue.on('error', onError);
    const keep = options.keepCompleted ?? { age: 7 * 24 * 3600, count: 10_000 };
    this.defaults = {
      attempts: options.attempts ?? 8,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 2_000 },
      removeOnComplete: { age: keep.age, count: keep.count },
      // Failed jobs stay for staff to see in the console.
      removeOnFail: false,
    };
  }

  /**
   * Adds the job under its stable id: adding one that still exists is a no-op, so the ingress,
   * the sweeper and a duplicate delivery may all add the same submission safely.
   */
  async enqueue(job: SubmissionJob, options: EnqueueOptions = {}): Promise<Result<{ jobId: string }>> {
    const jobId = jobIdFor(job, options.nonce);
    try {
      await withTimeout(
        this.queue.add(job.kind, job, {
          ...this.defaults,
          jobId,
          ...(options.delayMs ? { delay: options.delayMs } : {}),
        }),
        this.timeoutMs,
        'adding the job to Redis',
      );
      return ok({ jobId });
    } catch (error) {
      return fail(
        problem(
          'E_QUEUE_UNAVAILABLE',
          `the job queue (${this.where}) is unreachable: ${(error as Error).message}`,
        ),
      );
    }
  }

  /** Whether a job with this id is in Redis in any state (waiting, active, delayed, failed, completed). */
  async hasJob(jobId: string): Promise<boolean> {
    const job = await withTimeout(this.queue.getJob(jobId), this.timeoutMs, 'looking up a job in Redis');
    return job !== undefined && job !== null;
  }

  /**
   * How a job ended: 'missing' when Redis has no such job (never added, trimmed, or lost with
   * Redis's last writes), 'unfinished' while it waits, runs or waits for a retry. Read from the
   * job's own hash and the failed set, not with BullMQ's getJobState, which scans the waiting
   * list: the sweeper asks this of up to a thousand submissions at a time, behind a backlog.
   */
  async jobOutcome(jobId: string): Promise<JobOutcome> {
    return await withTimeout(
      (async () => {
        const job = await this.queue.getJob(jobId);
        if (!job) return 'missing';
        if (!job.finishedOn) return 'unfinished';
        return (await job.isFailed()) ? 'failed' : 'completed';
      })(),
      this.timeoutMs,
      'reading how a job ended in Redis',
    );
  }

  /**
   * jobOutcome for many jobs in one round trip (one pipeline: the job's hash, its finish time and
   * whether the failed set holds it), for the sweeper's batches: a catch-up over a backlog asks
   * this of every stored submission, and one look-up each was a round trip per row.
   */
  async jobOutcomes(jobIds: readonly string[]): Promise<ReadonlyMap<string, JobOutcome>> {
    const outcomes = new Map<string, JobOutcome>();
    if (jobIds.length === 0) return outcomes;
    const failedKey = this.queue.toKey('failed');
    const replies = await withTimeout(
      (async () => {
        // The first time, as BullMQ's own calls do: the connection is still being made.
        await this.queue.waitUntilReady();
        const pipeline = this.redis.pipeline();
        for (const jobId of jobIds) {
          const jobKey = this.queue.toKey(jobId);
          pipeline.exists(jobKey).hget(jobKey, 'finishedOn').zscore(failedKey, jobId);
        }
        return await pipeline.exec();
      })(),
      this.timeoutMs,
      'reading how jobs ended in Redis',
    );
    if (!replies) throw new Error('reading how jobs ended in Redis: the pipeline was not run');
    jobIds.forEach((jobId, index) => {
      const [exists, finishedOn, failedScore] = [0, 1, 2].map((part) => {
        const [error, value] = replies[index * 3 + part] ?? [new Error('no reply')];
        if (error) throw error;
        return value;
      });
      outcomes.set(
        jobId,
        exists === 0 ? 'missing' : !finishedOn ? 'unfinished' : failedScore !== null ? 'failed' : 'completed',
      );
    });
    return outcomes;
  }

  /**
   * Adds many jobs in one round trip (BullMQ's addBulk), each under its stable id: one that still
   * exists is left as it is, so a listener or another sweeper adding the same job meanwhile is
   * harmless.
   */
  async enqueueAll(jobs: readonly SubmissionJob[]): Promise<Result<{ readonly jobIds: readonly string[] }>> {
    if (jobs.length === 0) return ok({ jobIds: [] });
    const jobIds = jobs.map((job) => jobIdFor(job));
    try {
      await withTimeout(
        this.queue.addBulk(
          jobs.map((job, index) => ({
            name: job.kind,
            data: job,
            opts: { ...this.defaults, jobId: jobIds[index] },
          })),
        ),
        this.timeoutMs,
        'adding jobs to Redis',
      );
      return ok({ jobIds });
    } catch (error) {
      return fail(
        problem(
          'E_QUEUE_UNAVAILABLE',
          `the job queue (${this.where}) is unreachable: ${(error as Error).message}`,
        ),
      );
    }
  }

  /** A failed job's failure, for whoever has to record it: tries made and the last error. */
  async failure(jobId: string): Promise<JobFailure | undefined> {
    const job = await withTimeout(this.queue.getJob(jobId), this.timeoutMs, 'looking up a job in Redis');
    if (!job?.finishedOn || job.failedReason === undefined) return undefined;
    return describeFailure(job);
  }

  /**
   * Runs a failed job again from a fresh count of tries; false when it is not (or no longer)
   * failed, e.g. another sweeper retried it first.
   */
  async retryFailed(jobId: string): Promise<boolean> {
    const job = await withTimeout(this.queue.getJob(jobId), this.timeoutMs, 'looking up a job in Redis');
    if (!job || !(await job.isFailed())) return false;
    try {
      await withTimeout(job.retry('failed'), this.timeoutMs, 'retrying a failed job');
      return true;
    } catch (error) {
      // BullMQ refuses to retry a job that left 'failed' meanwhile; anything else is Redis trouble.
      if (!(await withTimeout(job.isFailed(), this.timeoutMs, 'reading how a job ended in Redis')))
        return false;
      throw error;
    }
  }

  /**
   * Runs a completed job again; false when it is not (or no longer) completed. For a submission
   * still unhandled whose job completed: its transaction committed without waiting for the disk
   * (src/db/durable-later.ts) and a crash undid it before a later commit made it durable.
   */
  async runCompletedAgain(jobId: string): Promise<boolean> {
    const job = await withTimeout(this.queue.getJob(jobId), this.timeoutMs, 'looking up a job in Redis');
    if (!job || !(await job.isCompleted())) return false;
    try {
      await withTimeout(job.retry('completed'), this.timeoutMs, 'running a completed job again');
      return true;
    } catch (error) {
      // BullMQ refuses to retry a job that left 'completed' meanwhile; anything else is Redis trouble.
      if (!(await withTimeout(job.isCompleted(), this.timeoutMs, 'reading how a job ended in Redis')))
        return false;
      throw error;
    }
  }

  async counts(): Promise<JobCounts> {
    return await withTimeout(this.queue.getJobCounts(), this.timeoutMs, 'counting jobs in Redis');
  }

  /**
   * Waits until the connection is up; fails at the first connection error or after the timeout.
   * A short-lived producer (`submit`) calls it first, so an outage stores nothing at all.
   */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    let onReady = () => {};
    let onError = (_error: Error) => {};
    const promise = new Promise<void>((resolve, reject) => {
      onReady = () => resolve();
      onError = (error: Error) => reject(error);
    });
    this.redis.once('ready', onReady);
    this.redis.once('error', onError);
    try {
      await withTimeout(promise, this.timeoutMs, `connecting to Redis (${this.where})`);
    } finally {
      this.redis.removeListener('ready', onReady);
      this.redis.removeListener('error', onError);
    }
  }

  /** Cheap readiness check. */
  async ping(): Promise<void> {
    await withTimeout(this.redis.ping(), this.timeoutMs, 'pinging Redis');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await withTimeout(this.queue.close(), this.timeoutMs, 'closing the queue');
    } catch {
      // Redis is gone: nothing of ours is in flight, so dropping the socket loses nothing.
    }
    this.redis.disconnect();
  }
}
