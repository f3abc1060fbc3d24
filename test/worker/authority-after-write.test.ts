/**
 * Authority is checked before a template is applied and, for new nets, again on where the net
 * really went: the parent found by the check and the parent the registry places the net under
 * are two look-ups, and a net committed by someone else in between must not slip a requester
 * into space they don't hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Requester } from '../../src/auth/index.ts';
import { tables } from '../../src/db/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { HANDLERS } from '../../src/worker/handlers.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';

describe.each(BACKENDS)('authority over what was written (%s)', (backend) => {
  let database: TestDatabase;
  let other: Requester;
  let demo: Requester;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    const accounts = await database.db.select().from(tables.accountPocs);
    const accountOf = (poc: string) => accounts.find((a) => a.pocHandle === poc)!.accountId;
    other = {
      accountId: accountOf('OTHER1-ARIN'),
      via: 'api-key',
      display: 'other',
    };
    demo = {
      accountId: accountOf('DEMO1-ARIN'),
      via: 'api-key',
      display: 'demo',
    };
    // OTHER ISP has reallocated the top half of its /24 to DEMO ISP.
    await database.db.insert(tables.nets).values([
      {
        handle: 'NET-203-0-113-128-1',
        name: 'OTHER-TO-DEMO',
        version: 4,
        startAddress: 0xcb007180n,
        endAddress: 0xcb0071ffn,
        type: 'reallocation',
        parentHandle: 'NET-203-0-113-0-1',
        orgHandle: 'DEMOISP-1',
      },
      {
        handle: 'NET-203-0-113-136-1',
        name: 'PLACED-UNDER-DEMO',
        version: 4,
        startAddress: 0xcb007188n,
        endAddress: 0xcb00718fn,
        type: 'simple_reassignment',
        parentHandle: 'NET-203-0-113-128-1',
      },
    ]);
  });
  afterAll(async () => {
    await database?.close();
  });

  const applied = (handles: Record<string, string>, placedUnder?: string) => ({
    status: 'applied' as const,
    handles,
    summary: [],
    ...(placedUnder ? { placedUnder } : {}),
  });

  it('refuses a new net that landed under a parent the requester may not sub-delegate from', async () => {
    const verify = HANDLERS['reassign-simple.create'].verify!;
    // The check found OTHER ISP's /24; meanwhile DEMO's reallocation appeared and the net went there.
    const result = await database.db.transaction((tx) =>
      verify(
        tx,
        other,
        applied({ net: 'NET-203-0-113-136-1', customer: 'C00000001' }, 'NET-203-0-113-128-1'),
        { parent: 'NET-203-0-113-0-1' },
      ),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('E_NOT_AUTHORIZED');
  });

  it('finds the parent from the new net when the registry did not say where it placed it', async () => {
    const verify = HANDLERS['reassign-simple.create'].verify!;
    const result = await database.db.transaction((tx) =>
      verify(tx, other, applied({ net: 'NET-203-0-113-136-1' }), { parent: 'NET-203-0-113-0-1' }),
    );
    expect(result.ok).toBe(false);
  });

  it('accepts it for the org that holds that parent', async () => {
    const verify = HANDLERS['reassign-simple.create'].verify!;
    const result = await database.db.transaction((tx) =>
      verify(tx, demo, applied({ net: 'NET-203-0-113-136-1' }, 'NET-203-0-113-128-1'), {}),
    );
    expect(result.ok).toBe(true);
  });

  it('does not ask again when the net went under the parent that was just checked', async () => {
    const verify = HANDLERS['reassign-simple.create'].verify!;
    // A grant for exactly that parent was given in the same transaction: nothing to re-check,
    // even for a requester who would be refused there (the grant is what authorize decided).
    const result = await database.db.transaction((tx) =>
      verify(tx, other, applied({ net: 'NET-203-0-113-136-1' }, 'NET-203-0-113-128-1'), {
        parent: 'NET-203-0-113-128-1',
      }),
    );
    expect(result.ok).toBe(true);
  });
});
