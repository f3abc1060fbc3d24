export {
  type ColumnKey,
  columnNames,
  columnPlaceholders,
  decodePrefixed,
  prefixedSelection,
  prefixedValues,
} from './columns.ts';
export { isDataRefusal } from './data-refusal.ts';
export * from './database.ts';
export { MIGRATIONS_FOLDER, type OpenOptions, openDatabase } from './open.ts';
export { type Preparable, preparedQuery, preparedSql } from './prepared.ts';
export type * from './schema.ts';
export * as tables from './schema.ts';
export {
  insertRows,
  type RowValues,
  type StatementWrite,
  statementRows,
  type TogetherWrite,
  updateRows,
  writeTogether,
} from './write-together.ts';
