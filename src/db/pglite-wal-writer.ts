/**
 * What PostgreSQL's WAL writer does for a server, for the embedded database: a commit made
 * without waiting for the disk (durable-later.ts) is flushed within about two delays even when no
 * synchronous commit follows it. PGlite runs PostgreSQL without that process, so on a daemon whose
 * last message sent no mail (nothing claimed after it) the commit stayed in memory until the next
 * message or the stop; a server's WAL writer flushes within three of its 200 ms delays.
 *
 * A check every delay while commits wait: commits already waiting at the check before, and still
 * not flushed, are flushed now. Under load the outbox's claims flush them first and the check
 * finds nothing to do, so it adds no sync there.
 */
import { sql } from 'drizzle-orm';
import { type Database, queryRows } from './database.ts';

/** PostgreSQL's `wal_writer_delay` default. */
export const WAL_WRITE_DELAY_MS = 200;

export interface WalWriter {
  /** A commit that did not wait for the disk was made: flush it within about two delays. */
  committedLater(): void;
}

/** Where the WAL is: written as far as `inserted`, on the disk as far as `flushed`. */
const WAL_POSITIONS = sql`select pg_current_wal_insert_lsn()::text as inserted,
  pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn() as behind`;

/** Flushes the WAL (a record of its own, flushed as it is written) if it is still behind `lsn`. */
const flushUpTo = (lsn: string) =>
  sql`select pg_logical_emit_message(false, 'hostmasterd', '', true)
      where pg_current_wal_flush_lsn() < ${lsn}::pg_lsn`;

export function startWalWriter(db: Database, delayMs = WAL_WRITE_DELAY_MS): WalWriter {
  let timer: NodeJS.Timeout | undefined;
  /** A check is running: a commit meanwhile is looked at by the next one, not by a second at once. */
  let checking = false;
  let committedWhileChecking = false;
  /** The WAL's end at the last check, while it was behind: flushed by the next check at the latest. */
  let waiting: string | undefined;
  const arm = () => {
    timer = setTimeout(() => void check(), delayMs);
    timer.unref();
  };
  const check = async () => {
    timer = undefined;
    checking = true;
    try {
      if (waiting !== undefined) await db.execute(flushUpTo(waiting));
      const [where] = await queryRows<{ inserted: string; behind: boolean }>(db, WAL_POSITIONS);
      waiting = where?.behind ? where.inserted : undefined;
    } catch {
      // Closed, or the database cannot answer: the next commit arms the check again.
      waiting = undefined;
    } finally {
      checking = false;
    }
    if (waiting !== undefined || committedWhileChecking) arm();
    committedWhileChecking = false;
  };
  return {
    committedLater() {
      if (checking) committedWhileChecking = true;
      else if (timer === undefined) arm();
    },
  };
}
