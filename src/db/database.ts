import type { ExtractTablesWithRelations, InferSelectModel, SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type * as schema from './schema.ts';

export type Schema = typeof schema;

/** A database connection, whichever backend is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

/** An open transaction. Registry operations take one, so they commit or roll back together. */
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** Anything queries can run on: a connection or a transaction inside it. */
export type Executor = Database | Transaction;

export type BackendKind = 'pglite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: BackendKind;
  /** Cheap round trip, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T extends Record<string, unknown>>(
  executor: Executor,
  query: SQL,
): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

export type Submission = InferSelectModel<Schema['submissions']>;
