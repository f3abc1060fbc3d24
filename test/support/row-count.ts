import type { sql } from 'drizzle-orm';
import { type DatabaseHandle, queryRows } from '../../src/db/index.ts';

/** The number a `select count(*) as n ...` answers (PostgreSQL sends bigint as text). */
export async function countOf(db: DatabaseHandle, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(db.db, query);
  return Number(row?.n ?? 0);
}
