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
import { mailboxKey } from './addresses.ts';
import { admitHourly } from './hourly-sets.ts';

const KEY_PREFIX = 'hostmasterd:reply-rate';

/**
 * The count an alarm (OutgoingMail's alarmTo: a POC's old address told it was replaced, a net's
 * holder told it was taken back) is kept in: one per recipient and requesting account. Counted
 * with everyone's mail, another account could fill the recipient's count with harmless notices
 * and so mute the alarm of a stolen key (finding rev-trust F5); counted apart for each account,
 * only the account making the changes fills it, and then the recipient has heard as many alarms.
 */
export function alarmScope(
  mail: { readonly alarmTo?: readonly string[] },
  recipient: string,
  accountId: number | undefined,
): string | undefined {
  const key = mailboxKey(recipient);
  if (!mail.alarmTo?.some((a) => mailboxKey(a) === key)) return undefined;
  return `alarm:${accountId ?? 'none'}`;
}

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
  async admit(
    recipient: string,
    messageId: string,
    now = Date.now(),
    /** A count of its own for the recipient (see alarmScope); absent: the recipient's one count. */
    scope?: string,
  ): Promise<ReplyAdmission> {
    // Every spelling of one mailbox (case, +tags, dots) counts as that mailbox.
    const mailbox = mailboxKey(recipient).slice(0, 320);
    const admission = await admitHourly(
      {
        redis: this.redis,
        prefix: KEY_PREFIX,
        subject: scope ? `${scope}:${mailbox}` : mailbox,
        member: messageId,
        perHour: this.perHour,
        timeoutMs: this.timeoutMs,
        counting: 'counting a reply for its recipient',
      },
      now,
    );
    return admission.admitted ? admission : { ...admission, recipient };
  }
}
