/**
 * How many messages one sender address submitted in the last hour, kept in Redis so several
 * ingress processes share one count. A sliding window from two hourly buckets: the previous
 * hour's count weighs as much of it as still lies inside the last 60 minutes.
 */
import type { Redis } from 'ioredis';
import { withTimeout } from '../queue/index.ts';

const HOUR_MS = 3_600_000;
const KEY_PREFIX = 'hostmasterd:sender-rate';

export interface RateVerdict {
  readonly sender: string;
  readonly count: number;
}

export class SenderRate {
  constructor(
    private readonly redis: Redis,
    readonly limitPerHour: number,
    private readonly timeoutMs = 5_000,
  ) {}

  /** The first sender at or over the limit, if any. Throws when Redis is unreachable. */
  async overLimit(senders: readonly string[], now = Date.now()): Promise<RateVerdict | undefined> {
    for (const sender of unique(senders)) {
      const count = await this.count(sender, now);
      if (count >= this.limitPerHour) return { sender, count: Math.floor(count) };
    }
    return undefined;
  }

  /** Counts one accepted message for each sender. */
  async record(senders: readonly string[], now = Date.now()): Promise<void> {
    const hour = Math.floor(now / HOUR_MS);
    const pipeline = this.redis.multi();
    for (const sender of unique(senders)) {
      const key = keyFor(sender, hour);
      pipeline.incr(key);
      pipeline.pexpire(key, 2 * HOUR_MS + 60_000);
    }
    await withTimeout(pipeline.exec(), this.timeoutMs, 'counting the sender');
  }

  private async count(sender: string, now: number): Promise<number> {
    const hour = Math.floor(now / HOUR_MS);
    const [current, previous] = await withTimeout(
      this.redis.mget(keyFor(sender, hour), keyFor(sender, hour - 1)),
      this.timeoutMs,
      'reading the sender count',
    );
    const intoHour = (now % HOUR_MS) / HOUR_MS;
    return Number(current ?? 0) + Number(previous ?? 0) * (1 - intoHour);
  }
}

/** The null sender of bounces counts as one sender, '<>'. */
export function senderKey(address: string | undefined): string {
  const cleaned = (address ?? '').trim().toLowerCase().slice(0, 320);
  return cleaned === '' ? '<>' : cleaned;
}

function keyFor(sender: string, hour: number): string {
  return `${KEY_PREFIX}:${hour}:${sender}`;
}

function unique(senders: readonly string[]): string[] {
  return [...new Set(senders.map(senderKey))];
}
