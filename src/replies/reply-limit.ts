/**
 * How many mails one address got from us in the last hour, counted in Redis so every worker
 * process shares one count: a forged sender naming a victim in From, Reply-To or a POC's e-mail
 * cannot make us mail the victim more than the limit, however many processes, senders or
 * messages the attacker spreads it over. A sliding window from two hourly sets, as the
 * ingress's sender rate: the previous hour weighs as much of it as still lies in the last hour.
 *
 * The sets hold the mails' Message-IDs, so counting is idempotent: a job run again (a retry, a
 * deadlock, a crash before commit) asks again for the same mail and is told yes without counting
 * it twice. One Lua script per mail: checking and counting are one atomic step.
 */
import type { Redis } from 'ioredis';
import { runRedisScript, withTimeout } from '../queue/index.ts';
import { mailboxKey } from './addresses.ts';

const HOUR_MS = 3_600_000;
const KEY_PREFIX = 'hostmasterd:reply-rate';
/** A set lives through its own hour and the next (where it still weighs), plus a margin. */
const SET_TTL_MS = 2 * HOUR_MS + 60_000;

/**
 * KEYS: the recipient's current-hour set, then its previous-hour set.
 * ARGV: limit, weight of the previous hour (0..1), the mail's Message-ID, TTL ms.
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

export type ReplyAdmission =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly recipient: string; readonly count: number };

export class RecipientReplyLimit {
  constructor(
    private readonly redis: Redis,
    readonly perHour: number,
    private readonly timeoutMs = 5_000,
  ) {}

  /**
   * Counts this mail for its recipient unless the recipient already got `perHour` in the last
   * hour; a mail counted before (same Message-ID) is admitted again. Throws when Redis does not
   * answer: the job fails and is retried, as when the queue itself is gone.
   */
  async admit(recipient: string, messageId: string, now = Date.now()): Promise<ReplyAdmission> {
    const hour = Math.floor(now / HOUR_MS);
    // Every spelling of one mailbox (case, +tags, dots) counts as that mailbox.
    const who = mailboxKey(recipient).slice(0, 320);
    const keys = [`${KEY_PREFIX}:${hour}:${who}`, `${KEY_PREFIX}:${hour - 1}:${who}`];
    const weight = 1 - (now % HOUR_MS) / HOUR_MS;
    const reply = await withTimeout(
      runRedisScript(this.redis, ADMIT_SCRIPT, keys, [
        String(this.perHour),
        String(weight),
        messageId,
        String(SET_TTL_MS),
      ]),
      this.timeoutMs,
      'counting a reply for its recipient',
    );
    const [admitted, count] = reply as [number, string];
    return admitted === 1
      ? { admitted: true }
      : { admitted: false, recipient, count: Math.floor(Number(count)) };
  }
}
