/**
 * Forcing an interleaving on PostgreSQL: hold a row in one session, then wait until the sessions
 * under test are waiting on locks. Counted from a session of its own: inside a transaction,
 * pg_stat_activity is a snapshot taken once.
 */
import pg from 'pg';

export interface LockWaits {
  /** How many other sessions of this database wait on a lock now. */
  waiting(): Promise<number>;
  end(): Promise<void>;
}

export async function watchLockWaits(url: string): Promise<LockWaits> {
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  return {
    async waiting() {
      const { rows } = await watcher.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
      );
      return (rows[0] as { n: number }).n;
    },
    end: () => watcher.end(),
  };
}
