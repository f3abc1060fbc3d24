/**
 * How many WHOIS and RDAP queries one client (an IPv4 address, an IPv6 client's /64) and its
 * network (an IPv4 /24, an IPv6 /48) made this minute, counted in Redis so every public process
 * shares one count. A fixed one-minute window: two INCRs (and their expiry) per query, in one
 * script.
 *
 * When Redis does not answer within a short deadline the query is answered uncounted: lookups
 * only read public data, and a Redis outage should not become a WHOIS outage (/readyz says
 * Redis is down meanwhile).
 */
import type { Redis } from 'ioredis';
import { clientKey } from '../ip/index.ts';
import { runRedisScript, withTimeout } from '../queue/index.ts';
import { networkKey } from './networks.ts';

const KEY_PREFIX = 'hostmasterd:public-rate';
const WINDOW_MS = 60_000;
const REDIS_DEADLINE_MS = 250;

/**
 * A network (IPv4 /24, IPv6 /48) may ask this many times what one client may: room for the many
 * clients of an office or a NAT, but not for one holder asking from each of its /64s (65,536 of
 * them in a /48) as from so many clients.
 */
export const NETWORK_SHARE = 8;

/**
 * KEYS[1]: the client's counter for this minute, KEYS[2] its network's. ARGV: their lifetime in
 * ms, the client's limit. Returns both counts with this query; a query past the client's own
 * limit is not counted for its network (one client over its limit must not use up its
 * neighbours' share), its network count returned as 0.
 */
const COUNT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if count > tonumber(ARGV[2]) then return {count, 0} end
local network = redis.call('INCR', KEYS[2])
if network == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return {count, network}
`;

export type QueryAllowance =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly limit: number;
      readonly retryAfterSeconds: number;
      /** Whose count is over: the client's, or (`192.0.2.0/24`, `2001:db8:1::/48`) its network's. */
      readonly over: 'address' | { readonly network: string };
    };

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
      const network = networkKey(remoteAddress);
      const keys = [
        `${KEY_PREFIX}:${clientKey(remoteAddress)}:${window}`,
        `${KEY_PREFIX}:net:${network}:${window}`,
      ];
      let counts: [number, number];
      try {
        const answer = await withTimeout(
          runRedisScript(redis, COUNT_SCRIPT, keys, [String(WINDOW_MS + 5_000), String(perMinute)]),
          REDIS_DEADLINE_MS,
          'the public query count',
        );
        counts = [Number((answer as unknown[])[0]), Number((answer as unknown[])[1])];
      } catch {
        return { allowed: true };
      }
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - at) / 1000));
      if (counts[0] > perMinute)
        return { allowed: false, limit: perMinute, retryAfterSeconds, over: 'address' };
      const networkLimit = perMinute * NETWORK_SHARE;
      if (counts[1] > networkLimit) {
        return { allowed: false, limit: networkLimit, retryAfterSeconds, over: { network } };
      }
      return { allowed: true };
    },
  };
}

/** The sentence both protocols give a client past the limit. */
export function limitSentence(allowance: Extract<QueryAllowance, { allowed: false }>): string {
  const from = allowance.over === 'address' ? 'your address' : `your network (${allowance.over.network})`;
  return `E_QUERY_RATE: more than ${allowance.limit} queries a minute from ${from}; try again in ${allowance.retryAfterSeconds} s`;
}
