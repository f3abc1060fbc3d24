/**
 * A transaction whose commit does not wait for its WAL to reach the disk
 * (`synchronous_commit = off` for it alone), for writes nothing outside the database learns of
 * before a later synchronous commit.
 *
 * PostgreSQL writes WAL in order, and a synchronous commit flushes it up to its own commit
 * record, so it also makes durable every asynchronous commit before it. A worker's message
 * transaction is followed by the outbox's claim of its reply (a synchronous commit) before any
 * mail leaves: a reply never tells of something a crash could still undo. What a crash can undo
 * is the last asynchronous commits (PostgreSQL's documented trade-off: the database stays
 * consistent, the most recent transactions may be lost); a submission whose transaction was lost
 * is still `received`, and is run again (docs/operations.md, "Durability").
 *
 * On the embedded database every synchronous commit is an fdatasync on the daemon's one thread
 * (pglite-durable-fs.ts); PGlite runs PostgreSQL without a WAL writer, so an asynchronous
 * commit's WAL stays in memory until the next synchronous commit, a checkpoint, or the check of
 * pglite-wal-writer.ts (within about 400 ms) flushes it. A PostgreSQL server flushes its WAL in
 * its own processes, and there the statement that asks for an asynchronous commit costs a round
 * trip more than it saves: `later` is honoured on PGlite alone.
 */
import { sql } from 'drizzle-orm';
import type { Database, Executor, Transaction } from './database.ts';
import { startWalWriter, type WalWriter } from './pglite-wal-writer.ts';

const COMMIT_WITHOUT_FLUSH = sql`set local synchronous_commit = off`;

/** The databases whose synchronous commits hold the process's own thread (PGlite's), with their WAL writer. */
const flushedByTheProcess = new WeakMap<Database, WalWriter>();

/** Called by the opening of an embedded database: its transactions may be flushed `later`. */
export function commitsFlushedByTheProcess(db: Database, walWriterDelayMs?: number): void {
  flushedByTheProcess.set(db, startWalWriter(db, walWriterDelayMs));
}

/**
 * When a transaction's commit must reach the disk: `at-commit` for what is shown or sent before
 * any other commit, `later` for what nothing outside the database learns of before a synchronous
 * commit after it (where that saves the process a sync, see above).
 */
export type CommitFlush = 'at-commit' | 'later';

/**
 * Runs `work` (autocommitted statements that write) so that its commit may be flushed later: on
 * PGlite in a transaction flushed `later`, on a PostgreSQL server as it is (a transaction there
 * would cost BEGIN and COMMIT for nothing).
 */
export async function writeFlushedLater<T>(db: Database, work: (ex: Executor) => Promise<T>): Promise<T> {
  if (!flushedByTheProcess.has(db)) return work(db);
  return transactionFlushed(db, 'later', work);
}

/** Runs `work` in a transaction whose commit is flushed as `flush` says. */
export async function transactionFlushed<T>(
  db: Database,
  flush: CommitFlush,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const walWriter = flushedByTheProcess.get(db);
  if (flush === 'at-commit' || !walWriter) return db.transaction(work);
  const result = await db.transaction(async (tx) => {
    await tx.execute(COMMIT_WITHOUT_FLUSH);
    return work(tx);
  });
  walWriter.committedLater();
  return result;
}
