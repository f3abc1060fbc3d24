/**
 * How many validation mails of one round one address may get (finding rev-trust F1). Anyone
 * identified may create POCs with any address, so "one mail per POC a year" would let a customer
 * make the round mail a stranger once per POC it gave that address: thousands of mails quoting
 * its words, under the registry's name. An address nobody has proven is therefore mailed at most
 * REPLY_LIMIT_PER_RECIPIENT_PER_HOUR validation mails a round (a round is a UTC day); a POC that
 * would take an address past it waits for a later day's round, whole (its other addresses are
 * asked with it then). An address proven is mailed for every POC it serves: one registered for an
 * account (account_emails), or one that answered a validation before (answered_from, or the only
 * recipient of a validation answered by mail or on the web page).
 */
import { and, eq, inArray, isNotNull, or } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';
import { mailboxKey } from '../replies/index.ts';

export class RoundAddressCap {
  private constructor(
    private readonly perRound: number,
    private readonly proven: ReadonlySet<string>,
    private readonly counts: Map<string, number>,
  ) {}

  /** The cap for `round`, counting what this round already wrote (a run resumed or repeated). */
  static async load(ex: Executor, round: string, perRound: number): Promise<RoundAddressCap> {
    const v = tables.pocValidations;
    const [registered, answered, written] = await Promise.all([
      ex.select({ email: tables.accountEmails.email }).from(tables.accountEmails),
      ex
        .select({ recipients: v.recipients, answeredFrom: v.answeredFrom })
        .from(v)
        .where(
          and(
            eq(v.state, 'validated'),
            or(isNotNull(v.answeredFrom), inArray(v.answeredBy, ['mail', 'web'])),
          ),
        ),
      ex.select({ recipients: v.recipients }).from(v).where(eq(v.round, round)),
    ]);
    const proven = new Set(
      [
        ...registered.map((r) => r.email),
        ...answered.flatMap((a) =>
          a.answeredFrom ? [a.answeredFrom] : a.recipients.length === 1 ? a.recipients : [],
        ),
      ].map(mailboxKey),
    );
    const counts = new Map<string, number>();
    for (const address of written.flatMap((w) => w.recipients).map(mailboxKey)) {
      counts.set(address, (counts.get(address) ?? 0) + 1);
    }
    return new RoundAddressCap(perRound, proven, counts);
  }

  /** The first of these addresses the cap holds this round, if any; counts nothing. */
  heldBack(recipients: readonly string[]): string | undefined {
    return recipients.find((r) => {
      const key = mailboxKey(r);
      return !this.proven.has(key) && (this.counts.get(key) ?? 0) >= this.perRound;
    });
  }

  /** Counts one mail of this round for each address. */
  count(recipients: readonly string[]): void {
    for (const key of new Set(recipients.map(mailboxKey)))
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}
