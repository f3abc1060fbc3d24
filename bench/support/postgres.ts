/**
 * A PostgreSQL server for the benchmark, set up like production: fsync and synchronous commit
 * ON (the test suite's server turns them off for speed, which would flatter every number here).
 * The test suite's starter with `durable: true`; its own temp directory and loopback port.
 */
import pg from 'pg';
import { startPostgres } from '../../test/support/postgres-server.ts';

export interface BenchPostgres {
  /** Admin URL (database `postgres`). */
  readonly url: string;
  /** The server's data directory (its postmaster.pid names the server process). */
  readonly dataDir: string;
  /** A new empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

export async function startBenchPostgres(
  options: { statementStats?: boolean; unixSocket?: boolean; settings?: readonly string[] } = {},
): Promise<BenchPostgres> {
  const server = await startPostgres({
    durable: true,
    settings: [
      ...(options.statementStats
        ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track_planning=on']
        : []),
      ...(options.settings ?? []),
    ],
  });
  return {
    url: server.url,
    dataDir: server.dataDir,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const url = server.url.replace(/\/postgres$/, `/${name}`);
      return options.unixSocket ? `${url}?host=${encodeURIComponent(server.socketDir)}` : url;
    },
    stop: () => server.stop(),
  };
}
