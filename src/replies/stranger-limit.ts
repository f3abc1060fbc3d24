/**
 * How many distinct addresses outside an account's own one account made us mail in the last
 * hour, counted in Redis like the per-recipient limit (reply-limit.ts). That limit bounds what one
 * address gets from us; it does not bound an account that names a new address each time (a POC N
 * with a stranger's e-mail, a Reply-To at someone else): without this, one account's templates
 * would make the registry mail tens of thousands of strangers an hour with its words in them.
 *
 * An address counts once an hour however often it is mailed (the per-recipient limit counts the
 * rest), so counting is idempotent: a job run again is admitted again for the same addresses.
 * A sliding window from two hourly sets, as the reply limit's.
 */
import type { Redis } from 'ioredis';
import { runRedisScript, withTimeout } from '../queue/index.ts';
import { mailboxKey } from './addresses.ts';

const HOUR_MS = 3_600_000;
const KEY_PREFIX = 'hostmasterd:stranger-rate';
const SET_TTL_MS = 2 * HOUR_MS + 60_000;

/**
 * KEYS: the account's current-hour set, then its previous-hour set.
 * ARGV: limit, weight of the previous hour (0..1), the recipient's mailbox key, TTL ms.
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

export type StrangerAdmission =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly count: number };

export class AccountStrangerLimit {
  constructor(
    private readonly redis: Redis,
    readonly perHour: number,
    private readonly timeoutMs = 5_000,
  ) {}

  /**
   * Counts `recipient` among the account's strangers this hour unless it already made us mail
   * `perHour` others; an address counted before is admitted again. Throws when Redis does not
   * answer: the job fails and is retried.
   */
  async admit(accountId: number, recipient: string, now = Date.now()): Promise<StrangerAdmission> {
    const hour = Math.floor(now / HOUR_MS);
    const keys = [`${KEY_PREFIX}:${hour}:${accountId}`, `${KEY_PREFIX}:${hour - 1}:${accountId}`];
    const weight = 1 - (now % HOUR_MS) / HOUR_MS;
    const reply = await withTimeout(
      runRedisScript(this.redis, ADMIT_SCRIPT, keys, [
        String(this.perHour),
        String(weight),
        mailboxKey(recipient).slice(0, 320),
        String(SET_TTL_MS),
      ]),
      this.timeoutMs,
      "counting an address outside the account's own",
    );
    const [admitted, count] = reply as [number, string];
    return admitted === 1 ? { admitted: true } : { admitted: false, count: Math.floor(Number(count)) };
  }
}
