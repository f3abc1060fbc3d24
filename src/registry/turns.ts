/**
 * Turns for creates that have a resend rule. The rule's check ("does the account already hold
 * this?") is a read: two transactions creating the same thing at the same moment each read before
 * the other committed, and each created it. A transaction-scoped advisory lock keyed by what the
 * check compares makes them take turns: the second waits until the first commits, and its
 * check, a statement begun after the wait, sees what the first created (READ COMMITTED: each
 * statement reads what was committed before it began; the lock could not ride in the check's own
 * statement, whose snapshot precedes any wait inside it). The key need only be equal for what the
 * check finds equal; unequal things sharing a key only take turns. On PGlite's one connection
 * nothing waits.
 *
 * A message's creates have their turns taken ahead, by its first statement in the transaction
 * (the worker's lock of the submission, `turnsTaken`): a turn a statement of its own was a
 * round trip a POC N. The create then finds its key among those held (`TurnsHeld`) and sends
 * nothing; a create whose key was not taken ahead (a value the key hiding changed after, a staff
 * run) takes its turn itself, as before.
 */
import { createHash } from 'node:crypto';
import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import { preparedSql, type Transaction } from '../db/index.ts';

const waitTurn = preparedSql<{ key: string }, Record<string, unknown>>(
  'registry_create_turn',
  () => sql`SELECT true AS taken FROM pg_advisory_xact_lock(${sql.placeholder('key')}::bigint)`,
);

/** The keys of the turns a transaction already holds (taken ahead, see `turnsTaken`). */
export type TurnsHeld = ReadonlySet<string>;

/** The advisory lock's key for `identity` (its first element names the kind of create), as text. */
export function turnKey(identity: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(identity)).digest().readBigInt64BE(0).toString();
}

/**
 * A POC N's turn: keyed by what the resend check compares that tells POCs apart, the e-mail
 * addresses too, so an account's many role POCs named alike (NOC, ABUSE) do not take turns.
 */
export function pocTurn(
  account: number,
  poc: {
    readonly kind: string;
    readonly lastName: string;
    readonly firstName: string | null;
    readonly emails: readonly string[];
  },
): readonly unknown[] {
  return ['poc-n', account, poc.kind, poc.lastName, poc.firstName, poc.emails];
}

/** An ORG N's turn: the account and the org's name, as the resend check compares it. */
export function orgTurn(account: number, name: string): readonly unknown[] {
  return ['org-n', account, name.toLowerCase()];
}

/** Waits for the turn of `identity` unless the transaction holds it already; held until the transaction ends. */
export async function takeTurn(
  tx: Transaction,
  identity: readonly unknown[],
  held?: TurnsHeld,
): Promise<void> {
  const key = turnKey(identity);
  if (held?.has(key)) return;
  await waitTurn(tx, { key });
}

/** The keys as the array literal `turnsTaken`'s placeholder takes (`{}` for none). */
export function turnsLiteral(keys: Iterable<string>): string {
  return `{${[...keys].join(',')}}`;
}

/**
 * A column for another statement's select list (the worker's lock of a submission) that waits for
 * each turn of `turns` (a bigint[] literal, `turnsLiteral`, or a placeholder for one), one at a time in the
 * keys' order, so two messages taking several never wait for each other crosswise, and answers
 * how many it took. Uncorrelated, it runs once (an InitPlan), when the statement's first row is
 * formed; a statement that finds no row takes none, so only its answer says they are held.
 */
export function turnsTaken(turns: string | Placeholder): SQL<number> {
  return sql`(SELECT count(*) FROM (SELECT DISTINCT key FROM unnest(${turns}::bigint[]) AS turn(key) ORDER BY key) AS ordered, LATERAL pg_advisory_xact_lock(ordered.key))`.mapWith(
    Number,
  );
}
