/**
 * Turns for creates that have a resend rule. The rule's check ("does the account already hold
 * this?") is a read: two transactions creating the same thing at the same moment each read before
 * the other committed, and each created it. A transaction-scoped advisory lock keyed by what the
 * check compares makes them take turns: the second waits here until the first commits, and its
 * check, a statement begun after the wait, sees what the first created (READ COMMITTED: each
 * statement reads what was committed before it began; the lock could not ride in the check's own
 * statement, whose snapshot precedes any wait inside it). The key need only be equal for what the
 * check finds equal; unequal things sharing a key only take turns. On PGlite's one connection
 * nothing waits.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { preparedSql, type Transaction } from '../db/index.ts';

const waitTurn = preparedSql<{ key: string }, Record<string, unknown>>(
  'registry_create_turn',
  () => sql`SELECT true AS taken FROM pg_advisory_xact_lock(${sql.placeholder('key')}::bigint)`,
);

/** Waits for the turn of `identity` (its first element names the kind of create); held until the transaction ends. */
export async function takeTurn(tx: Transaction, identity: readonly unknown[]): Promise<void> {
  const key = createHash('sha256').update(JSON.stringify(identity)).digest().readBigInt64BE(0).toString();
  await waitTurn(tx, { key });
}
