/**
 * Several writes in one statement. Every statement is a round trip, and a message's
 * transaction ends with a handful of writes that nothing reads before the commit (its audit
 * rows, tickets, template rows, rejections, mail for the outbox, the `done` mark). Sent as
 * data-modifying CTEs of one statement, they cost one round trip instead of six.
 *
 * Each write's rows travel as ONE JSON parameter, unpacked by PostgreSQL
 * (`json_populate_recordset`, typed by the table's own row type), not as a multi-row VALUES of a
 * parameter per cell: drizzle built that statement anew for each message (a few hundred
 * parameters, ~1 ms of the worker's CPU), and PostgreSQL parsed and planned a new text each
 * time. Now the text depends only on which writes are sent (tables and columns), not on how many
 * rows: it is built once, and the server keeps it prepared. Writes with no rows are sent all the
 * same (they write nothing), so a caller that always sends the same writes sends one text.
 *
 * PostgreSQL runs every data-modifying CTE once, whether or not the main statement reads it, and
 * checks foreign keys at the end of the whole statement. The writes must not depend on each
 * other (they see the same snapshot), which is true of writes to different tables.
 */
import { createHash } from 'node:crypto';
import { getTableColumns, getTableName, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { ColumnKey } from './columns.ts';
import type { Transaction } from './database.ts';
import { preparedSql } from './prepared.ts';

/** A value for each of `C` (null where there is nothing, never left out: a missing key would be NULL, not the default). */
export type RowValues<T extends PgTable, C extends readonly ColumnKey<T>[]> = {
  readonly [K in C[number]]: Exclude<T['$inferInsert'][K], undefined>;
};

/**
 * A write no insert or update by key expresses (an update joining other tables, say): its
 * statement is built once by `build`, given the rows as one JSON parameter (`$n::json`), and told
 * apart from other statements by `name`. Made once, as a module constant, like conflict clauses.
 * It must be one INSERT, UPDATE or DELETE without RETURNING (one is added when it runs as a CTE).
 */
export interface StatementWrite {
  readonly name: string;
  build(rows: SQL): SQL;
}

/** Rows to insert, or to update by key. Columns not named keep their defaults (inserts) or values (updates). */
export interface TogetherWrite {
  readonly kind: 'insert' | 'update' | 'statement';
  readonly table: PgTable;
  /** Column keys (not database names), in the order of the rows' values. */
  readonly columns: readonly string[];
  /** Updates: the column the rows are matched on (one of `columns`). */
  readonly key?: string;
  /**
   * Inserts: a fixed clause after the insert (`ON CONFLICT ...`), without parameters, made once
   * (a module constant): the built statement is kept by the clause's identity.
   */
  readonly onConflict?: SQL;
  /** Kind `statement`: the statement (see StatementWrite); its rows are sent as they are. */
  readonly statement?: StatementWrite;
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

/** Runs `statement` over `rows` (each a JSON object the statement unpacks). */
export function statementRows(
  table: PgTable,
  statement: StatementWrite,
  rows: readonly Readonly<Record<string, unknown>>[],
): TogetherWrite {
  return { kind: 'statement', table, columns: [], statement, rows };
}

/** Inserts `rows` (each giving every column of `columns`). */
export function insertRows<T extends PgTable, const C extends readonly ColumnKey<T>[]>(
  table: T,
  columns: C,
  rows: readonly RowValues<T, C>[],
  options: { readonly onConflict?: SQL } = {},
): TogetherWrite {
  return {
    kind: 'insert',
    table,
    columns,
    rows,
    ...(options.onConflict ? { onConflict: options.onConflict } : {}),
  };
}

/** Sets `columns` of the rows whose `key` matches, one row of values each. */
export function updateRows<T extends PgTable, const C extends readonly ColumnKey<T>[]>(
  table: T,
  key: C[number],
  columns: C,
  rows: readonly RowValues<T, C>[],
): TogetherWrite {
  return { kind: 'update', table, columns, key, rows };
}

function columnsOf(table: PgTable): Record<string, PgColumn> {
  return getTableColumns(table) as Record<string, PgColumn>;
}

/** `SELECT a, b FROM json_populate_recordset(NULL::t, $p::json) ...`: the rows, in order, as the table's types. */
function unpacked(write: TogetherWrite, placeholder: string): SQL {
  const columns = columnsOf(write.table);
  const names = sql.join(
    write.columns.map((key) => sql.identifier(columns[key]!.name)),
    sql`, `,
  );
  return sql`SELECT ${names} FROM json_populate_recordset(NULL::${write.table}, ${sql.placeholder(placeholder)}::json)
    WITH ORDINALITY AS r ORDER BY r.ordinality`;
}

function writeSql(write: TogetherWrite, placeholder: string, asCte: boolean): SQL {
  const columns = columnsOf(write.table);
  const returning = asCte ? sql` RETURNING 1` : sql``;
  if (write.kind === 'statement') {
    return sql`${write.statement!.build(sql`${sql.placeholder(placeholder)}::json`)}${returning}`;
  }
  if (write.kind === 'insert') {
    const names = sql.join(
      write.columns.map((key) => sql.identifier(columns[key]!.name)),
      sql`, `,
    );
    return sql`INSERT INTO ${write.table} (${names}) ${unpacked(write, placeholder)} ${write.onConflict ?? sql``}${returning}`;
  }
  const key = columns[write.key!]!.name;
  const set = sql.join(
    write.columns
      .filter((k) => k !== write.key)
      .map((k) => sql`${sql.identifier(columns[k]!.name)} = r.${sql.identifier(columns[k]!.name)}`),
    sql`, `,
  );
  const rows = sql`json_populate_recordset(NULL::${write.table}, ${sql.placeholder(placeholder)}::json)`;
  // The keys again as an array the table's index is searched with: joined to the rows alone,
  // the planner takes them for 100 (a function's estimate) and hashes them against a scan of the
  // whole table until it holds some 10,000 rows (the `done` mark read every submission).
  return sql`UPDATE ${write.table} SET ${set}
    FROM ${rows} AS r
    WHERE ${write.table}.${sql.identifier(key)} = r.${sql.identifier(key)}
      AND ${write.table}.${sql.identifier(key)} = ANY (ARRAY(SELECT k.${sql.identifier(key)} FROM ${rows} AS k))${returning}`;
}

/** The conflict clauses are constants, made once: each is told apart by identity. */
const conflictClauses = new WeakMap<SQL, number>();
let conflictClauseCount = 0;

function conflictId(clause: SQL): number {
  let id = conflictClauses.get(clause);
  if (id === undefined) {
    id = ++conflictClauseCount;
    conflictClauses.set(clause, id);
  }
  return id;
}

/** What makes two calls send the same text. */
function shapeOf(writes: readonly TogetherWrite[]): string {
  return writes
    .map((w) =>
      [
        w.kind,
        getTableName(w.table),
        w.key ?? '',
        w.columns.join(','),
        w.onConflict ? conflictId(w.onConflict) : '',
        w.statement?.name ?? '',
      ].join(' '),
    )
    .join(';');
}

type Statement = (tx: Transaction, values: Record<string, string>) => Promise<unknown>;
const statements = new Map<string, Statement>();

function statementFor(writes: readonly TogetherWrite[]): Statement {
  const shape = shapeOf(writes);
  let statement = statements.get(shape);
  if (!statement) {
    const label = `write_together_${createHash('sha1').update(shape).digest('hex').slice(0, 16)}`;
    statement = preparedSql<Record<string, string>, Record<string, unknown>>(label, () => {
      const last = writes.length - 1;
      const ctes = writes
        .slice(0, last)
        .map((w, i) => sql`${sql.identifier(`write_${i + 1}`)} AS (${writeSql(w, `w${i + 1}`, true)})`);
      const main = writeSql(writes[last]!, `w${last + 1}`, false);
      return ctes.length > 0 ? sql`WITH ${sql.join(ctes, sql`, `)} ${main}` : main;
    });
    statements.set(shape, statement);
  }
  return statement;
}

/**
 * JSON.stringify writes a lone surrogate as the escape `\udXXX`, which PostgreSQL's json refuses;
 * a paired one it writes as it is. An escaped backslash before `ud8` matches too: the careful
 * way is then taken for nothing, never skipped.
 */
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;
const wellFormed = (_key: string, value: unknown) =>
  typeof value === 'string' ? value.toWellFormed() : value;

/** `value` as JSON, lone surrogates as U+FFFD (as when a string is sent as a parameter). */
function wellFormedJson(value: unknown): string {
  // A replacer is called for every value of every row: only for the rare text that needs it.
  const json = JSON.stringify(value);
  return ESCAPED_SURROGATE.test(json) ? JSON.stringify(value, wellFormed) : json;
}

/** A JSON array of the rows, keyed by column name. Lone surrogates become U+FFFD, as when a string is sent as a parameter. */
function rowsJson(write: TogetherWrite): string {
  if (write.kind === 'statement') return wellFormedJson(write.rows);
  const columns = columnsOf(write.table);
  const names = write.columns.map((key) => columns[key]!.name);
  const rows = write.rows.map((row) =>
    Object.fromEntries(write.columns.map((key, i) => [names[i], row[key] ?? null])),
  );
  return wellFormedJson(rows);
}

/**
 * Sends the writes as one statement, in order: all but the last as CTEs of the last. An empty
 * list sends nothing.
 */
export async function writeTogether(tx: Transaction, writes: readonly TogetherWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const values = Object.fromEntries(writes.map((w, i) => [`w${i + 1}`, rowsJson(w)]));
  await statementFor(writes)(tx, values);
}
