/**
 * The worker role: takes submission jobs from Redis and runs them through
 * mail -> templates -> auth -> registry -> replies.
 */

import { Redis } from 'ioredis';
import type { DnsResolver } from '../auth/index.ts';
import type { Config } from '../config/index.ts';
import { type Database, isDataRefusal } from '../db/index.ts';
import {
  DeferJob,
  type RedisLocation,
  redisOptionsFor,
  StaffRefusal,
  type SubmissionJob,
  type SubmissionWorker,
  startSubmissionWorker,
  UnrecoverableError,
} from '../queue/index.ts';
import { AccountStrangerLimit, RecipientReplyLimit, type ReplyTexts } from '../replies/index.ts';
import type { Logger } from '../shared/index.ts';
import { describeError, redactApiKeys } from '../shared/index.ts';
import { createWorkerContext, type WorkerContext, type WorkerMetrics } from './context.ts';
import { recordGaveUp } from './gave-up.ts';
import { inPhase, messageCounted } from './phase-times.ts';
import { processSubmission } from './process-submission.ts';
import { runStaffJob } from './staff-actions.ts';

export { createWorkerContext, ourAddresses, type WorkerContext, type WorkerMetrics } from './context.ts';
export { tryTemplates } from './dry-run.ts';
export type { TemplateResult } from './outcome.ts';
export {
  inPhase,
  messageCounted,
  startPhaseTimes,
  timeLogger,
  writePhaseTimes,
} from './phase-times.ts';
export { processSubmission, readSubmission } from './process-submission.ts';
export { runStaffJob } from './staff-actions.ts';
export { reparseEditedText, restoreHiddenKeys } from './template-edit.ts';

export async function runJob(
  ctx: WorkerContext,
  job: SubmissionJob,
  jobId: string,
  deferrable = false,
): Promise<void> {
  if (job.kind === 'process') return processSubmission(ctx, job.submissionId, { deferrable });
  if (job.kind === 'give-up') {
    const gaveUp = await recordGaveUp(ctx, job.submissionId, job.tries, new Error(job.cause), {
      unlessRejected: true,
    });
    ctx.logger[gaveUp ? 'error' : 'info'](
      { submissionId: job.submissionId, tries: job.tries, cause: job.cause },
      gaveUp
        ? 'a job failed for good without its outcome recorded; put in the rejection queue for staff'
        : 'a failed job was already recorded; nothing to give up',
    );
    return;
  }
  return runStaffJob(ctx, job, jobId);
}

export interface WorkerOptions {
  readonly config: Config;
  readonly db: Database;
  readonly redis: RedisLocation;
  readonly logger: Logger;
  readonly texts: ReplyTexts;
  readonly resolver?: DnsResolver;
  readonly wakeOutbox?: () => void;
  readonly metrics?: WorkerMetrics & { jobFinished?(seconds: number, ok: boolean): void };
  /** How soon a dead worker's job is taken over, ms; config.workerStalledIntervalMs when absent. */
  readonly stalledInterval?: number;
}

