/**
 * A new net's parent must be one the requester may sub-delegate from. The worker does not look
 * the parent up itself: the registry checks the requester's authority (auth's rule) on the
 * parent it places the net under, read and locked by one statement, so no net committed by
 * someone else in between can slip a requester into space they don't hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delegationAuthority } from '../../src/auth/index.ts';
import { tables } from '../../src/db/index.ts';
import {
  createSimpleReassignment,
  DEMO_SEED,
  type OperationOptions,
  seedRegistry,
  validateSeed,
} from '../../src/registry/index.ts';
import { HANDLERS } from '../../src/worker/handlers.ts';
import { customer as context, homeAddress, inTransaction, range } from '../registry/support.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';

describe.each(BACKENDS)('authority over a new net, checked where it is placed (%s)', (backend) => {
  let database: TestDatabase;
  let other: number;
  let demo: number;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    const accounts = await database.db.select().from(tables.accountPocs);
    const accountOf = (poc: string) => accounts.find((a) => a.pocHandle === poc)!.accountId;
    other = accountOf('OTHER1-ARIN');
    demo = accountOf('DEMO1-ARIN');
    // OTHER ISP has reallocated the top half of its /24 to DEMO ISP, and DEMO reassigned a /29 of it.
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

  const asAccount = (accountId: number): OperationOptions => ({ delegation: delegationAuthority(accountId) });
  const reassign = (text: string, options: OperationOptions) =>
    inTransaction(database.db, (tx) =>
      createSimpleReassignment(
        tx,
        context,
        {
          range: range(text),
          originAs: [],
          customer: { name: 'Checked Customer', privateResidence: false, address: homeAddress },
          publicComments: [],
        },
        options,
      ),
    );

  it('the worker leaves the check of every net-creating kind to the placement', () => {
    expect(HANDLERS['reassign-simple.create'].checks).toBe('at-placement');
    expect(HANDLERS['reassign-detailed'].checks).toBe('at-placement');
    expect(HANDLERS.reallocate.checks).toBe('at-placement');
    expect(HANDLERS['net.modify'].checks).toBe('first');
  });

  it("refuses the upstream inside space it reallocated: the parent is the downstream's", async () => {
    const result = await reassign('203.0.113.144/29', asAccount(other));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('E_NOT_AUTHORIZED');
      expect(result.error.message).toContain('NET-203-0-113-128-1');
    }
  });

  it('says nothing of the parent’s children to someone who may not use it', async () => {
    // The /28 overlaps DEMO's reassignment: the refusal is about authority, not the overlap.
    const result = await reassign('203.0.113.128/28', asAccount(other));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('E_NOT_AUTHORIZED');
      expect(result.error.message).not.toContain('NET-203-0-113-136-1');
    }
  });

  it('applies it for the org that holds the parent, under that parent', async () => {
    const result = await reassign('203.0.113.152/29', asAccount(demo));
    expect(result).toMatchObject({
      ok: true,
      value: { status: 'applied', placedUnder: 'NET-203-0-113-128-1' },
    });
  });

  it('tells the holder of the parent about the overlap', async () => {
    const result = await reassign('203.0.113.128/28', asAccount(demo));
    expect(result).toMatchObject({ ok: false, error: { code: 'E_OVERLAP' } });
    if (!result.ok) expect(result.error.message).toContain('NET-203-0-113-136-1');
  });

  it('checks nothing without an account to check (staff waiving it, the seed)', async () => {
    const result = await reassign('203.0.113.160/29', {});
    expect(result).toMatchObject({ ok: true, value: { status: 'applied' } });
  });
});
