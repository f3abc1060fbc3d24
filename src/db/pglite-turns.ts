/**
 * PGlite's transactions queue in a turn of their own, so that a single statement waits for at
 * most the transaction running, not for every transaction queued.
 *
 * PGlite runs one transaction or statement at a time, first come first served, on one mutex.
 * The worker runs up to WORKER_CONCURRENCY message transactions at once; on PGlite they all
 * queue on that mutex, and the ingress's insert of a new message (one statement, the 250's
 * wait) queued behind all of them: up to four messages' transactions, each holding the database
 * for all of its templates. Here a transaction enters PGlite's queue only when the one before it
 * has ended, so statements that arrive meanwhile (the ingress's insert, readiness pings, the
 * outbox's claims) run as soon as the transaction in progress ends. Transactions keep their
 * order among themselves, and a statement waits for one transaction at most, so neither starves.
 */
import type { PGlite, Transaction } from '@electric-sql/pglite';

export function takeTransactionsInTurn(client: PGlite): void {
  const enter = client.transaction.bind(client);
  let previous: Promise<unknown> = Promise.resolve();
  client.transaction = (<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> => {
    const mine = previous.then(() => enter(callback));
    previous = mine.catch(() => {});
    return mine;
  }) as PGlite['transaction'];
}
