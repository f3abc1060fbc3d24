/**
 * The loop that empties the outbox: claims due rows, delivers them, marks each sent as the relay
 * takes it, or records the failure and backs off (30 s, 1 min, 2 min ... capped at 1 h) until
 * `maxAttempts`, when the row is left `failed` with its last error for staff.
 *
 * Recipients are settled one by one: the relay may take a mail for some recipients and defer
 * (4xx) or refuse (5xx) others. Those it took are recorded at once and never sent it again;
 * those deferred are tried again on the usual backoff, alone; those refused for good are
 * recorded `failed` with the relay's answer. A row is `sent` only when the relay took it for
 * every recipient, `failed` once every recipient is settled and one of them failed.
 *
 * A fault of the relay itself (unreachable, TLS, a refused greeting, login or envelope sender:
 * transport.ts sorts them) is not the mail's: its attempt is given back, it waits (backing off
 * as long as the relay has been failing, at most the backoff's cap) and the relay is probed one
 * mail at a time; the first mail the relay answers for again makes every waiting row due. While
 * the relay takes other mail, a fault on one mail is that mail's and counts as an attempt.
 *
 * A claimed row belongs to its sender for a lease (OUTBOX_LEASE_MS, 30 s by default), which the
 * sender renews every third of it for as long as it holds the row: through a slow relay and
 * through retries of the mark. The lease is the sender's heartbeat: a sender that stopped
 * renewing (killed, frozen, cut off from the database) lets its rows go to another sender one
 * lease after its last renewal, so a dead worker's replies go out within a lease and a poll.
 *
 * Delivery is at-least-once: a process killed after the relay took a mail but before the row is
 * marked sends it once more after the lease, with the SAME Message-ID, so the receiving side can
 * recognise the resend. That window (the relay's 250 to the mark's commit) is all that is left,
 * for a recipient settled alone as for a whole mail: a mark that fails on a database blip is
 * retried, with backoff, while the lease holds, so a blip shorter than the lease sends nothing
 * twice. A mail is never dropped: a row leaves `pending` only as `sent` or `failed`.
 */
import { DEFAULT_OUTBOX_LEASE_MS, type ReplyTransport } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { describeError } from '../shared/index.ts';
import {
  type ClaimedMail,
  claimDueMail,
  extendLease,
  makeRelayWaitersDue,
  markFailedAttempt,
  markRelayFault,
  markSent,
  settleRecipients,
} from './outbox.ts';
import { type RelayHealthMetrics, watchRelay } from './relay-health.ts';
import { type Settlement, settle } from './settlement.ts';
import { type DeliveryOutcome, type MailDelivery, openMailDelivery } from './transport.ts';

