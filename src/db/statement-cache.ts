/**
 * node-postgres sends every statement with parameters unnamed, so PostgreSQL parses and plans
 * it again each time; the worker sends the same few dozen statements (authority checks,
 * placement, inserts) for every template, and parsing and planning them was a large part of
 * the database server's CPU. A connection of this pool therefore names each distinct statement
 * text the first time it sends it (a digest of the text: same text, same name), and later sends
 * only Bind/Execute for it: the server keeps the parsed statement and, after a few runs, its
 * plan. Protocol-level prepared statements live as long as the connection and are not undone by
 * a rollback; node-postgres records one only after the server accepted it.
 *
 * Bounded: texts that vary without end (a multi-row insert of n rows has one text per n) stop
 * being named once a connection holds MAX_NAMED_PER_CONNECTION of them. Statements without
 * parameters (BEGIN, SAVEPOINT, COMMIT) go unnamed, as simple queries.
 *
 * A migration that changes a column's type under running daemons makes PostgreSQL refuse the
 * old plans ("cached plan must not change result type"): restart the daemons after such a
 * migration (docs/operations.md). Behind PgBouncer in transaction mode, use PgBouncer >= 1.21
 * with max_prepared_statements set.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

const MAX_NAMED_PER_CONNECTION = 256;
/** Longer texts are rare (none of ours) and not worth a digest per run. */
const MAX_TEXT_LENGTH = 16_384;
/** Digests of the texts seen by this process: computing one per run would cost more than the lookup. */
const MAX_KNOWN_TEXTS = 4_096;
const knownNames = new Map<string, string>();

function nameFor(text: string): string {
  let name = knownNames.get(text);
  if (name === undefined) {
    name = `hm_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (knownNames.size < MAX_KNOWN_TEXTS) knownNames.set(text, name);
  }
  return name;
}

interface QueryConfigLike {
  readonly text?: unknown;
  readonly name?: unknown;
  readonly values?: unknown;
}

type QueryFunction = (this: pg.Client, ...args: unknown[]) => unknown;
/** Looked up at each call, not kept: whatever pg.Client's own query is now (tests count through it). */
const plainQuery = (): QueryFunction => pg.Client.prototype.query as unknown as QueryFunction;

export class StatementCachingClient extends pg.Client {
  readonly #named = new Set<string>();

  /** The config to send: named when it is a statement with parameters this connection may name. */
  nameStatement(config: unknown, values: unknown): unknown {
    const asObject = typeof config === 'string' ? { text: config } : config;
    if (typeof asObject !== 'object' || asObject === null) return config;
    const { text, name, values: inline } = asObject as QueryConfigLike;
    if (typeof text !== 'string' || name !== undefined || text.length > MAX_TEXT_LENGTH) return config;
    const parameters = Array.isArray(values) ? values : inline;
    if (!Array.isArray(parameters) || parameters.length === 0) return config;
    const statement = nameFor(text);
    if (!this.#named.has(statement)) {
      if (this.#named.size >= MAX_NAMED_PER_CONNECTION) return config;
      this.#named.add(statement);
    }
    return { ...asObject, name: statement };
  }
}

(StatementCachingClient.prototype as unknown as { query: QueryFunction }).query = function (
  this: pg.Client,
  config: unknown,
  ...rest: unknown[]
) {
  return plainQuery().call(this, (this as StatementCachingClient).nameStatement(config, rest[0]), ...rest);
};
