/**
 * How many WHOIS and RDAP queries one client (an IPv4 address, an IPv6 client's /64) made this
 * minute, counted in Redis so every public process shares one count. A fixed one-minute window:
 * one INCR (and its expiry) per query, in one script.
 *
 * When Redis does not answer within a short deadline the query is answered uncounted: lookups
 * only read public data, and a Redis outage should not become a WHOIS outage (/readyz says
 * Redis is down meanwhile).
 */
import type { Redis } from 'ioredis';
import { clientKey } from '../ip/index.ts';
import { runRedisScript, withTimeout } from '../queue/index.ts';

const KEY_PREFIX = 'hostmasterd:public-rate';
const WINDOW_MS = 60_000;
const REDIS_DEADLINE_MS = 250;

/** KEYS[1]: the client's counter for this minute. ARGV: its lifetime in ms. Returns the count with this query. */
const COUNT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

export type QueryAllowance =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly limit: number; readonly retryAfterSeconds: number };

export interface QueryLimiter {
  admit(remoteAddress: string | undefined): Promise<QueryAllowance>;
}

export function redisQueryLimiter(
  redis: Redis,
  perMinute: number,
  now: () => number = Date.now,
): QueryLimiter {
  return {
    async admit(remoteAddress) {
      const at = now();
      const window = Math.floor(at / WINDOW_MS);
      const key = `${KEY_PREFIX}:${clientKey(remoteAddress)}:${window}`;
      let count: number;
      try {
        count = Number(
          await withTimeout(
            runRedisScript(redis, COUNT_SCRIPT, [key], [String(WINDOW_MS + 5_000)]),
            REDIS_DEADLINE_MS,
            'the public query count',
          ),
        );
      } catch {
        return { allowed: true };
      }
      if (count <= perMinute) return { allowed: true };
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - at) / 1000));
      return { allowed: false, limit: perMinute, retryAfterSeconds };
    },
  };
}

/** The sentence both protocols give a client past the limit. */
export function limitSentence(allowance: Extract<QueryAllowance, { allowed: false }>): string {
  return `E_QUERY_RATE: more than ${allowance.limit} queries a minute from your address; try again in ${allowance.retryAfterSeconds} s`;
}
