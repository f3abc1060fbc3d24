/**
 * Statements whose SQL text is built once. Drizzle builds a query's text on every run, walking
 * its tree of SQL chunks, tables and columns; under load that was a quarter of the worker's CPU
 * (`--cpu-prof`, bench/tools/cpuprofile-summary.ts), spent rebuilding the same few statements
 * every template runs. Here a statement is written once with `sql.placeholder(...)` for its
 * values, drizzle builds it on first use (its own `.prepare()`), and each run only fills in the
 * values and maps the rows, as drizzle does for its prepared queries.
 *
 * Drizzle binds a prepared query to the session that built it: the database, or one
 * transaction. A message's statements run in a new transaction each time, so each run takes the
 * built query and points it at the given executor's connection. That reaches into two drizzle
 * internals, kept to this file: an executor's `session` (with its `client` and `prepareQuery`,
 * and the `dialect`), and a prepared query's `client`. drizzle-orm's version is pinned in
 * package.json; src/db/prepared.test.ts runs every shape on both drivers, inside transactions
 * and savepoints, so an upgrade that moves them fails there first.
 *
 * Built once per driver (the session's class): a process may hold both PGlite and PostgreSQL
 * (the test suite does), and a query built for one driver runs only on it.
 *
 * The name (`hm_p_<label>`) makes PostgreSQL keep the parsed statement per connection, like the
 * statement cache (statement-cache.ts) does for the other statements.
 */
import type { SQL } from 'drizzle-orm';
import type { Executor } from './database.ts';

/** Values for a statement's placeholders, by name. */
export type PlaceholderValues = Record<string, unknown>;

interface BuiltQuery<R> {
  execute(values?: PlaceholderValues): Promise<R>;
}

/** A drizzle query builder (select, insert, update, delete) that can be prepared. */
export interface Preparable<R> {
  prepare(name: string): BuiltQuery<R>;
}

/** The drizzle internals this file relies on (see above). */
interface DrizzleSession {
  readonly client: unknown;
  prepareQuery(
    query: { sql: string; params: unknown[] },
    fields: undefined,
    name: string,
    isResponseInArrayMode: boolean,
  ): BuiltQuery<unknown>;
}
interface DrizzleExecutor {
  readonly session: DrizzleSession;
  readonly dialect: { sqlToQuery(sql: SQL): { sql: string; params: unknown[] } };
}

function internals(ex: Executor): DrizzleExecutor {
  return ex as unknown as DrizzleExecutor;
}

const labels = new Set<string>();

function statementName(label: string): string {
  if (labels.has(label)) throw new Error(`prepared statement ${label} is defined twice`);
  labels.add(label);
  return `hm_p_${label}`;
}

/** The built query, its client swapped for the executor's connection. */
function boundTo<R>(built: BuiltQuery<R>, ex: Executor): BuiltQuery<R> {
  const bound = Object.create(built) as BuiltQuery<R> & { client: unknown };
  bound.client = internals(ex).session.client;
  return bound;
}

/** One built query per driver: keyed by the session's class. */
class BuiltPerDriver<R> {
  private readonly built = new Map<unknown, BuiltQuery<R>>();

  constructor(private readonly build: (ex: Executor) => BuiltQuery<R>) {}

  /** The query built for the executor's driver, pointed at the executor's connection. */
  for(ex: Executor): BuiltQuery<R> {
    const driver = internals(ex).session.constructor;
    let built = this.built.get(driver);
    if (!built) {
      built = this.build(ex);
      this.built.set(driver, built);
    }
    return boundTo(built, ex);
  }
}

/**
 * A query builder's statement, built once: `build` makes it with placeholders (it is called
 * once per driver, with the first executor). Answers what the builder answers (mapped rows).
 */
export function preparedQuery<V extends object, R>(
  label: string,
  build: (ex: Executor) => Preparable<R>,
): (ex: Executor, values: V) => Promise<R> {
  const name = statementName(label);
  const built = new BuiltPerDriver((ex) => build(ex).prepare(name));
  return (ex, values) => built.for(ex).execute(values as PlaceholderValues);
}

/**
 * A raw SQL statement, built once: `build` writes it with placeholders. Answers its rows as the
 * driver gives them (column names as selected), like `queryRows`.
 */
export function preparedSql<V extends object, T extends Record<string, unknown>>(
  label: string,
  build: (ex: Executor) => SQL,
): (ex: Executor, values: V) => Promise<T[]> {
  const name = statementName(label);
  const built = new BuiltPerDriver((ex) => {
    const { session, dialect } = internals(ex);
    return session.prepareQuery(dialect.sqlToQuery(build(ex)), undefined, name, false);
  });
  return async (ex, values) => {
    const result = (await built.for(ex).execute(values as PlaceholderValues)) as { rows: T[] };
    return result.rows;
  };
}
