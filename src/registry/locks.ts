/**
 * Row locks for read-check-write. Several workers apply templates at once; without a lock two
 * transactions can both read a POC and both write it back (one change lost), or both find no
 * sibling under a parent net and both insert overlapping children. The lock is held until the
 * caller's transaction ends; PGlite has one connection, so there it changes nothing.
 */
import { sql } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';

const TABLES = {
  net: tables.nets,
  poc: tables.pocs,
  org: tables.orgs,
  customer: tables.customers,
} as const;

export async function lockRow(ex: Executor, kind: keyof typeof TABLES, handle: string): Promise<void> {
  const table = TABLES[kind];
  await ex.execute(sql`select 1 from ${table} where ${table.handle} = ${handle} for update`);
}
