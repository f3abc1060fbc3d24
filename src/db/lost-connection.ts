/**
 * A PostgreSQL connection lost while in use (a restart, a failover, a network reset, a DBA's
 * pg_terminate_backend, idle_in_transaction_session_timeout) must reach whoever uses it as a
 * failed query, never as an event nobody hears: a job's attempt then fails and is retried, and
 * the process goes on.
 *
 * pg-pool listens for a client's 'error' only while the client is idle and removes that listener
 * when it hands the client out, and a transaction holds its client for a whole message; an error
 * emitted then, with no listener, ended the process. Every client here keeps a listener of its
 * own for its whole life, which also remembers why the connection was lost.
 *
 * Once lost, the connection answers ROLLBACK (and ROLLBACK TO SAVEPOINT) as done: the server
 * undoes an open transaction when its session ends, so this is true, and the caller's error
 * stays the one that says what happened instead of "Failed query: rollback". Any other statement
 * is refused with the reason the connection was lost.
 */
import type pg from 'pg';
import { StatementCachingClient } from './statement-cache.ts';

const lostBecause = new WeakMap<pg.Client, Error>();

/** Gives every client of `pool` a lifelong 'error' listener; the pool's own idle errors are heard too. */
export function keepErrorListener(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    client.on('error', (error: Error) => {
      if (!lostBecause.has(client)) lostBecause.set(client, error);
    });
  });
  // An idle client's error is re-emitted by the pool, which then drops that client.
  pool.on('error', () => {});
}

/** pg's own flags for a connection that can no longer be queried. */
interface ConnectionState {
  readonly _queryable?: boolean;
  readonly _ending?: boolean;
}

/** Why this client can no longer be queried, or undefined while it can. */
export function lostConnection(client: pg.Client): Error | undefined {
  const state = client as unknown as ConnectionState;
  if (state._queryable !== false && !state._ending) return undefined;
  return lostBecause.get(client) ?? new Error('the connection was closed');
}

const ROLLBACK = /^\s*rollback\b/i;

function statementText(config: unknown): string | undefined {
  if (typeof config === 'string') return config;
  if (typeof config === 'object' && config !== null) {
    const { text } = config as { readonly text?: unknown };
    if (typeof text === 'string') return text;
  }
  return undefined;
}

/** A pooled connection: statements named as StatementCachingClient does, and a lost connection answered as above. */
export class PooledClient extends StatementCachingClient {}

type QueryFunction = (this: pg.Client, ...args: unknown[]) => unknown;
const cachingQuery = StatementCachingClient.prototype.query as unknown as QueryFunction;

(PooledClient.prototype as unknown as { query: QueryFunction }).query = function (
  this: pg.Client,
  config: unknown,
  ...rest: unknown[]
) {
  const lost = lostConnection(this);
  // Callers with a callback (pg-pool's own pool.query) are left to pg: they never hold a lost client.
  if (lost === undefined || typeof rest.at(-1) === 'function')
    return cachingQuery.call(this, config, ...rest);
  if (ROLLBACK.test(statementText(config) ?? '')) {
    return Promise.resolve({ command: 'ROLLBACK', rowCount: null, rows: [], fields: [], oid: 0 });
  }
  return Promise.reject(new Error(`the connection to PostgreSQL was lost: ${lost.message}`, { cause: lost }));
};
