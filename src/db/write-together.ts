/**
 * Several writes in one statement. Every statement is a round trip, and a message's
 * transaction ends with a handful of writes that nothing reads before the commit (its audit
 * rows, tickets, template rows, rejections, mail for the outbox, the `done` mark). Sent as
 * data-modifying CTEs of one statement, they cost one round trip instead of six.
 *
 * PostgreSQL runs every data-modifying CTE once, whether or not the main statement reads it, and
 * checks foreign keys at the end of the whole statement. The writes must not depend on each
 * other (they see the same snapshot), which is true of inserts into different tables.
 */
import { type ColumnsSelection, sql } from 'drizzle-orm';
import type { TypedQueryBuilder } from 'drizzle-orm/query-builders/query-builder';
import type { Transaction } from './database.ts';

type AsCte = TypedQueryBuilder<ColumnsSelection>;

const WRITTEN = { written: sql<number>`1`.as('written') };

/** An insert, update or delete built and not run yet. */
interface WriteQuery extends PromiseLike<unknown> {
  /** A CTE has to answer something: each write answers a 1 per row. */
  returning(fields: typeof WRITTEN): AsCte;
}

/** What a write is built on: the transaction, or the transaction with the other writes as CTEs. */
export type WithWrites = Pick<Transaction, 'update' | 'insert' | 'delete'>;

/** A write to send with others, built on what it is given. */
export type TogetherWrite = (ex: WithWrites) => WriteQuery;

/**
 * Sends the writes as one statement, in order: all but the last as CTEs of the last. Writes
 * that are not needed are left out by the caller (an empty list sends nothing).
 */
export async function writeTogether(tx: Transaction, writes: readonly TogetherWrite[]): Promise<void> {
  const last = writes.at(-1);
  if (!last) return;
  const ctes = writes
    .slice(0, -1)
    .map((write, i) => tx.$with(`write_${i + 1}`).as(write(tx).returning(WRITTEN)));
  // `tx.with(...)` offers the same insert/update/delete builders as the transaction, typed apart.
  await last(ctes.length > 0 ? (tx.with(...ctes) as unknown as WithWrites) : tx);
}
