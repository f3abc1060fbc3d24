/**
 * The outbox table: mail is written in the same transaction as what it reports and sent after
 * commit by `startOutboxSender`. The Message-ID is unique, so re-running a job adds no second
 * row; rows are claimed with a lease (`FOR UPDATE SKIP LOCKED`), so several senders on one
 * database never take the same row at once.
 */
import { sql } from 'drizzle-orm';
import {
  type Executor,
  insertRows,
  queryRows,
  type RecipientOutcome,
  type RelayAnswer,
  type TogetherWrite,
  tables,
} from '../db/index.ts';
import type { OutgoingMail } from '../replies/index.ts';

function outboxRows(mails: readonly OutgoingMail[], submissionId: string | undefined) {
  return mails
    .filter((m) => m.recipients.length > 0)
    .map((m) => ({
      messageId: m.messageId,
      submissionId: submissionId ?? null,
      kind: m.kind,
      envelopeFrom: m.envelopeFrom,
      recipients: [...m.recipients],
      raw: m.raw,
      // Kept for staff: stored as undelivered (the console's "send again"), never sent on its own.
      state: m.heldForStaff === undefined ? ('pending' as const) : ('failed' as const),
      lastError: m.heldForStaff ?? null,
    }));
}

/**
 * Inserts mails in the caller's transaction. A mail whose Message-ID is already there is
 * skipped (ON CONFLICT DO NOTHING); a mail without recipients has nobody to reach and is not
 * stored. Returns how many rows were added.
 */
export async function enqueueOutbox(
  tx: Executor,
  mails: readonly OutgoingMail[],
  submissionId?: string,
): Promise<number> {
  const rows = outboxRows(mails, submissionId);
  if (rows.length === 0) return 0;
  const added = await tx
    .insert(tables.outbox)
    .values(rows)
    .onConflictDoNothing({ target: tables.outbox.messageId })
    .returning({ id: tables.outbox.id });
  return added.length;
}

const OUTBOX_COLUMNS = [
  'messageId',
  'submissionId',
  'kind',
  'envelopeFrom',
  'recipients',
  'raw',
  'state',
  'lastError',
] as const;
/** A re-run job's reply is already there: skipped (see `enqueueOutbox`). */
const SAME_MESSAGE_ID = sql`ON CONFLICT (message_id) DO NOTHING`;

/** `enqueueOutbox` as one insert to send with other writes (`writeTogether`); nothing to send is fine. */
export function outboxWrite(mails: readonly OutgoingMail[], submissionId: string | undefined): TogetherWrite {
  return insertRows(tables.outbox, OUTBOX_COLUMNS, outboxRows(mails, submissionId), {
    onConflict: SAME_MESSAGE_ID,
  });
}

/** A row taken for sending; `attempts` already counts this attempt. */
export interface ClaimedMail {
  readonly id: string;
  readonly messageId: string;
  readonly envelopeFrom: string;
  /** Every recipient of the mail, for logs. */
  readonly recipients: readonly string[];
  /** The recipients not settled yet: those this attempt is for. */
  readonly toReach: readonly string[];
  /** The recipients settled by earlier attempts (`sent` or `failed`). */
  readonly settled: Readonly<Record<string, RecipientOutcome>>;
  readonly raw: string;
  readonly attempts: number;
}

interface ClaimedRow extends Record<string, unknown> {
  id: string | number;
  message_id: string;
  envelope_from: string;
  recipients: string[] | string;
  recipient_outcomes: Record<string, RecipientOutcome> | string | null;
  raw: string;
  attempts: number | string;
}

/** PostgreSQL text[] as node-postgres and PGlite return it (already an array; a literal just in case). */
function textArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  return value
    .replace(/^\{|\}$/g, '')
    .split(',')
    .filter(Boolean)
    .map((v) => v.replace(/^"|"$/g, ''));
}

