/**
 * A PostgreSQL session lost while a transaction holds its connection: terminated by a DBA
 * (pg_terminate_backend), ended by idle_in_transaction_session_timeout, between two statements
 * or in the middle of one. The transaction fails as a rejected promise (the caller's attempt
 * fails and is retried); nothing is emitted unheard, which would end the process (Vitest fails a
 * run with an unhandled error); and the pool goes on with fresh connections.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../test/support/databases.ts';
import { describeError } from '../shared/index.ts';
import { type DatabaseHandle, openDatabase, queryRows } from './index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a connection lost while a transaction holds it', () => {
  let database: DatabaseHandle;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    database = await openDatabase(
      { kind: 'postgres', url: await createPostgresDatabase() },
      { migrate: false },
    );
    process.on('uncaughtException', onUncaught);
  });
  afterAll(async () => {
    process.removeListener('uncaughtException', onUncaught);
    await database?.close();
  });

  const backendPid = async (executor: Pick<DatabaseHandle['db'], 'execute'>) => {
    const [row] = await queryRows<{ pid: number }>(
      executor as DatabaseHandle['db'],
      sql`select pg_backend_pid() as pid`,
    );
    return row!.pid;
  };
  const terminate = async (pid: number) => {
    await database.db.execute(sql`select pg_terminate_backend(${pid})`);
  };
  /** Until the server has let the session go. */
  const gone = async (pid: number) => {
    for (let i = 0; i < 200; i++) {
      const rows = await queryRows(database.db, sql`select 1 from pg_stat_activity where pid = ${pid}`);
      if (rows.length === 0) return;
      await sleep(25);
    }
    throw new Error(`session ${pid} still there`);
  };

  /** The error the caller gets says why (not "Failed query: rollback"): what the worker logs. */
  const expectCause = async (outcome: Promise<unknown>, reason: RegExp) => {
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(describeError(error)).toMatch(reason);
    expect(describeError(error)).not.toMatch(/rollback/);
  };

  const expectPoolStillWorks = async () => {
    const [row] = await queryRows<{ one: number }>(database.db, sql`select 1 as one`);
    expect(row?.one).toBe(1);
    await database.ping();
    expect(uncaught).toEqual([]);
  };

  it('terminated between two statements (idle in transaction): the transaction is rejected', async () => {
    const outcome = database.db.transaction(async (tx) => {
      const pid = await backendPid(tx);
      await terminate(pid);
      await gone(pid);
      // The server's FATAL reached the client while no query of ours was running.
      await sleep(100);
      await tx.execute(sql`select 1`);
    });
    await expectCause(outcome, /terminating connection due to administrator command/);
    await expectPoolStillWorks();
  });

  it('terminated during a statement: that statement and the transaction are rejected', async () => {
    const outcome = database.db.transaction(async (tx) => {
      const pid = await backendPid(tx);
      const cut = sleep(200).then(() => terminate(pid));
      try {
        await tx.execute(sql`select pg_sleep(30)`);
      } finally {
        await cut;
      }
    });
    // pg reports a statement cut short by the connection's end, whichever message came first.
    await expectCause(
      outcome,
      /terminating connection due to administrator command|Connection terminated unexpectedly/,
    );
    await expectPoolStillWorks();
  });

  it('ended by idle_in_transaction_session_timeout: the transaction is rejected', async () => {
    const outcome = database.db.transaction(async (tx) => {
      await tx.execute(sql`set local idle_in_transaction_session_timeout = '100ms'`);
      await sleep(1_000);
      await tx.execute(sql`select 1`);
    });
    await expectCause(outcome, /idle-in-transaction timeout/);
    await expectPoolStillWorks();
  });

  it('the readiness ping connects anew after its own session was cut', async () => {
    await database.ping();
    const probes = await queryRows<{ pid: number }>(
      database.db,
      sql`select pid from pg_stat_activity where datname = current_database()
            and pid <> pg_backend_pid() and query = 'select 1' and state = 'idle'`,
    );
    for (const { pid } of probes) await terminate(pid);
    await sleep(100);
    // The probe's idle connection was dropped by the pool when it broke: the next ping connects anew.
    await database.ping();
    expect(uncaught).toEqual([]);
  });
});
