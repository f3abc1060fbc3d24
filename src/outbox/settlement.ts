/**
 * What one attempt's answer from the relay settles, recipient by recipient (pure: no database,
 * no SMTP). A recipient the relay took is settled `sent` and never sent the mail again; one it
 * refused for good (5xx) is settled `failed` with its answer; one it deferred (4xx), or did not
 * answer for, is left for the next attempt, and on the last attempt settled `failed` with the
 * last answer it had.
 */
import type { RecipientOutcome, RelayAnswer } from '../db/index.ts';
import type { ClaimedMail } from './outbox.ts';
import type { RecipientRefusal, RelayAnswered } from './transport.ts';

/** A recipient and the relay's answer for it. */
export interface RecipientAnswer {
  readonly address: string;
  readonly reply: string;
}

export type Settlement =
  /** The relay took the mail for every recipient left, and none failed before: the row is `sent`. */
  | { readonly kind: 'sent'; readonly accepted: readonly string[] }
  | {
      readonly kind: 'recipients';
      /** Merged into the row's outcomes. */
      readonly outcomes: Readonly<Record<string, RecipientOutcome>>;
      readonly accepted: readonly string[];
      /** Refused for good by this attempt (or given up on, when it was the last). */
      readonly failed: readonly RecipientAnswer[];
      /** Still to be reached by a later attempt. */
      readonly left: readonly RecipientAnswer[];
      /** The same, by address, as the row keeps them (`waiting_answers`) for the console. */
      readonly waiting: Readonly<Record<string, RelayAnswer>>;
      /** For the row's `last_error`: who was not reached and why; null when nobody is left or failed. */
      readonly error: string | null;
    };

/** Said of a recipient the relay named neither as taken nor as refused. */
const NO_ANSWER = 'the relay gave no answer for this recipient';

export function settle(
  mail: Pick<ClaimedMail, 'toReach' | 'settled'>,
  answer: Pick<RelayAnswered, 'detail' | 'accepted' | 'refused'>,
  options: { readonly lastAttempt: boolean; readonly at: Date },
): Settlement {
  const accepted = mail.toReach.filter((address) => answer.accepted.includes(address));
  const failedBefore = Object.entries(mail.settled)
    .filter(([, outcome]) => outcome.state === 'failed')
    .map(([address, outcome]) => ({ address, reply: outcome.reply }));
  // The usual answer, the mail taken whole: nothing to settle recipient by recipient.
  if (accepted.length === mail.toReach.length && failedBefore.length === 0) return { kind: 'sent', accepted };
  const refusals = new Map<string, RecipientRefusal>();
  for (const refusal of answer.refused) {
    // A recipient refused and taken (two of ours written alike): taken wins, it has the mail.
    if (mail.toReach.includes(refusal.address) && !accepted.includes(refusal.address))
      refusals.set(refusal.address, refusal);
  }

  const at = options.at.toISOString();
  const outcomes: Record<string, RecipientOutcome> = {};
  for (const address of accepted) outcomes[address] = { state: 'sent', reply: answer.detail, at };
  const failed: RecipientAnswer[] = [];
  const left: RecipientAnswer[] = [];
  for (const address of mail.toReach) {
    if (accepted.includes(address)) continue;
    const refusal = refusals.get(address);
    const reply = refusal?.reply ?? NO_ANSWER;
    if (refusal?.permanent || options.lastAttempt) {
      outcomes[address] = { state: 'failed', reply, at };
      failed.push({ address, reply });
    } else left.push({ address, reply });
  }
  // Nobody left: the row is settled, and its last error names every recipient that failed.
  const unreached = left.length > 0 ? left : [...failedBefore, ...failed];
  return {
    kind: 'recipients',
    outcomes,
    accepted,
    failed,
    left,
    waiting: Object.fromEntries(left.map((r) => [r.address, { reply: r.reply, at }])),
    error: unreached.length > 0 ? unreached.map((r) => `${r.address}: ${r.reply}`).join('; ') : null,
  };
}
