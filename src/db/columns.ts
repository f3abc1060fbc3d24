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
  const fields = prefixedFields(table, prefix);
  if (row[fields[0]!.name] == null) return undefined;
  const decoded: Record<string, unknown> = {};
  for (const { key, name, column } of fields) {
    const value = row[name];
    decoded[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return decoded as T['$inferSelect'];
}

interface PrefixedField {
  readonly key: string;
  /** The column's name as selected: `prefix` + its name. */
  readonly name: string;
  readonly column: PgColumn;
}

/** A table's columns with their prefixed names, worked out once per table and prefix (every placement reads three). */
const prefixedFieldsOf = new WeakMap<PgTable, Map<string, readonly PrefixedField[]>>();

function prefixedFields(table: PgTable, prefix: string): readonly PrefixedField[] {
  let byPrefix = prefixedFieldsOf.get(table);
  if (!byPrefix) {
    byPrefix = new Map();
    prefixedFieldsOf.set(table, byPrefix);
  }
  let fields = byPrefix.get(prefix);
  if (!fields) {
    fields = Object.entries(getTableColumns(table) as Record<string, PgColumn>).map(([key, column]) => ({
      key,
      name: prefix + column.name,
      column,
    }));
    byPrefix.set(prefix, fields);
  }
  return fields;
}

/** `{ name: 'x' }` as `{ c_name: 'x' }`: values for placeholders named by `columnPlaceholders(..., prefix)`. */
export function prefixedValues(
  prefix: string,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [prefix + key, value]));
}
