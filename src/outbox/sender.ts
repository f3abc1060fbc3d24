/**
 * The loop that empties the outbox: claims due rows, delivers them, marks each sent as the relay
 * takes it, or records the failure and backs off (30 s, 1 min, 2 min ... capped at 1 h) until
 * `maxAttempts`, when the row is left `failed` with its last error for staff.
 *
 * A claimed row belongs to its sender for a lease (OUTBOX_LEASE_MS, 30 s by default), which the
 * sender renews every third of it for as long as it holds the row: through a slow relay and
 * through retries of the mark. The lease is the sender's heartbeat: a sender that stopped
 * renewing (killed, frozen, cut off from the database) lets its rows go to another sender one
 * lease after its last renewal, so a dead worker's replies go out within a lease and a poll.
 *
 * Delivery is at-least-once: a process killed after the relay took a mail but before the row is
 * marked sends it once more after the lease, with the SAME Message-ID, so the receiving side can
 * recognise the resend. That window (the relay's 250 to the mark's commit) is all that is left:
 * a mark that fails on a database blip is retried, with backoff, while the lease holds, so a
 * blip shorter than the lease sends nothing twice. A mail is never dropped: a row leaves
 * `pending` only as `sent` or `failed`.
 */
import { DEFAULT_OUTBOX_LEASE_MS, type ReplyTransport } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { describeError } from '../shared/index.ts';
import { type ClaimedMail, claimDueMail, extendLease, markFailedAttempt, markSent } from './outbox.ts';
import { type MailDelivery, openMailDelivery } from './transport.ts';

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
export interface OutboxMetrics {
  replySent(): void;
  /** A delivery attempt failed; `final` when the mail is given up (left `failed` for staff). */
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

  /** A delivered mail, for `round` to mark sent with the rest of its batch. */
  interface Delivered {
    readonly mail: ClaimedMail;
    readonly detail: string;
  }

  /** The rows of a batch in delivery, whose lease is renewed while the batch is out. */
  interface Lease {
    /** This row is done with (its failure is about to be recorded): renew it no more. */
    release(id: string): Promise<void>;
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
      async release(id) {
        held.delete(id);
        // A renewal already sent may still name this row: let it land before the failure's own
        // next attempt is written, or it would push that attempt out to a whole lease.
        await renewing;
      },
      async stop() {
        clearInterval(timer);
        await renewing;
      },
    };
  }

  /**
   * Delivers one mail. A failure is recorded here; if even that fails (the database), it is only
   * logged: the row stays claimed and is tried again after the lease, and the batch's deliveries
   * are still marked.
   */
  async function deliverOne(mail: ClaimedMail, lease: Lease): Promise<Delivered | undefined> {
    const outcome = await delivery.deliver(mail);
    if (outcome.ok) return { mail, detail: outcome.detail };
    await lease.release(mail.id);
    const fields = { messageId: mail.messageId, attempt: mail.attempts, to: mail.recipients };
    const final = outcome.permanent || mail.attempts >= maxAttempts;
    options.metrics?.replyFailed(final);
    const retryInMs = backoffDelay(mail.attempts, backoff);
    try {
      await markFailedAttempt(db, mail.id, outcome.error, final ? { final } : { final, retryInMs });
    } catch (error) {
      logger.error(
        { ...fields, error: describeError(error) },
        'could not record a failed delivery; retried after the lease',
      );
      return undefined;
    }
    if (final)
      logger.error(
        { ...fields, error: outcome.error },
        'reply failed for good; kept in the outbox for staff',
      );
    else logger.warn({ ...fields, error: outcome.error, retryInMs }, 'reply not sent; will retry');
    return undefined;
  }

  /**
   * Marks delivered rows sent, trying again with backoff while the database is away. Past the
   * lease another sender may have taken the rows and the mark can no longer prevent a second
   * delivery: then it is left to the lease, logged with the Message-IDs that may go twice.
   */
  async function markDelivered(mails: readonly ClaimedMail[]): Promise<void> {
    if (mails.length === 0) return;
    const ids = mails.map((mail) => mail.id);
    const giveUpAt = Date.now() + leaseMs;
    for (let wait = markRetryMs, tries = 1; ; wait = Math.min(wait * 2, 5_000), tries++) {
      try {
        await markSent(db, ids);
        if (tries > 1)
          logger.info({ tries, mails: ids.length }, 'delivered replies marked sent after a retry');
        return;
      } catch (error) {
        if (Date.now() + wait >= giveUpAt || (closed && tries > 1)) {
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

  /**
   * Marks each mail sent as soon as the relay took it, still under the lease: a crash between the
   * relay's 250 and the mark sends it again (same Message-ID), so that window is kept to one
   * statement instead of the rest of the batch's deliveries. Mails the relay takes while a mark
   * is out go together in the next one, so a batch costs a few statements, not one per mail.
   */
  function markAsDelivered(): { add(mail: ClaimedMail): void; done(): Promise<void> } {
    const waiting: ClaimedMail[] = [];
    let marking: Promise<void> | undefined;
    let failure: unknown;
    const markWaiting = async () => {
      while (waiting.length > 0) {
        const mails = waiting.splice(0);
        if (failure !== undefined) {
          logger.error(
            { messageIds: mails.map((mail) => mail.messageId) },
            'delivered replies not marked sent (the database is away); they will be sent again after the lease, with the same Message-IDs',
          );
          continue;
        }
        try {
          await markDelivered(mails);
        } catch (error) {
          failure = error;
        }
      }
      marking = undefined;
    };
    return {
      add(mail) {
        waiting.push(mail);
        marking ??= markWaiting();
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
   */
  async function round(untilEmpty: boolean): Promise<void> {
    while (!closed) {
      const batch = await claimDueMail(db, batchSize, leaseMs);
      if (batch.length === 0) return;
      // The batch goes out at once (the SMTP transport pools a few connections): one slow
      // relay answer no longer holds up the mails behind it.
      const lease = keepLeased(batch);
      const marks = markAsDelivered();
      let sent: Delivered[];
      try {
        sent = (
          await Promise.all(
            batch.map(async (mail) => {
              const delivered = await deliverOne(mail, lease);
              if (delivered) marks.add(delivered.mail);
              return delivered;
            }),
          )
        ).filter((d): d is Delivered => d !== undefined);
        await marks.done();
      } finally {
        await lease.stop();
      }
      for (const { mail, detail } of sent) {
        options.metrics?.replySent();
        logger.info(
          { messageId: mail.messageId, attempt: mail.attempts, to: mail.recipients, detail },
          'reply sent',
        );
      }
      if (!untilEmpty && batch.length < batchSize) return;
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
