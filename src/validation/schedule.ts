/**
 * The daily round in the worker role: a BullMQ job scheduler on its own queue (`validation`).
 * Every worker process upserts the same scheduler, and BullMQ makes one job per day of it,
 * which one worker takes: one round a day however many workers run. A round that fails (the
 * database away) is tried again; it resumes without mailing anyone twice (round.ts).
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type RedisLocation, redisOptionsFor, withTimeout } from '../queue/index.ts';
import { type RoundDeps, runValidationRound } from './round.ts';

export const VALIDATION_QUEUE = 'validation';
const SCHEDULER_ID = 'daily-validation-round';
const RETRY_MS = 60_000;
/** How long close() lets a round under way stop between two POCs before it is dropped. */
const CLOSE_TIMEOUT_MS = 10_000;

export interface ValidationSchedule {
  /** Resolves once the schedule is set (or removed) in Redis. */
  readonly scheduled: Promise<void>;
  close(): Promise<void>;
}

/**
 * How often each worker checks the scheduler is still in Redis and sets it again: Redis losing
 * its data (a restart without persistence, a failover, FLUSHALL) would otherwise stop the
 * daily round for good, silently, until a worker restarts.
 */
const CHECK_MS = 60_000;

export async function startValidationSchedule(
  redis: RedisLocation,
  deps: RoundDeps,
  options: { readonly checkEveryMs?: number } = {},
): Promise<ValidationSchedule> {
  const connectionOptions = redisOptionsFor(redis);
  const queueConnection = new Redis({ ...connectionOptions, maxRetriesPerRequest: 1 });
  const workerConnection = new Redis({ ...connectionOptions, maxRetriesPerRequest: null });
  const onRedisError = (err: Error) =>
    deps.logger.debug({ err: err.message }, 'validation schedule: redis error');
  for (const connection of [queueConnection, workerConnection]) connection.on('error', onRedisError);
  const queue = new Queue(VALIDATION_QUEUE, { connection: queueConnection });
  // BullMQ passes its connections' errors on as its own: unheard, it prints each one's stack to
  // stderr (queue-base.ts), several a second for as long as Redis is away.
  queue.on('error', onRedisError);
  const runAt = deps.config.validation.runAt;
  const schedule = () =>
    runAt
      ? queue.upsertJobScheduler(
          SCHEDULER_ID,
          { pattern: `${runAt.minute} ${runAt.hour} * * *`, tz: 'UTC' },
          {
            name: 'round',
            data: {},
            opts: {
              attempts: 5,
              backoff: { type: 'exponential', delay: 60_000 },
              removeOnComplete: 30,
              removeOnFail: 30,
            },
          },
        )
      : // VALIDATION_RUN_AT=off: a schedule an earlier start left behind is taken away.
        queue.removeJobScheduler(SCHEDULER_ID);
  // Redis may be away when the worker starts (it starts all the same, and mail waits): the
  // schedule is set once Redis answers, tried again every RETRY_MS until then.
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  const scheduled = new Promise<void>((resolve) => {
    const attempt = () => {
      schedule().then(
        () => resolve(),
        (err: unknown) => {
          if (closed) return resolve();
          deps.logger.warn({ err: (err as Error).message }, 'validation schedule not set yet; trying again');
          retry = setTimeout(attempt, RETRY_MS);
        },
      );
    };
    attempt();
  });
  // Set again whenever it is found missing; a day's time passed meanwhile (its job lost with the
  // data) gets that day's round now, once however many workers find it (one job id a day).
  const reassert = async () => {
    if (!runAt || (await queue.getJobScheduler(SCHEDULER_ID))) return;
    await schedule();
    const now = new Date();
    const due = new Date(now);
    due.setUTCHours(runAt.hour, runAt.minute, 0, 0);
    const day = now.toISOString().slice(0, 10);
    deps.logger.warn({ day }, 'validation schedule was missing from Redis; set again');
    if (now >= due)
      await queue.add(
        'round',
        {},
        {
          jobId: `catch-up-${day}`,
          attempts: 5,
          backoff: { type: 'exponential', delay: 60_000 },
          removeOnComplete: 30,
          removeOnFail: 30,
        },
      );
  };
  const check = setInterval(() => {
    reassert().catch((err: unknown) =>
      deps.logger.warn({ err: (err as Error).message }, 'validation schedule not checked; trying again'),
    );
  }, options.checkEveryMs ?? CHECK_MS);
  check.unref();
  const closing = new AbortController();
  const worker = new Worker(
    VALIDATION_QUEUE,
    async () => {
      const report = await runValidationRound(deps, new Date(), { signal: closing.signal });
      return { round: report.round, mailed: report.mailed.length, madeInvalid: report.madeInvalid.length };
    },
    { connection: workerConnection, concurrency: 1 },
  );
  worker.on('error', onRedisError);
  worker.on('failed', (_job, err) =>
    deps.logger.error({ err: err.message }, 'validation round failed; it will be tried again'),
  );
  return {
    scheduled,
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(check);
      // A round under way stops between two POCs; tomorrow's run (or the CLI) resumes it.
      closing.abort();
      // BullMQ's close() can wait forever once Redis went away and came back (or is still away):
      // as the submission worker does, a bounded graceful close, then a forced one.
      try {
        await withTimeout(worker.close(), CLOSE_TIMEOUT_MS, 'closing the validation worker');
      } catch {
        await withTimeout(worker.close(true), 2_000, 'force-closing the validation worker').catch(() => {});
      }
      await withTimeout(queue.close(), 2_000, 'closing the validation queue').catch(() => {});
      queueConnection.disconnect();
      workerConnection.disconnect();
    },
  };
}
