/**
 * Reading: a stored message -> its mail and its parsed templates, off the event loop that
 * answers SMTP and health checks, within a time and memory budget (E_MESSAGE_TOO_COMPLEX past
 * them). `readOffThread` is what the worker uses; `readMessage` reads in place (lint, tests).
 */
import { availableParallelism } from 'node:os';
import { ReadingPool, type ReadingPoolOptions } from './pool.ts';
import type { MessageReading, MessageReadOptions } from './read-message.ts';

export { ReadingPool, type ReadingPoolOptions } from './pool.ts';
export { type MessageReading, type MessageReadOptions, readMessage } from './read-message.ts';

/** The heap one reading thread may use: a 10 MiB message reads in well under half of it. */
export const READING_MEMORY_LIMIT_MB = 512;

/** One pool per time limit (a process holds one worker, so one pool; tests start several). */
const pools = new Map<number, ReadingPool>();

/**
 * Reads in the process's reading threads: as many as cores, two at least (so one message at
 * its time limit never holds up all others) and four at most (a job waits for the database
 * longer than for its parse). Idle threads do not keep the process alive.
 */
export function readOffThread(
  raw: Buffer,
  options: MessageReadOptions & { readonly timeLimitMs: number },
): Promise<MessageReading> {
  let pool = pools.get(options.timeLimitMs);
  if (!pool) {
    const poolOptions: ReadingPoolOptions = {
      size: Math.min(4, Math.max(2, availableParallelism())),
      timeLimitMs: options.timeLimitMs,
      memoryLimitMb: READING_MEMORY_LIMIT_MB,
    };
    pool = new ReadingPool(poolOptions);
    pools.set(options.timeLimitMs, pool);
  }
  return pool.read(raw, { maxTemplates: options.maxTemplates });
}
