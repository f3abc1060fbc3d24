/**
 * How many messages one sender address submitted from one client in the last hour, kept in Redis
 * so several ingress processes share one count.
 *
 * The count is per sender address AND client (`clientKey`: an IPv4 address or an IPv6 /64):
 * nothing at the ingress proves that a message naming an address in its envelope or From comes
 * from that address's owner, so mail that merely names a customer's address from somewhere else
 * must not spend the count the customer's own mail is judged by (finding rev-trust F2). A sender
 * keeps its own count per client it sends from. A sliding window from two hourly buckets: the previous
 * hour's count weighs as much of it as still lies inside the last 60 minutes.
 *
 * Each question is one Lua script, so it costs one round trip for all the senders of a message
 * and is atomic: `reserve` checks and counts in one step, so messages arriving together on
 * several connections cannot all slip under the limit at once. A reserved count that ends in no
 * acceptance (the database or the queue was down, the message was refused) is given back with
 * `release`, so the limit counts accepted messages only.
 */
import type { Redis } from 'ioredis';
import { runRedisScript, withTimeout } from '../queue/index.ts';

const HOUR_MS = 3_600_000;
const KEY_PREFIX = 'hostmasterd:sender-rate';
/** A bucket lives through its own hour and the next (where it still weighs), plus a margin. */
const BUCKET_TTL_MS = 2 * HOUR_MS + 60_000;

export interface RateVerdict {
  readonly sender: string;
  /** The client the count is kept for (`clientKey` of the connection). */
  readonly client: string;
  readonly count: number;
}

/** What `reserve` counted: the buckets to give back if the message is not accepted after all. */
export interface RateReservation {
  readonly keys: readonly string[];
}

export type RateDecision =
  | { readonly allowed: true; readonly reservation: RateReservation }
  | { readonly allowed: false; readonly verdict: RateVerdict };

/**
 * KEYS: per sender, its current-hour bucket then its previous-hour bucket.
 * ARGV: limit, weight of the previous hour (0..1), '1' to count the message when under the limit, TTL ms.
 * Returns {index of the first sender at or over the limit (1-based; 0 = none), its count as text}.
 */
const CHECK_SCRIPT = `
local limit = tonumber(ARGV[1])
local weight = tonumber(ARGV[2])
for i = 1, #KEYS, 2 do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0') + tonumber(redis.call('GET', KEYS[i + 1]) or '0') * weight
  if count >= limit then return {(i + 1) / 2, tostring(count)} end
end
if ARGV[3] == '1' then
  for i = 1, #KEYS, 2 do
    redis.call('INCR', KEYS[i])
    redis.call('PEXPIRE', KEYS[i], ARGV[4])
  end
end
return {0, '0'}
`;

/** KEYS: buckets to take one message off (never below zero). */
const RELEASE_SCRIPT = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
`;

/** How long a sender Redis found at the limit is re-checked at MAIL FROM (its window slides meanwhile). */
const SUSPECT_MS = HOUR_MS;
/** Bounds the memory of such senders; the oldest are forgotten first. */
const MAX_SUSPECTS = 10_000;

export class SenderRate {
  /** Senders Redis last found at the limit, with when that stops being worth a look (ms). */
  private readonly suspects = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    readonly limitPerHour: number,
    private readonly timeoutMs = 5_000,
  ) {}

  /**
   * The first sender at or over the limit from this client, if any; counts nothing. Throws when
   * Redis is unreachable. `client` is `clientKey` of the connection's address.
   */
  async overLimit(
    senders: readonly string[],
    client: string,
    now = Date.now(),
  ): Promise<RateVerdict | undefined> {
    const decision = await this.check(senders, client, now, false);
    return decision.allowed ? undefined : decision.verdict;
  }

  /**
   * Counts one message for each sender if none of them is at the limit; otherwise counts nothing
   * and says who is over. Throws when Redis is unreachable.
   */
  async reserve(senders: readonly string[], client: string, now = Date.now()): Promise<RateDecision> {
    return await this.check(senders, client, now, true);
  }

  /**
   * Whether a sender was found at the limit lately, by this process: only those are worth a
   * look at MAIL FROM (the check that holds is `reserve`, at DATA). No Redis call.
   */
  recentlyOverLimit(senders: readonly string[], client: string, now = Date.now()): boolean {
    return unique(senders).some((sender) => (this.suspects.get(suspectKey(sender, client)) ?? 0) > now);
  }

  /** Takes back a reservation whose message was not accepted. Throws when Redis is unreachable. */
  async release(reservation: RateReservation): Promise<void> {
    if (reservation.keys.length === 0) return;
    await withTimeout(
      runRedisScript(this.redis, RELEASE_SCRIPT, reservation.keys, []),
      this.timeoutMs,
      'giving back a sender count',
    );
  }

  private async check(
    senders: readonly string[],
    client: string,
    now: number,
    reserve: boolean,
  ): Promise<RateDecision> {
    const hour = Math.floor(now / HOUR_MS);
    const distinct = unique(senders);
    const keys = distinct.flatMap((sender) => [
      keyFor(sender, client, hour),
      keyFor(sender, client, hour - 1),
    ]);
    const weight = 1 - (now % HOUR_MS) / HOUR_MS;
    const args = [String(this.limitPerHour), String(weight), reserve ? '1' : '0', String(BUCKET_TTL_MS)];
    const reply = await withTimeout(
      runRedisScript(this.redis, CHECK_SCRIPT, keys, args),
      this.timeoutMs,
      reserve ? 'counting the sender' : 'reading the sender count',
    );
    const [index, count] = reply as [number, string];
    const sender = distinct[index - 1];
    if (index > 0 && sender !== undefined) {
      const suspect = suspectKey(sender, client);
      this.suspects.delete(suspect);
      this.suspects.set(suspect, now + SUSPECT_MS);
      if (this.suspects.size > MAX_SUSPECTS) this.suspects.delete(this.suspects.keys().next().value!);
      return { allowed: false, verdict: { sender, client, count: Math.floor(Number(count)) } };
    }
    for (const each of distinct) this.suspects.delete(suspectKey(each, client));
    return {
      allowed: true,
      reservation: { keys: reserve ? distinct.map((s) => keyFor(s, client, hour)) : [] },
    };
  }
}

/** The null sender of bounces counts as one sender, '<>'. */
export function senderKey(address: string | undefined): string {
  const cleaned = (address ?? '').trim().toLowerCase().slice(0, 320);
  return cleaned === '' ? '<>' : cleaned;
}

function keyFor(sender: string, client: string, hour: number): string {
  return `${KEY_PREFIX}:${hour}:${client}:${sender}`;
}

function suspectKey(sender: string, client: string): string {
  return `${client} ${sender}`;
}

function unique(senders: readonly string[]): string[] {
  return [...new Set(senders.map(senderKey))];
}
