/**
 * The readiness ping asks PostgreSQL over a connection of its own: a pool whose every connection
 * holds a message's transaction is busy, not down, and /readyz must not say otherwise.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../test/support/databases.ts';
import { withDeadline } from '../observability/index.ts';
import { type DatabaseHandle, openDatabase } from './index.ts';

describe('the readiness ping', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openDatabase(
      { kind: 'postgres', url: await createPostgresDatabase() },
      { migrate: false, poolSize: 1 },
    );
  });
  afterAll(async () => {
    await database?.close();
  });

  it('answers while every connection of the pool is held by a transaction', async () => {
    let finish = () => {};
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let started = () => {};
    const holding = new Promise<void>((resolve) => {
      started = resolve;
    });
    const transaction = database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      started();
      await held;
    });
    await holding;
    try {
      // The same deadline /readyz gives it.
      await expect(withDeadline(database.ping(), 2_000)).resolves.toBeUndefined();
    } finally {
      finish();
      await transaction;
    }
  });
});
