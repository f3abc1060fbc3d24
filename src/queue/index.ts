/**
 * The queue room: BullMQ on Redis between the ingress (producer) and the worker (consumer),
 * and the embedded redis-server the daemon runs when REDIS_URL is unset.
 */
// Queue for the console's bull-board.
export type { Queue } from 'bullmq';
export {
  type EmbeddedRedis,
  type EmbeddedRedisOptions,
  ping as pingRedisSocket,
  startEmbeddedRedis,
} from './embedded-redis.ts';
export * from './jobs.ts';
// BullMQ itself for the console (Job, QueueEvents): one copy, loaded on first use.
export { bullmq as loadBullmq } from './packages.ts';
export { describeRedis, parseRedisUrl, type RedisLocation, redisOptionsFor } from './redis-options.ts';
export { runRedisScript } from './redis-script.ts';
export {
  type EnqueueOptions,
  type JobCounts,
  type JobOutcome,
  SubmissionQueue,
  type SubmissionQueueOptions,
} from './submission-queue.ts';
export {
  DeferJob,
  type FailedForGood,
  type JobMeta,
  type StaffJobResult,
  StaffRefusal,
  type SubmissionProcessor,
  type SubmissionWorker,
  type SubmissionWorkerOptions,
  startSubmissionWorker,
  UnrecoverableError,
} from './submission-worker.ts';
export { TimeoutError, withTimeout } from './timeout.ts';