export function startWorker(options: WorkerOptions): SubmissionWorker {
  // The per-recipient reply count lives in Redis, shared by every worker process. Commands fail
  // fast while Redis is gone (the job fails and is retried) instead of queueing without end.
  const counts = inPhase(
    'reply limit: redis count (ioredis)',
    () => new Redis({ ...redisOptionsFor(options.redis), maxRetriesPerRequest: 1 }),
  );
  counts.on('error', (err) => options.logger.debug({ err: err.message }, 'reply counts: redis error'));
  const ctx = createWorkerContext({
    ...options,
    replyLimit: new RecipientReplyLimit(counts, options.config.limits.repliesPerRecipientPerHour),
    strangerLimit: new AccountStrangerLimit(counts, options.config.limits.strangersPerAccountPerHour),
  });
  // A job's lock lasts as long as the stall check's period: a dead worker's job is re-run within
  // about two periods, and a live worker renews its lock at half the period.
  const stalledInterval = options.stalledInterval ?? options.config.workerStalledIntervalMs;
  const worker = inPhase('queue: bullmq, ioredis (fetch, lock, complete)', () =>
    startSubmissionWorker(
      options.redis,
      async (job, meta) => {
        const started = process.hrtime.bigint();
        try {
          await inPhase('message: other (job wrapper, awaits)', () =>
            runJob(ctx, job, meta.jobId, meta.deferrable),
          );
          messageCounted();
          options.metrics?.jobFinished?.(Number(process.hrtime.bigint() - started) / 1e9, true);
        } catch (error) {
          // A staff action refused by design ran to its end: completed, with why (StaffRefusal).
          if (error instanceof StaffRefusal) {
            options.metrics?.jobFinished?.(Number(process.hrtime.bigint() - started) / 1e9, true);
            options.logger.info(
              { jobId: meta.jobId, kind: job.kind, why: error.message },
              'staff job refused',
            );
            return { refused: error.message };
          }
          // Put off while DNS answers, not failed: the queue runs it again without counting a try.
          if (error instanceof DeferJob) {
            options.logger.debug({ submissionId: job.submissionId, why: error.message }, 'job put off');
            throw error;
          }
          options.metrics?.jobFinished?.(Number(process.hrtime.bigint() - started) / 1e9, false);
          const fields = {
            submissionId: job.submissionId,
            jobId: meta.jobId,
            attempt: meta.attemptsMade + 1,
            err: error,
          };
          // Values the database refuses as data are refused again on every try: give up now, so
          // the sender hears within seconds, not after the backoff's minutes of retries.
          const hopeless = isDataRefusal(error);
          if ((meta.lastAttempt || hopeless) && job.kind === 'process') {
            options.logger.error(
              fields,
              hopeless
                ? 'job failed on data the database refuses; not retried, put in the rejection queue for staff'
                : 'job failed on its last try; put in the rejection queue for staff',
            );
            await recordGaveUp(ctx, job.submissionId, meta.attemptsMade + 1, error).catch(
              (failure: unknown) =>
                options.logger.error(
                  { submissionId: job.submissionId, err: failure },
                  'could not put the failed job in the rejection queue; it stays failed in the queue',
                ),
            );
            if (hopeless) throw new UnrecoverableError(redactApiKeys(describeError(error)));
          } else {
            options.logger.error(fields, 'job failed; it will be retried');
          }
          throw withKeysRedacted(error);
        }
      },
      {
        concurrency: options.config.workerConcurrency,
        logger: options.logger,
        stalledInterval,
        lockDuration: stalledInterval,
        maxStalledCount: options.config.workerMaxStalledCount,
        // Every way a 'process' job can fail for good ends here, including the one where no try of
        // ours ran: BullMQ fails a job stalled too often when a worker next takes it. The last try
        // usually recorded it already; then this finds the submission handled and does nothing.
        onFailedForGood: async (job, failure, jobId) => {
          if (job.kind !== 'process') return;
          const gaveUp = await recordGaveUp(ctx, job.submissionId, failure.tries, new Error(failure.cause));
          if (gaveUp)
            options.logger.error(
              { submissionId: job.submissionId, jobId, tries: failure.tries, err: failure.cause },
              'job failed for good; put in the rejection queue for staff',
            );
        },
      },
    ),
  );
  return {
    worker: worker.worker,
    close: async () => {
      await worker.close();
      counts.disconnect();
    },
  };
}

/**
 * BullMQ keeps a failed job's error message and stack in Redis, and bull-board shows them to
 * staff: a key quoted in an error (a driver echoing a value, say) is redacted there too.
 */
function withKeysRedacted(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  error.message = redactApiKeys(error.message);
  if (error.stack) error.stack = redactApiKeys(error.stack);
  return error;
}
