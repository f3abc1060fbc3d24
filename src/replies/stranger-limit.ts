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
import { mailboxKey } from './addresses.ts';
import { admitHourly } from './hourly-sets.ts';

const KEY_PREFIX = 'hostmasterd:stranger-rate';

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
    return await admitHourly(
      {
        redis: this.redis,
        prefix: KEY_PREFIX,
        subject: String(accountId),
        member: mailboxKey(recipient).slice(0, 320),
        perHour: this.perHour,
        timeoutMs: this.timeoutMs,
        counting: "counting an address outside the account's own",
      },
      now,
    );
  }
}
