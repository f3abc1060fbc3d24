/**
 * Slowing down password guessing, per account address and per client IP (an IPv6 client by its
 * /64). Each attempt is counted
 * BEFORE its password is checked, in one atomic step that also says whether the key must wait:
 * of 100 parallel guesses only the few the policy lets through reach scrypt. Past the free
 * attempts, each further one makes the key wait longer (doubling, capped), and an attempt made
 * while it waits is refused without being counted, so nobody can keep an account closed for
 * longer than the cap by hammering it. A successful sign-in clears both counters.
 *
 * The counters live in Redis (one Lua script per key: INCR, PEXPIRE, SET PX), shared by every
 * console replica; a console without a queue keeps them in its own memory.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { clientKey as ipClientKey } from '../ip/index.ts';

export interface SignInBackoff {
  /** Attempts without a success that go ahead at once. */
  readonly freeAttempts: number;
  /** The wait after the first attempt past the free ones; each further attempt doubles it. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** How long the count is kept after the last counted attempt. */
  readonly forgetAfterMs: number;
}

export interface SignInThrottlePolicy {
  readonly perAddress: SignInBackoff;
  readonly perClient: SignInBackoff;
}

/**
 * An address gets 5 tries, then waits 1 s, 2 s, 4 s ... at most 5 minutes; a client IP (many
 * addresses, or one) gets 20, then the same doubling up to 15 minutes. Counts are forgotten an
 * hour after the last attempt.
 */
export const DEFAULT_SIGN_IN_THROTTLE: SignInThrottlePolicy = {
  perAddress: { freeAttempts: 5, firstDelayMs: 1_000, maxDelayMs: 5 * 60_000, forgetAfterMs: 3600_000 },
  perClient: { freeAttempts: 20, firstDelayMs: 1_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 3600_000 },
};

/**
 * The default policy with the configured waits (CONSOLE_SIGN_IN_FIRST_WAIT_MS, _MAX_WAIT_MS): a
 * network's cap is three times an address's, as in the default.
 */
export function signInThrottlePolicy(waits: {
  firstWaitMs: number;
  maxWaitMs: number;
}): SignInThrottlePolicy {
  const { perAddress, perClient } = DEFAULT_SIGN_IN_THROTTLE;
  const firstDelayMs = Math.min(waits.firstWaitMs, waits.maxWaitMs);
  return {
    perAddress: { ...perAddress, firstDelayMs, maxDelayMs: waits.maxWaitMs },
    perClient: { ...perClient, firstDelayMs, maxDelayMs: 3 * waits.maxWaitMs },
  };
}

export interface AttemptCounter {
  /** Counts one attempt for the key; 0 when it may go ahead, else the ms until the key may try again. */
  reserve(key: string, policy: SignInBackoff): Promise<number>;
  clear(keys: readonly string[]): Promise<void>;
}

/** The wait set after the n-th counted attempt. */
export function delayAfter(attempts: number, policy: SignInBackoff): number {
  if (attempts <= policy.freeAttempts) return 0;
  const doublings = Math.min(attempts - policy.freeAttempts - 1, 40);
  return Math.min(policy.firstDelayMs * 2 ** doublings, policy.maxDelayMs);
}

// KEYS[1] count, KEYS[2] wait; ARGV: forgetAfterMs, freeAttempts, firstDelayMs, maxDelayMs.
const RESERVE_SCRIPT = `
local waiting = redis.call('PTTL', KEYS[2])
if waiting > 0 then return waiting end
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local free = tonumber(ARGV[2])
if n > free then
  local doublings = math.min(n - free - 1, 40)
  local delay = math.min(tonumber(ARGV[3]) * (2 ^ doublings), tonumber(ARGV[4]))
  redis.call('SET', KEYS[2], '1', 'PX', math.floor(delay))
end
return 0
`;

/** The key's Redis names: hashed (no addresses in Redis), one hash slot for both (cluster-safe). */
function redisKeys(key: string): [string, string] {
  const id = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return [`hm:sign-in:{${id}}:count`, `hm:sign-in:{${id}}:wait`];
}

export function redisAttemptCounter(redis: Redis): AttemptCounter {
  return {
    reserve: async (key, policy) => {
      const result = await redis.eval(
        RESERVE_SCRIPT,
        2,
        ...redisKeys(key),
        String(policy.forgetAfterMs),
        String(policy.freeAttempts),
        String(policy.firstDelayMs),
        String(policy.maxDelayMs),
      );
      return Number(result);
    },
    clear: async (keys) => {
      if (keys.length > 0) await redis.del(...keys.flatMap(redisKeys));
    },
  };
}

/** For a console running without Redis: the same rules, in this process only. */
export function memoryAttemptCounter(now: () => number = Date.now): AttemptCounter {
  const entries = new Map<string, { count: number; forgetAt: number; waitUntil: number }>();
  return {
    reserve: async (key, policy) => {
      const at = now();
      const entry = entries.get(key);
      if (entry && entry.waitUntil > at) return entry.waitUntil - at;
      const count = entry && entry.forgetAt > at ? entry.count + 1 : 1;
      entries.set(key, {
        count,
        forgetAt: at + policy.forgetAfterMs,
        waitUntil: at + delayAfter(count, policy),
      });
      if (entries.size > 100_000) {
        for (const [k, e] of entries) if (e.forgetAt <= at) entries.delete(k);
      }
      return 0;
    },
    clear: async (keys) => {
      for (const key of keys) entries.delete(key);
    },
  };
}

export interface SignInThrottle {
  /** 0 when this attempt may check its password, else the ms to wait; the attempt is counted. */
  admit(email: string, clientIp: string): Promise<number>;
  succeeded(email: string, clientIp: string): Promise<void>;
}

const addressKey = (email: string) => `address:${email}`;
/**
 * What the per-client count is kept for: the ip room's client (an IPv4 address, also written
 * IPv4-mapped or with a port as some proxies forward it; an IPv6 address by its /64, since one
 * subscriber is handed a whole /64 and could otherwise take a fresh address for every guess).
 */
export const clientNetwork = (ip: string): string => ipClientKey(ip);

const clientKey = (ip: string) => `client:${clientNetwork(ip)}`;

export function signInThrottle(
  counter: AttemptCounter,
  policy: SignInThrottlePolicy = DEFAULT_SIGN_IN_THROTTLE,
): SignInThrottle {
  return {
    admit: async (email, clientIp) => {
      // The client first: a client made to wait does not count against the address, so one
      // attacker cannot keep a real user's address waiting.
      const clientWait = await counter.reserve(clientKey(clientIp), policy.perClient);
      if (clientWait > 0) return clientWait;
      return await counter.reserve(addressKey(email), policy.perAddress);
    },
    succeeded: async (email, clientIp) => {
      await counter.clear([addressKey(email), clientKey(clientIp)]);
    },
  };
}
