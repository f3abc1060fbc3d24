/**
 * Opens the configured backend and brings its schema up to date.
 * PGlite (embedded, files under DATA_DIR) by default; a PostgreSQL server when DATABASE_URL is set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import type { DatabaseTarget } from '../config/index.ts';
import { acquireDirectoryLock, lazyPackage, ProblemError, problem } from '../shared/index.ts';
import type { Database, DatabaseHandle } from './database.ts';
import { commitsFlushedByTheProcess } from './durable-later.ts';
import * as schema from './schema.ts';

// Each backend's driver loads when that backend opens: PGlite's WebAssembly and the pg driver
// are not both needed, and a command that opens no database (lint) needs neither.
const pg = lazyPackage<typeof import('pg')>('pg');
const pgliteDrivers = async () => ({
  PGlite: (await import('@electric-sql/pglite')).PGlite,
  drizzle: (await import('drizzle-orm/pglite')).drizzle,
  migrate: (await import('drizzle-orm/pglite/migrator')).migrate,
  useNamedStatements: (await import('./pglite-statements.ts')).useNamedStatements,
  takeTransactionsInTurn: (await import('./pglite-turns.ts')).takeTransactionsInTurn,
  pgliteStartOptions: (await import('./pglite-start.ts')).pgliteStartOptions,
  openPgliteThread: (await import('./pglite-thread.ts')).openPgliteThread,
});
const postgresDrivers = async () => ({
  drizzle: (await import('drizzle-orm/node-postgres')).drizzle,
  migrate: (await import('drizzle-orm/node-postgres/migrator')).migrate,
});

const BYTEA_OID = 17;

/** `\\x0a0b...` (PostgreSQL's hex output for bytea) to bytes. */
export function parseBytea(text: string): Uint8Array {
  return Buffer.from(text.slice(2), 'hex');
}

/** Bytes to PostgreSQL's hex input for bytea. */
export function serializeBytea(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new TypeError('a bytea parameter must be a Uint8Array');
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
}

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/** Any key; the same for every process, so two migrating at once take turns. */
const MIGRATION_LOCK_KEY = 746_372_001;

export interface OpenOptions {
  /** Run migrations (default true). */
  readonly migrate?: boolean;
  /** Start PGlite from a dumped data directory (tests clone a migrated database this way). */
  readonly pgliteSnapshot?: Blob;
  readonly poolSize?: number;
  /**
   * PGlite in a worker thread of its own (pglite-thread.ts), for the daemon: its PostgreSQL and
   * its file syncs off the thread that runs everything else. Not with pgliteSnapshot.
   */
  readonly ownThread?: boolean;
}

export async function openDatabase(
  target: DatabaseTarget,
  options: OpenOptions = {},
): Promise<DatabaseHandle> {
  if (target.kind === 'postgres' && options.migrate !== false) await migratePostgres(target.url);
  const handle =
    target.kind === 'pglite'
      ? await openPglite(target.dataDir, options, target.walWriterDelayMs)
      : await openPostgres(target.url, options);
  return handle;
}

/** Several processes may start together against one server: a session advisory lock makes them take turns. */
async function migratePostgres(url: string): Promise<void> {
  const { drizzle: drizzlePg, migrate: migratePg } = await postgresDrivers();
  const { Client } = pg();
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new ProblemError(
      problem('E_DATABASE_UNAVAILABLE', `cannot reach PostgreSQL: ${(error as Error).message}`),
    );
  }
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.end().catch(() => {});
  }
}

async function openPglite(
  dataDir: string,
  options: OpenOptions,
  walWriterDelayMs: number | undefined,
): Promise<DatabaseHandle> {
  const inMemory = dataDir === 'memory://';
  let releaseLock = () => {};
  if (!inMemory) {
    fs.mkdirSync(dataDir, { recursive: true });
    releaseLock = acquireDirectoryLock(dataDir);
  }
  let client: PGlite;
  const {
    PGlite,
    drizzle: drizzlePglite,
    migrate,
    useNamedStatements,
    takeTransactionsInTurn,
    pgliteStartOptions,
    openPgliteThread,
  } = await pgliteDrivers();
  try {
    if (options.ownThread && !options.pgliteSnapshot) {
      // The client is PGlite's own code above the wire protocol (pglite-thread.ts): what drizzle
      // and pglite-statements.ts use of a PGlite (query, transaction, execProtocol, its locks
      // and codecs) it has, the rest (files, dumps, extensions' namespaces) it has not.
      client = (await openPgliteThread(dataDir)) as unknown as PGlite;
      client.parsers[BYTEA_OID] = parseBytea;
      client.serializers[BYTEA_OID] = serializeBytea;
    } else {
      client = await PGlite.create({
        ...pgliteStartOptions(dataDir),
        // PGlite's own bytea codec makes one string and one parseInt per byte: a 10 MB raw message
        // cost seconds of a blocked event loop and hundreds of MB on the way in and out. Buffer's
        // hex codec does the same work in native code.
        parsers: { [BYTEA_OID]: parseBytea },
        serializers: { [BYTEA_OID]: serializeBytea },
        ...(options.pgliteSnapshot ? { loadDataDir: options.pgliteSnapshot } : {}),
      });
    }
  } catch (error) {
    releaseLock();
    throw new ProblemError(
      problem(
        'E_DATABASE_UNAVAILABLE',
        `cannot open the embedded database in ${dataDir}: ${(error as Error).message}`,
      ),
    );
  }
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  const close = async () => {
    try {
      if (!client.closed) await client.close();
    } finally {
      releaseLock();
    }
  };
  if (options.migrate !== false) {
    try {
      await migrate(db as unknown as Parameters<typeof migrate>[0], { migrationsFolder: MIGRATIONS_FOLDER });
    } catch (error) {
      await close();
      throw error;
    }
  }
  // After the migrations: a statement named before a table changed shape would be named for
  // its old shape.
  useNamedStatements(client);
  takeTransactionsInTurn(client);
  commitsFlushedByTheProcess(db, walWriterDelayMs);
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close,
  };
}

/** Readiness gets its own connection: behind a pool whose connections all hold a message's transaction, it would report a busy database as down. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The daemon's sessions run without PostgreSQL's JIT compiler, unless DATABASE_URL's `options`
 * say otherwise. JIT pays off for long analytical queries; ours are short, and a message's
 * set-based placement (its rows come from a JSON parameter the planner guesses at 100) is
 * estimated costly enough, once the registry holds ~10,000 nets, for JIT to inline and optimise
 * ~200 functions on every execution: 4.8 s of LLVM for a statement that runs in 15 ms, and the
 * worker fell to about one message a second (found by the benchmark's paced run on PostgreSQL 15
 * with its default jit=on).
 */
export function withoutJit(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const given = parsed.searchParams.get('options');
  if (given !== null && /\bjit\b/.test(given)) return url;
  parsed.searchParams.set('options', given ? `${given} -c jit=off` : '-c jit=off');
  return parsed.toString();
}

async function openPostgres(url: string, options: OpenOptions): Promise<DatabaseHandle> {
  const { drizzle: drizzlePg } = await postgresDrivers();
  const { keepErrorListener, PooledClient } = await import('./lost-connection.ts');
  const { Pool } = pg();
  const pool = new Pool({
    Client: PooledClient,
    connectionString: withoutJit(url),
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  keepErrorListener(pool);
  const probe = new Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
    idleTimeoutMillis: 60_000,
  });
  keepErrorListener(probe);
  const db = drizzlePg({ client: pool, schema }) as unknown as Database;
  let closed = false;
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await probe.query('select 1');
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([pool.end(), probe.end()]);
    },
  };
}