/** The part of a pino logger the sender uses. */
export interface OutboxLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface OutboxBackoff {
  /** Wait after the first failed attempt; doubled after each further one. */
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: OutboxBackoff = { baseMs: 30_000, maxMs: 60 * 60_000 };

/** Counters the daemon wires to Prometheus. */
export interface OutboxMetrics extends RelayHealthMetrics {
  /** The relay took a mail (for every recipient left, or some of them). */
  replySent(): void;
  /**
   * A delivery attempt failed for the mail or some of its recipients; `final` when a recipient
   * (or the whole mail) is given up on (left `failed` for staff).
   */
  replyFailed(final: boolean): void;
}

export interface OutboxSenderOptions {
  readonly db: Database;
  readonly transport: ReplyTransport;
  readonly logger?: OutboxLogger;
  /** How often to look for due mail without being woken (default 5 s). */
  readonly pollMs?: number;
  /** Attempts before a mail is left `failed` (default 10: about 4 hours of retries). */
  readonly maxAttempts?: number;
  readonly backoff?: OutboxBackoff;
  /** Rows claimed per round trip (default 20). */
  readonly batchSize?: number;
  /**
   * How long a claimed row is ours before another sender may retry it (default 30 s). The rows
   * of a batch are renewed every third of it until they are marked, so only a sender that
   * stopped (killed, frozen, cut off from the database) lets its rows go to another.
   */
  readonly leaseMs?: number;
  /** First wait before a failed mark is tried again (default 250 ms; doubled each time, at most 5 s). */
  readonly markRetryMs?: number;
  readonly metrics?: OutboxMetrics;
  /**
   * Told of recipients a mail can never reach (the relay refused them for good, or its attempts
   * ran out): a validation mail's address is then known dead, as a delivery report would say.
   */
  readonly failedForGood?: (mail: ClaimedMail, addresses: readonly string[]) => Promise<void>;
  /**
   * Called just before a mail is sent: the mail to send then (written again from the registry as
   * it is now), or why none is sent. Mail written long before it is sent (a paced validation
   * mail) must not go out as it was written (src/validation/at-send.ts).
   */
  readonly prepare?: (
    mail: ClaimedMail,
  ) => Promise<{ readonly send: ClaimedMail } | { readonly drop: string }>;
}

export interface OutboxSender {
  /** Look for due mail now (the worker calls it after committing a reply). */
  wake(): void;
  /** Send everything due now; resolves when none is left (failures are backed off, not due). For tests and shutdown. */
  drain(): Promise<void>;
  /** Stop polling, finish the round in progress, close the transport. */
  close(): Promise<void>;
}

/** Wait before the next try, after `attempts` failed ones: base × 2^(attempts-1), capped. */
export function backoffDelay(attempts: number, policy: OutboxBackoff = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
}

/**
 * The longest a mail waits for a failing relay between probes: a relay fixed after a day's
 * outage is found taking mail again within this (and a poll), or at once by a new reply.
 */
const RELAY_RETRY_MAX_MS = 5 * 60_000;

/** A failed mark is not tried again sooner than this (nor a twentieth of the lease): it is given up on then. */
const MARK_RETRY_MIN_MS = 10;

/** A relay that answered for a mail this recently is taken to be working (see `relayFault`). */
const RELAY_ANSWERED_RECENTLY_MS = 10_000;

const silent: OutboxLogger = { info() {}, warn() {}, error() {} };

export function startOutboxSender(options: OutboxSenderOptions): OutboxSender {
  const { db } = options;
  const logger = options.logger ?? silent;
  const maxAttempts = options.maxAttempts ?? 10;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const batchSize = options.batchSize ?? 20;
  const leaseMs = options.leaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
  const markRetryMs = options.markRetryMs ?? 250;
  const delivery: MailDelivery = openMailDelivery(options.transport);

  let closed = false;
  /** Rounds run one after another, never two at once within one sender. */
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;

  const relay = watchRelay({ relay: delivery.description, logger, metrics: options.metrics });

  /** A mail the relay took for every recipient left: marked `sent` with others of its round. */
  interface Delivered {
    readonly mail: ClaimedMail;
    readonly detail: string;
    readonly accepted: readonly string[];
  }

  /** The rows of a batch in delivery, whose lease is renewed while the batch is out. */
  interface Lease {
    /** These rows' outcomes are about to be written: renew them no more (a renewal would push their next attempt out). */
    release(ids: readonly string[]): Promise<void>;
    /** Renew this row again (writing its outcome failed, and is tried again). */
    keep(mail: ClaimedMail): void;
    stop(): Promise<void>;
  }

  function keepLeased(batch: readonly ClaimedMail[]): Lease {
    const held = new Map(batch.map((mail) => [mail.id, mail]));
    let renewing: Promise<void> = Promise.resolve();
    const renew = async () => {
      if (held.size === 0) return;
      const claims = [...held.values()];
      try {
        const kept = await extendLease(db, claims, leaseMs);
        if (kept < claims.length)
          logger.warn(
            { lost: claims.length - kept, batch: claims.length },
            'lease of replies in delivery ran out before it was renewed; another sender may send them again, with the same Message-IDs',
          );
      } catch (error) {
        logger.warn({ error: describeError(error) }, 'could not renew the lease of replies in delivery');
      }
    };
    const timer = setInterval(() => {
      renewing = renewing.then(renew);
    }, leaseMs / 3);
    timer.unref();
    return {
      async release(ids) {
        for (const id of ids) held.delete(id);
        // A renewal already sent may still name this row: let it land before the failure's own
        // next attempt is written, or it would push that attempt out to a whole lease.
        await renewing;
      },
      keep(mail) {
        held.set(mail.id, mail);
      },
      async stop() {
        clearInterval(timer);
        await renewing;
      },
    };
  }

  /**
   * Delivers one mail and settles what its answer settles. A mail the relay took for everyone is
   * returned for `round` to mark with the rest; anything else is written here. If even that fails
   * (the database), it is only logged: the row stays claimed and is tried again after the lease.
   */
  async function deliverOne(
    claimed: ClaimedMail,
    lease: Lease,
    marks: Marks,
  ): Promise<Delivered | undefined> {
    let mail = claimed;
    if (options.prepare) {
      try {
        const prepared = await options.prepare(claimed);
        if ('drop' in prepared) {
          // Nothing to send: settled as sent to nobody, the reason logged.
          logger.info(
            { messageId: claimed.messageId, reason: prepared.drop },
            'mail not sent: no longer needed',
          );
          mail = { ...claimed, toReach: [] };
        } else mail = prepared.send;
      } catch (error) {
        // The database away: the row stays claimed and is tried again after its lease.
        logger.warn(
          { messageId: claimed.messageId, error: describeError(error) },
          'mail not prepared; tried again later',
        );
        return undefined;
      }
    }
    const startedAt = Date.now();
    const outcome: DeliveryOutcome =
      mail.toReach.length === 0
        ? { kind: 'answered', detail: '', accepted: [], refused: [] }
        : await delivery.deliver(mail);
    if (outcome.kind === 'relay-fault') {
      await relayFault(mail, outcome, startedAt, lease);
      return undefined;
    }
    if (relay.answered()) relayBack();
    const settlement = settle(mail, outcome, { lastAttempt: mail.attempts >= maxAttempts, at: new Date() });
    if (settlement.kind === 'sent') {
      marks.add(mail);
      return { mail, detail: outcome.detail, accepted: settlement.accepted };
    }
    reportRecipients(mail, settlement, outcome.detail);
    // Recipients the relay took are marked at once, as a whole mail would be: the window in which
    // a crash sends them the mail again is the same one statement.
    await marks.settle(mail, () =>
      settleRecipients(db, mail, {
        outcomes: settlement.outcomes,
        waiting: settlement.waiting,
        error: settlement.error,
        retryInMs: backoffDelay(mail.attempts, backoff),
      }),
    );
    if (settlement.failed.length > 0 && options.failedForGood) {
      await options
        .failedForGood(
          mail,
          settlement.failed.map((f) => f.address),
        )
        .catch((error: unknown) =>
          logger.warn(
            { messageId: mail.messageId, error: describeError(error) },
            'a refused recipient was not recorded',
          ),
        );
    }
    return undefined;
  }

  function reportRecipients(
    mail: ClaimedMail,
    settlement: Extract<Settlement, { kind: 'recipients' }>,
    detail: string,
  ): void {
    const fields = { messageId: mail.messageId, attempt: mail.attempts };
    if (settlement.accepted.length > 0) {
      options.metrics?.replySent();
      logger.info({ ...fields, to: settlement.accepted, detail }, 'reply sent to some of its recipients');
    }
    if (settlement.failed.length > 0 || settlement.left.length > 0)
      options.metrics?.replyFailed(settlement.failed.length > 0);
    if (settlement.failed.length > 0)
      logger.error(
        { ...fields, failed: settlement.failed },
        'reply refused for good for some recipients; kept in the outbox for staff',
      );
    if (settlement.left.length > 0)
      logger.warn(
        { ...fields, deferred: settlement.left, retryInMs: backoffDelay(mail.attempts, backoff) },
        'reply not taken for some recipients; will retry them alone',
      );
  }

  /**
   * Wait before a mail that met a fault of the relay is tried again: as long as the relay has
   * been failing, from the backoff's first wait up to RELAY_RETRY_MAX_MS. Short waits cost the
   * relay little: while it fails, a round probes it with one mail, however many are due.
   */
  function relayRetryInMs(): number {
    const failingFor = Date.now() - (relay.downSince ?? Date.now());
    return Math.min(Math.max(backoff.baseMs, failingFor), backoff.maxMs, RELAY_RETRY_MAX_MS);
  }

  /**
   * A fault of the relay on this mail's attempt. When the relay answered for other mail since
   * this attempt began, or just before it (RELAY_ANSWERED_RECENTLY_MS), the fault is likely this
   * mail's after all (it is too large for the relay's patience, it breaks the connection, it
   * trips an error of nodemailer's own): counted, as any failed attempt, so such a mail ends
   * `failed` instead of going round for ever. Otherwise the attempt is given back and the mail
   * waits for the relay. A relay that dies under a batch costs the mails in flight one attempt.
   */
  async function relayFault(
    mail: ClaimedMail,
    outcome: Extract<DeliveryOutcome, { kind: 'relay-fault' }>,
    startedAt: number,
    lease: Lease,
  ): Promise<void> {
    await lease.release([mail.id]);
    const fields = { messageId: mail.messageId, attempt: mail.attempts, to: mail.toReach };
    try {
      if (relay.lastAnsweredAt > startedAt - RELAY_ANSWERED_RECENTLY_MS) {
        const final = mail.attempts >= maxAttempts;
        const retryInMs = backoffDelay(mail.attempts, backoff);
        const error = `${outcome.error} (the relay answered for other mail meanwhile)`;
        options.metrics?.replyFailed(final);
        await markFailedAttempt(db, mail.id, error, final ? { final } : { final, retryInMs });
        if (final) logger.error({ ...fields, error }, 'reply failed for good; kept in the outbox for staff');
        else logger.warn({ ...fields, error, retryInMs }, 'reply not sent; will retry');
        return;
      }
      relay.failed(outcome.fault, outcome.error);
      await markRelayFault(db, mail, `relay ${outcome.fault}: ${outcome.error}`, relayRetryInMs());
    } catch (error) {
      logger.error(
        { ...fields, error: describeError(error) },
        'could not record a failed delivery; retried after the lease',
      );
    }
  }

  /** The relay answers again after a spell of faults: what waited for it is due now. */
  function relayBack(): void {
    makeRelayWaitersDue(db)
      .then((due) => {
        if (due > 0) background();
      })
      .catch((error: unknown) => {
        logger.warn(
          { error: describeError(error) },
          'could not bring forward the replies that waited for the relay; they go at their own time',
        );
      });
  }

  /**
   * Writes a mark, trying again with backoff while the database is away. Past the lease another
   * sender may have taken the rows and the mark can no longer prevent a second delivery: then it
   * is left to the lease, logged with the Message-IDs that may go twice.
   */
  async function markWithRetry(mails: readonly ClaimedMail[], write: () => Promise<void>): Promise<void> {
    const giveUpAt = Date.now() + leaseMs;
    for (let backoffMs = markRetryMs, tries = 1; ; backoffMs = Math.min(backoffMs * 2, 5_000), tries++) {
      try {
        await write();
        if (tries > 1)
          logger.info({ tries, mails: mails.length }, 'delivered replies marked sent after a retry');
        return;
      } catch (error) {
        // The next try is fitted into what is left of the lease (half of it at most), not skipped
        // because the usual wait no longer fits: a failure that came back late (a statement slow
        // on a busy machine, a pooled connection the database had ended) is still tried again,
        // where giving up would leave mail the relay took to be sent again after the lease.
        const wait = Math.min(backoffMs, (giveUpAt - Date.now()) / 2);
        if (wait < Math.max(MARK_RETRY_MIN_MS, leaseMs / 20) || (closed && tries > 1)) {
          logger.error(
            { error: describeError(error), messageIds: mails.map((mail) => mail.messageId) },
            'could not mark delivered replies sent; they will be sent again after the lease, with the same Message-IDs',
          );
          throw error;
        }
        logger.warn(
          { error: describeError(error), tries, retryInMs: wait },
          'could not mark delivered replies sent; trying again',
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** The marks of a batch in delivery (see `markAsDelivered`). */
  interface Marks {
    /** The relay took this mail for everyone: marked `sent` with the others taken meanwhile. */
    add(mail: ClaimedMail): void;
    /** Writes a mail's recipient outcomes (`write`), in turn with the marks, retried alike. */
    settle(mail: ClaimedMail, write: () => Promise<void>): Promise<void>;
    done(): Promise<void>;
  }

  /**
   * Marks each mail sent as soon as the relay took it, still under the lease: a crash between the
   * relay's 250 and the mark sends it again (same Message-ID), so that window is kept to one
   * statement instead of the rest of the batch's deliveries. Mails the relay takes while a mark
   * is out go together in the next one, so a batch costs a few statements, not one per mail.
   * A mail settled recipient by recipient has a statement of its own, in the same line.
   */
  function markAsDelivered(lease: Lease): Marks {
    interface Waiting {
      readonly mail: ClaimedMail;
      /** Absent: marked `sent` with the others. */
      readonly write?: () => Promise<void>;
      readonly written?: (ok: boolean) => void;
    }
    const waiting: Waiting[] = [];
    let marking: Promise<void> | undefined;
    let failure: unknown;
    const writeSettled = async ({ mail, write }: Waiting & { write: () => Promise<void> }) => {
      await markWithRetry([mail], async () => {
        // Renewing stops before the row's next attempt is written, or a renewal landing after
        // it would push that attempt out to a lease; it goes on while the write is retried.
        await lease.release([mail.id]);
        try {
          await write();
        } catch (error) {
          lease.keep(mail);
          throw error;
        }
      });
    };
    const markWaiting = async () => {
      while (waiting.length > 0) {
        const items = waiting.splice(0);
        if (failure !== undefined) {
          logger.error(
            { messageIds: items.map((item) => item.mail.messageId) },
            'delivered replies not marked sent (the database is away); they will be sent again after the lease, with the same Message-IDs',
          );
          for (const item of items) item.written?.(false);
          continue;
        }
        const whole = items.filter((item) => item.write === undefined).map((item) => item.mail);
        try {
          if (whole.length > 0)
            await markWithRetry(whole, async () => {
              // Renewing these rows stops before they are marked, as for a settled mail: a renewal
              // running alongside the mark locks the same rows in another order (by id; the mark
              // as they lie in the table), which PostgreSQL may end as a deadlock, and a marked
              // row renewed still was reported as a lease lost.
              await lease.release(whole.map((mail) => mail.id));
              try {
                await markSent(
                  db,
                  whole.map((mail) => mail.id),
                );
              } catch (error) {
                for (const mail of whole) lease.keep(mail);
                throw error;
              }
            });
          for (const item of items) {
            if (item.write === undefined) continue;
            await writeSettled({ ...item, write: item.write });
            item.written?.(true);
          }
        } catch (error) {
          failure = error;
          for (const item of items) item.written?.(false);
        }
      }
      marking = undefined;
    };
    return {
      add(mail) {
        waiting.push({ mail });
        marking ??= markWaiting();
      },
      settle(mail, write) {
        return new Promise<void>((resolve) => {
          waiting.push({ mail, write, written: () => resolve() });
          marking ??= markWaiting();
        });
      },
      async done() {
        await marking;
        if (failure !== undefined) throw failure;
      },
    };
  }

  /**
   * Claims and sends due mail. A background round stops at a batch that was not full: what
   * became due since is woken for (`wake`) or polled; `drain` goes on until nothing is due.
   * While the relay is failing, a round claims one mail at a time (a probe, not a batch of
   * faults) and a background round stops at the first fault.
   */
  async function round(untilEmpty: boolean): Promise<void> {
    while (!closed) {
      const probing = relay.downSince !== undefined;
      const batch = await claimDueMail(db, probing ? 1 : batchSize, leaseMs);
      if (batch.length === 0) return;
      // The batch goes out at once (the SMTP transport pools a few connections): one slow
      // relay answer no longer holds up the mails behind it.
      const lease = keepLeased(batch);
      const marks = markAsDelivered(lease);
      let sent: Delivered[];
      try {
        sent = (await Promise.all(batch.map((mail) => deliverOne(mail, lease, marks)))).filter(
          (d): d is Delivered => d !== undefined,
        );
        await marks.done();
      } finally {
        await lease.stop();
      }
      for (const { mail, detail, accepted } of sent) {
        options.metrics?.replySent();
        logger.info(
          { messageId: mail.messageId, attempt: mail.attempts, to: accepted, detail },
          'reply sent',
        );
      }
      if (!untilEmpty && (relay.downSince !== undefined || batch.length < (probing ? 1 : batchSize))) return;
    }
  }

  function schedule(untilEmpty: boolean): Promise<void> {
    queued++;
    const next = chain.then(() => {
      queued--;
      return round(untilEmpty);
    });
    chain = next.catch(() => {});
    return next;
  }

  function background(): void {
    // A round already waiting will see whatever is due by the time it starts.
    if (closed || queued > 0) return;
    schedule(false).catch((error: unknown) => {
      logger.error({ error: (error as Error).message }, 'outbox round failed; will retry');
    });
  }

  const timer = setInterval(background, options.pollMs ?? 5_000);
  timer.unref();
  background();

  return {
    wake: background,
    drain: () => (closed ? chain : schedule(true)),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await chain;
      delivery.close();
    },
  };
}