function outcomesOf(value: ClaimedRow['recipient_outcomes']): Record<string, RecipientOutcome> {
  if (value === null) return {};
  return typeof value === 'string' ? (JSON.parse(value) as Record<string, RecipientOutcome>) : value;
}

/**
 * Takes up to `limit` due rows. Claiming counts the attempt and pushes the row's next attempt
 * past the lease, so a sender that dies mid-send leaves the row to be retried after `leaseMs`
 * (at most one more delivery, with the same Message-ID) and a crash loop still ends in `failed`.
 */
export async function claimDueMail(db: Executor, limit: number, leaseMs: number): Promise<ClaimedMail[]> {
  const rows = await queryRows<ClaimedRow>(
    db,
    // A claimed row no longer waits for the relay: it is in delivery, and the relay coming back
    // (makeRelayWaitersDue) must not make it due under its sender's lease.
    sql`update outbox
        set attempts = attempts + 1, waits_for_relay = false,
            next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
        where id in (
          select id from outbox
          where state = 'pending' and next_attempt_at <= now()
          order by next_attempt_at, id
          limit ${limit}
          for update skip locked)
        returning id, message_id, envelope_from, recipients, recipient_outcomes, raw, attempts`,
  );
  return rows
    .map((r) => {
      const recipients = textArray(r.recipients);
      const settled = outcomesOf(r.recipient_outcomes);
      return {
        id: String(r.id),
        messageId: r.message_id,
        envelopeFrom: r.envelope_from,
        recipients,
        toReach: recipients.filter((address) => !Object.hasOwn(settled, address)),
        settled,
        raw: r.raw,
        attempts: Number(r.attempts),
      };
    })
    .sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * Pushes the lease of rows still being delivered another `leaseMs` ahead, so a slow batch keeps
 * them. A row is matched by its id AND the attempt count its claim gave it: a row this sender
 * already lost (its lease ran out and another sender claimed it, counting one more attempt)
 * is left alone. Returns how many rows were still ours.
 */
export async function extendLease(
  db: Executor,
  claims: readonly Pick<ClaimedMail, 'id' | 'attempts'>[],
  leaseMs: number,
): Promise<number> {
  if (claims.length === 0) return 0;
  const ids = `{${claims.map((c) => c.id).join(',')}}`;
  const attempts = `{${claims.map((c) => c.attempts).join(',')}}`;
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update outbox
        set next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
        from unnest(${ids}::bigint[], ${attempts}::integer[]) as claim(id, attempts)
        where outbox.id = claim.id and outbox.attempts = claim.attempts and outbox.state = 'pending'
        returning outbox.id`,
  );
  return rows.length;
}

/** Marks delivered mails sent: one statement for a round's deliveries. */
export async function markSent(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  // An array literal, not an array: drizzle spreads an array into a list of parameters.
  await db.execute(
    sql`update outbox set state = 'sent', sent_at = now(), last_error = null, waits_for_relay = false,
          waiting_answers = '{}'::jsonb
        where id = any(${`{${ids.join(',')}}`}::bigint[]) and state = 'pending'`,
  );
}

/** Records a failed attempt: `failed` for good when `final`, else due again after `retryInMs`. */
export async function markFailedAttempt(
  db: Executor,
  id: string,
  error: string,
  outcome: { readonly final: true } | { readonly final: false; readonly retryInMs: number },
): Promise<void> {
  if (outcome.final) {
    await db.execute(
      sql`update outbox set state = 'failed', last_error = ${error}, waits_for_relay = false,
            waiting_answers = '{}'::jsonb
          where id = ${id} and state = 'pending'`,
    );
    return;
  }
  await db.execute(
    sql`update outbox
        set last_error = ${error}, waits_for_relay = false, waiting_answers = '{}'::jsonb,
            next_attempt_at = now() + ${outcome.retryInMs} * interval '1 millisecond'
        where id = ${id} and state = 'pending'`,
  );
}

/**
 * An attempt that answered for some recipients and not others. `outcomes` settles recipients
 * (merged into those settled before); the row is then `sent` when every recipient is settled
 * and none failed, `failed` when every one is settled and one failed, else still pending, due
 * after `retryInMs` for the recipients left, with `error` saying why they were not reached.
 */
export async function settleRecipients(
  db: Executor,
  mail: Pick<ClaimedMail, 'id' | 'attempts'>,
  change: {
    readonly outcomes: Readonly<Record<string, RecipientOutcome>>;
    /** The relay's answer for each recipient left to a later attempt (replaces the last attempt's). */
    readonly waiting: Readonly<Record<string, RelayAnswer>>;
    readonly error: string | null;
    readonly retryInMs: number;
  },
): Promise<void> {
  // The row's state follows from its outcomes once merged, decided in the statement from the
  // row as it is when written (not read before it): a row another sender settled meanwhile (its
  // lease lapsed) is judged on everything it holds.
  const merged = sql`(outbox.recipient_outcomes || ${JSON.stringify(change.outcomes)}::jsonb)`;
  await db.execute(
    sql`update outbox
        set recipient_outcomes = ${merged},
            state = case
              when exists (select 1 from unnest(outbox.recipients) as r(address) where not ${merged} ? r.address)
                then 'pending'
              when exists (select 1 from jsonb_each(${merged}) as o where o.value->>'state' = 'failed')
                then 'failed'
              else 'sent' end,
            sent_at = case
              when exists (select 1 from jsonb_each(${merged}) as o where o.value->>'state' = 'sent')
                then coalesce(outbox.sent_at, now())
              else outbox.sent_at end,
            last_error = ${change.error},
            waiting_answers = ${JSON.stringify(change.waiting)}::jsonb,
            waits_for_relay = false,
            next_attempt_at = now() + ${change.retryInMs} * interval '1 millisecond'
        where outbox.id = ${mail.id} and outbox.state = 'pending'`,
  );
}

/**
 * An attempt that failed on the relay itself: the claim's attempt is given back (a relay down
 * for a day must not use up every mail's attempts), the row is due after `retryInMs` and waits
 * for the relay (`makeRelayWaitersDue` brings it forward once the relay takes mail again).
 */
export async function markRelayFault(
  db: Executor,
  mail: Pick<ClaimedMail, 'id' | 'attempts'>,
  error: string,
  retryInMs: number,
): Promise<void> {
  // Only while the row is still this claim's: another sender that took it since (a lease that
  // lapsed) counted an attempt of its own, which is not ours to give back.
  await db.execute(
    sql`update outbox
        set attempts = greatest(attempts - 1, 0), last_error = ${error}, waits_for_relay = true,
            waiting_answers = '{}'::jsonb,
            next_attempt_at = now() + ${retryInMs} * interval '1 millisecond'
        where id = ${mail.id} and attempts = ${mail.attempts} and state = 'pending'`,
  );
}

/** The relay takes mail again: every row that was waiting for it is due now. Returns how many. */
export async function makeRelayWaitersDue(db: Executor): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update outbox set next_attempt_at = now(), waits_for_relay = false
        where state = 'pending' and waits_for_relay and next_attempt_at > now()
        returning id`,
  );
  return rows.length;
}

/**
 * Staff action: send a `failed` mail again from a fresh count (e.g. after the relay was fixed),
 * to the recipients that did not get it: those the relay took keep their `sent` outcome and are
 * not sent it twice. Returns whether a failed row with that Message-ID was found.
 */
export async function retryFailedMail(db: Executor, messageId: string): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update outbox
        set state = 'pending', attempts = 0, next_attempt_at = now(), waits_for_relay = false,
            recipient_outcomes = (
              select coalesce(jsonb_object_agg(o.key, o.value), '{}'::jsonb)
              from jsonb_each(outbox.recipient_outcomes) as o
              where o.value->>'state' = 'sent')
        where message_id = ${messageId} and state = 'failed'
        returning id`,
  );
  return rows.length > 0;
}
