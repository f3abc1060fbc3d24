/**
 * A table's columns in hand-written SQL, encoded and decoded the way drizzle's own query
 * builders do it. For the few statements the builders cannot express (an `INSERT ... SELECT`
 * from another data-modifying CTE), so that they still take and answer typed rows: values go in
 * through each column's `mapToDriverValue` and come out through its `mapFromDriverValue`, and the
 * column names and types come from the schema, never typed twice.
 */
import { getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

type Columns<T extends PgTable> = T['_']['columns'];
export type ColumnKey<T extends PgTable> = keyof Columns<T> & string;

/** `"a", "b", ...`: the columns' names, for an INSERT's column list. */
export function columnNames<T extends PgTable>(table: T, keys: readonly ColumnKey<T>[]): SQL {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  return sql.join(
    keys.map((key) => sql.identifier(columns[key]!.name)),
    sql`, `,
  );
}

/**
 * `$1::text, $2::numeric(39,0), ...`: one placeholder per column, named `prefix` + its key,
 * encoded by the column and cast to its type (in an `INSERT ... SELECT` PostgreSQL does not take
 * a parameter's type from the target column, as it does in VALUES).
 */
export function columnPlaceholders<T extends PgTable>(
  table: T,
  keys: readonly ColumnKey<T>[],
  prefix = '',
): SQL[] {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  return keys.map((key) => {
    const column = columns[key]!;
    const encoder = {
      mapToDriverValue: (value: unknown) => (value === null ? null : column.mapToDriverValue(value)),
    };
    return sql`${sql.param(sql.placeholder(prefix + key), encoder)}::${sql.raw(column.getSQLType())}`;
  });
}

/** `rel."a" AS "p_a", ...`: every column of the table, read from `relation`, named `prefix` + name. */
export function prefixedSelection<T extends PgTable>(table: T, relation: string, prefix: string): SQL {
  const columns = Object.values(getTableColumns(table) as Record<string, PgColumn>);
  return sql.join(
    columns.map(
      (c) => sql`${sql.identifier(relation)}.${sql.identifier(c.name)} AS ${sql.identifier(prefix + c.name)}`,
    ),
    sql`, `,
  );
}

/**
 * The typed row selected by `prefixedSelection`, decoded as drizzle decodes its own results;
 * undefined when the relation had no row (an outer join's nulls: its first column, the key, is null).
 */
export function decodePrefixed<T extends PgTable>(
  table: T,
  row: Record<string, unknown>,
  prefix: string,
): T['$inferSelect'] | undefined {
  const entries = Object.entries(getTableColumns(table) as Record<string, PgColumn>);
  if (row[prefix + entries[0]![1].name] == null) return undefined;
  return Object.fromEntries(
    entries.map(([key, column]) => {
      const value = row[prefix + column.name];
      return [key, value === null || value === undefined ? null : column.mapFromDriverValue(value)];
    }),
  ) as T['$inferSelect'];
}

/** `{ name: 'x' }` as `{ c_name: 'x' }`: values for placeholders named by `columnPlaceholders(..., prefix)`. */
export function prefixedValues(
  prefix: string,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [prefix + key, value]));
}
