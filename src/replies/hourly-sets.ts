/**
 * A count of distinct members over the last hour, kept in Redis so every worker process shares it:
 * a sliding window from two hourly sets (the previous hour weighs as much of it as still lies in
 * the last hour). A member counted before is admitted again without counting twice, so a job run
 * again (a retry, a crash before commit) asks again and is told the same. One Lua script a call:
 * checking and counting are one atomic step. Used by the per-recipient reply limit (members: the
 * mails' Message-IDs) and the per-account limit on outside addresses (members: the addresses).
 */
import type { Redis } from 'ioredis';
import { runRedisScript, withTimeout } from '../queue/index.ts';

const HOUR_MS = 3_600_000;
/** A set lives through its own hour and the next (where it still weighs), plus a margin. */
const SET_TTL_MS = 2 * HOUR_MS + 60_000;

/**
 * KEYS: the current-hour set, then the previous-hour set.
 * ARGV: limit, weight of the previous hour (0..1), the member, TTL ms.
 * Returns {1 admitted | 0 held, the count as text}.
 */
const ADMIT_SCRIPT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[3]) == 1 or redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 1 then
  return {1, '0'}
end
local count = redis.call('SCARD', KEYS[1]) + redis.call('SCARD', KEYS[2]) * tonumber(ARGV[2])
if count >= tonumber(ARGV[1]) then return {0, tostring(count)} end
redis.call('SADD', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, tostring(count + 1)}
`;

export interface HourlyCount {
  readonly redis: Redis;
  /** `prefix:HOUR:subject` names the sets. */
  readonly prefix: string;
  readonly subject: string;
  readonly member: string;
  readonly perHour: number;
  readonly timeoutMs: number;
  /** What the count is, for the timeout's sentence. */
  readonly counting: string;
}

/** Admits `member` into the subject's last-hour count unless `perHour` others are in it. Throws when Redis does not answer. */
export async function admitHourly(
  count: HourlyCount,
  now: number,
): Promise<{ readonly admitted: true } | { readonly admitted: false; readonly count: number }> {
  const hour = Math.floor(now / HOUR_MS);
  const keys = [`${count.prefix}:${hour}:${count.subject}`, `${count.prefix}:${hour - 1}:${count.subject}`];
  const weight = 1 - (now % HOUR_MS) / HOUR_MS;
  const reply = await withTimeout(
    runRedisScript(count.redis, ADMIT_SCRIPT, keys, [
      String(count.perHour),
      String(weight),
      count.member,
      String(SET_TTL_MS),
    ]),
    count.timeoutMs,
    count.counting,
  );
  const [admitted, counted] = reply as [number, string];
  return admitted === 1 ? { admitted: true } : { admitted: false, count: Math.floor(Number(counted)) };
}
