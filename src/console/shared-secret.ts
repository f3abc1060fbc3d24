/**
 * A secret every console process uses alike, kept in the database: made by whichever process asks
 * first (insert if absent), read by all. The CSRF cookie is signed with it, so an open form stays
 * valid across a restart and whichever console replica the next request reaches.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { type Database, tables } from '../db/index.ts';

export async function sharedSecret(db: Database, name: string): Promise<string> {
  const { consoleSecrets } = tables;
  await db
    .insert(consoleSecrets)
    .values({ name, value: randomBytes(32).toString('hex') })
    .onConflictDoNothing({ target: consoleSecrets.name });
  const [row] = await db
    .select({ value: consoleSecrets.value })
    .from(consoleSecrets)
    .where(eq(consoleSecrets.name, name));
  if (!row) throw new Error(`console secret ${name} could not be read back`);
  return row.value;
}
