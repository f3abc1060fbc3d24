/**
 * Row locks for read-check-write. Several workers apply templates at once; without a lock two
 * transactions can both read a POC and both write it back (one change lost). The lock is held
 * until the caller's transaction ends; PGlite has one connection, so there it changes nothing.
 *
 * `update` (the default) is for changing or removing the object: one transaction at a time.
 * `key share` is for leaning on an object without changing it (a new child under a parent net):
 * any number of transactions share it, so they run in parallel, while a transaction removing the
 * object waits for them (and they for it). New siblings are kept apart by the database itself
 * (the `nets_sibling_no_overlap` exclusion constraint), not by a lock.
 */
import { sql } from 'drizzle-orm';
import { type Executor, queryRows, tables } from '../db/index.ts';

const TABLES = {
  net: tables.nets,
  poc: tables.pocs,
  org: tables.orgs,
  customer: tables.customers,
} as const;

export type LockMode = 'update' | 'key share';

/** Locks the row; answers whether it (still) exists once the lock is held. */
export async function lockRow(
  ex: Executor,
  kind: keyof typeof TABLES,
  handle: string,
  mode: LockMode = 'update',
): Promise<boolean> {
  const table = TABLES[kind];
  const strength = mode === 'update' ? sql`for update` : sql`for key share`;
  const rows = await queryRows(ex, sql`select 1 from ${table} where ${table.handle} = ${handle} ${strength}`);
  return rows.length > 0;
}
