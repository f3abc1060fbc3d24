// Kept in the shared room, so that `submit` judges an insert's refusal without loading this room.
export { isDataRefusal } from '../shared/index.ts';
export {
  type ColumnKey,
  columnNames,
  columnPlaceholders,
  decodePrefixed,
  prefixedSelection,
  prefixedValues,
} from './columns.ts';
export * from './database.ts';
export { type CommitFlush, transactionFlushed, writeFlushedLater } from './durable-later.ts';
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
