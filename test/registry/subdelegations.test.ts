/**
 * Reallocations and detailed reassignments to downstream orgs, the legacy forms that create the
 * org and POCs they carry, Net-Mod changes and removals, and the staff-review cases.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import {
  childrenOfNet,
  createSimpleReassignment,
  findCustomer,
  findNetByHandle,
  findNetsByRange,
  findOrg,
  findParentNet,
  findPoc,
  modifyNet,
  netPocs,
  orgPocs,
  reallocate,
  reassignDetailed,
  removeNet,
  type SubdelegationInput,
} from '../../src/registry/index.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';
import { applied, customer, homeAddress, inTransaction, openDemoDatabase, range, staff } from './support.ts';

const toOther = (text: string, extra: Partial<SubdelegationInput> = {}): SubdelegationInput => ({
  range: range(text),
  downstreamOrg: { handle: 'OTHERISP-1' },
  networkName: 'OTHER-DOWNSTREAM',
  originAs: [64510],
  reverseNameservers: [],
  netPocs: [{ role: 'tech', poc: { handle: 'OTHER1-ARIN' } }],
  publicComments: [],
  ...extra,
});

const embeddedPerson = {
  contactType: 'person' as const,
  lastName: 'Works',
  firstName: 'Wanda',
  companyName: 'Widget Works',
  address: homeAddress,
  officePhone: '+1-555-0300',
  email: 'wanda@widget-works.example',
};

describe.each(BACKENDS)('reallocations, detailed reassignments and Net-Mod on %s', (kind) => {
  let database: TestDatabase;
  const run = <T>(work: Parameters<typeof inTransaction<T>>[1]) => inTransaction(database.db, work);
  const count = async (table: typeof tables.pocs | typeof tables.orgs | typeof tables.nets) =>
    (await database.db.select().from(table)).length;

  // Each test starts from the demo registry alone, so any one of them runs (and fails) on its own.
  beforeEach(async () => {
    database = await openDemoDatabase(kind);
  });
  afterEach(async () => {
    await database?.close();
  });

  /** The demo ISP reallocates 198.51.100.128/26 to OTHERISP-1 (NET-198-51-100-128-1). */
  const reallocateToOther = async () =>
    applied(await run((tx) => reallocate(tx, customer, toOther('198.51.100.128/26'))));
  /** A simple reassignment to a customer inside that reallocation. */
  const reassignInsideReallocation = async () =>
    applied(
      await run((tx) =>
        createSimpleReassignment(tx, customer, {
          range: range('198.51.100.128/29'),
          originAs: [],
          customer: { name: 'Downstream Customer', privateResidence: false, address: homeAddress },
          publicComments: [],
        }),
      ),
    );

  it('reallocates part of an allocation to a downstream org, with its resource POCs', async () => {
    const outcome = await reallocateToOther();
    expect(outcome.handles).toEqual({ net: 'NET-198-51-100-128-1' });
    expect((await findNetByHandle(database.db, 'NET-198-51-100-128-1'))?.parentHandle).toBe(
      'NET-198-51-100-0-1',
    );
    expect(await findNetByHandle(database.db, 'NET-198-51-100-128-1')).toMatchObject({
      type: 'reallocation',
      orgHandle: 'OTHERISP-1',
      parentHandle: 'NET-198-51-100-0-1',
      name: 'OTHER-DOWNSTREAM',
    });
    expect(await netPocs(database.db, 'NET-198-51-100-128-1')).toEqual([
      { pocHandle: 'OTHER1-ARIN', role: 'tech' },
    ]);
  });

  it('places a customer in the most specific net: a reassignment inside a reallocation hangs below the reallocation', async () => {
    await reallocateToOther();
    const outcome = await reassignInsideReallocation();
    expect((await findNetByHandle(database.db, outcome.handles['net']!))?.parentHandle).toBe(
      'NET-198-51-100-128-1',
    );
    expect((await findCustomer(database.db, outcome.handles['customer']!))?.parentOrgHandle).toBe(
      'OTHERISP-1',
    );
    expect((await findParentNet(database.db, range('198.51.100.130/32')))?.handle).toBe(
      outcome.handles['net'],
    );
  });

  it('refuses unknown and malformed org and POC handles', async () => {
    const unknownOrg = await run((tx) =>
      reassignDetailed(tx, customer, toOther('198.51.100.64/28', { downstreamOrg: { handle: 'NOSUCH-9' } })),
    );
    expect(!unknownOrg.ok && unknownOrg.error).toMatchObject({
      code: 'E_OBJECT_NOT_FOUND',
      message: expect.stringContaining('NOSUCH-9'),
    });
    const unknownPoc = await run((tx) =>
      reassignDetailed(
        tx,
        customer,
        toOther('198.51.100.64/28', { netPocs: [{ role: 'abuse', poc: { handle: 'NOBODY1-ARIN' } }] }),
      ),
    );
    expect(!unknownPoc.ok && unknownPoc.error).toMatchObject({
      code: 'E_OBJECT_NOT_FOUND',
      message: 'abuse POC NOBODY1-ARIN does not exist',
    });
    const malformed = await run((tx) =>
      reassignDetailed(
        tx,
        customer,
        toOther('198.51.100.64/28', { downstreamOrg: { handle: 'not an org!' } }),
      ),
    );
    expect(!malformed.ok && malformed.error.code).toBe('E_INVALID_HANDLE');
    expect(await findNetsByRange(database.db, range('198.51.100.64/28'))).toEqual([]);
  });

  it('refuses to divide a detailed reassignment further', async () => {
    applied(await run((tx) => reassignDetailed(tx, customer, toOther('198.51.100.64/28'))));
    const inner = await run((tx) => reassignDetailed(tx, customer, toOther('198.51.100.64/29')));
    expect(!inner.ok && inner.error).toMatchObject({
      code: 'E_OVERLAP',
      message: expect.stringContaining('cannot be divided further'),
    });
  });

  it('creates (never modifies) the org and POC a version-4 template writes out; the same POC written twice is created once', async () => {
    const pocsBefore = await count(tables.pocs);
    const outcome = applied(
      await run((tx) =>
        reassignDetailed(
          tx,
          customer,
          toOther('198.51.100.96/28', {
            downstreamOrg: {
              create: { name: 'Widget Works', address: homeAddress, poc: { create: embeddedPerson } },
            },
            netPocs: [{ role: 'tech', poc: { create: embeddedPerson } }],
          }),
        ),
      ),
    );
    expect(outcome.handles).toMatchObject({ org: 'WIDGETWO-1', poc: 'WORWA1-ARIN' });
    expect(await count(tables.pocs)).toBe(pocsBefore + 1);
    expect(await findPoc(database.db, 'WORWA1-ARIN')).toMatchObject({
      kind: 'person',
      emails: ['wanda@widget-works.example'],
    });
    expect(await orgPocs(database.db, 'WIDGETWO-1')).toEqual([
      { pocHandle: 'WORWA1-ARIN', role: 'admin' },
      { pocHandle: 'WORWA1-ARIN', role: 'tech' },
    ]);
    expect((await findNetsByRange(database.db, range('198.51.100.96/28')))[0]?.orgHandle).toBe('WIDGETWO-1');
  });

  it('refuses a role as the embedded org POC (it would be the voting contact) and leaves nothing behind', async () => {
    const before = [await count(tables.pocs), await count(tables.orgs), await count(tables.nets)];
    const result = await run((tx) =>
      reassignDetailed(
        tx,
        customer,
        toOther('198.51.100.112/28', {
          downstreamOrg: {
            create: {
              name: 'Role Org',
              address: homeAddress,
              poc: {
                create: {
                  ...embeddedPerson,
                  contactType: 'role',
                  lastName: 'Hostmaster',
                  firstName: undefined,
                },
              },
            },
          },
          netPocs: [{ role: 'noc', poc: { create: { ...embeddedPerson, email: 'noc@role-org.example' } } }],
        }),
      ),
    );
    expect(!result.ok && result.error.code).toBe('E_ROLE_NOT_ALLOWED');
    // A failure half-way (the net POC is checked after the org) also leaves nothing behind.
    const halfway = await run((tx) =>
      reassignDetailed(
        tx,
        customer,
        toOther('198.51.100.112/28', {
          downstreamOrg: {
            create: { name: 'Half Way', address: homeAddress, poc: { create: embeddedPerson } },
          },
          netPocs: [{ role: 'noc', poc: { handle: 'GHOST1-ARIN' } }],
        }),
      ),
    );
    expect(!halfway.ok && halfway.error.code).toBe('E_OBJECT_NOT_FOUND');
    expect([await count(tables.pocs), await count(tables.orgs), await count(tables.nets)]).toEqual(before);
  });

  it('sends IPv6 to an org that already holds IPv6 to staff review', async () => {
    applied(await run((tx) => reallocate(tx, customer, toOther('2001:db8:1000::/36'))));
    const second = await run((tx) => reallocate(tx, customer, toOther('2001:db8:2000::/36')));
    expect(second).toEqual({
      ok: true,
      value: { status: 'pending_review', reason: expect.stringContaining('OTHERISP-1 already holds IPv6') },
    });
    expect(await findNetsByRange(database.db, range('2001:db8:2000::/36'))).toEqual([]);
    applied(
      await run((tx) => reallocate(tx, customer, toOther('2001:db8:2000::/36'), { staffApproved: true })),
    );
  });

  it('refuses IPv6 longer than a /64 but accepts a /60 (to an org holding no IPv6 yet)', async () => {
    const tooSmall = await run((tx) => reassignDetailed(tx, customer, toOther('2001:db8:ffff::/65')));
    expect(!tooSmall.ok && tooSmall.error.code).toBe('E_PREFIX_TOO_SMALL');
    applied(await run((tx) => reassignDetailed(tx, customer, toOther('2001:db8:ffff::/60'))));
  });

  it("modifies a net's name, POCs and reverse name servers; a POC that does not exist changes nothing", async () => {
    await reallocateToOther();
    const net = range('198.51.100.128/26');
    const refused = await run((tx) =>
      modifyNet(tx, customer, net, { networkName: 'RENAMED', techPoc: 'GHOST1-ARIN' }),
    );
    expect(!refused.ok && refused.error).toMatchObject({
      code: 'E_OBJECT_NOT_FOUND',
      message: expect.stringContaining('GHOST1-ARIN'),
    });
    expect((await findNetByHandle(database.db, 'NET-198-51-100-128-1'))?.name).toBe('OTHER-DOWNSTREAM');

    applied(
      await run((tx) =>
        modifyNet(tx, customer, net, {
          networkName: 'other-renamed',
          techPoc: 'DEMO1-ARIN',
          nocPoc: 'OTHER1-ARIN',
          reverseNameservers: ['NS1.Other-ISP.example.'],
          originAs: null,
        }),
      ),
    );
    expect(await findNetByHandle(database.db, 'NET-198-51-100-128-1')).toMatchObject({
      name: 'OTHER-RENAMED',
      reverseNameservers: ['ns1.other-isp.example'],
      originAs: [],
    });
    expect(await netPocs(database.db, 'NET-198-51-100-128-1')).toEqual([
      { pocHandle: 'OTHER1-ARIN', role: 'noc' },
      { pocHandle: 'DEMO1-ARIN', role: 'tech' },
    ]);
    applied(await run((tx) => modifyNet(tx, customer, net, { nocPoc: null })));
    expect(await netPocs(database.db, 'NET-198-51-100-128-1')).toEqual([
      { pocHandle: 'DEMO1-ARIN', role: 'tech' },
    ]);
  });

  it('sends removal of a net that still has children to staff review; once approved, removes the subtree and keeps customers', async () => {
    await reallocateToOther();
    await reassignInsideReallocation();
    const net = range('198.51.100.128/26');
    const children = await childrenOfNet(database.db, 'NET-198-51-100-128-1');
    expect(children).toHaveLength(1);
    const pending = await run((tx) => removeNet(tx, customer, net));
    expect(pending.ok && pending.value).toMatchObject({
      status: 'pending_review',
      reason: expect.stringContaining(children[0]!.handle),
    });
    expect(await findNetByHandle(database.db, 'NET-198-51-100-128-1')).toBeDefined();

    const removed = applied(await run((tx) => removeNet(tx, staff, net, { staffApproved: true })));
    expect(removed.summary.join(' ')).toContain(`Removed with it: ${children[0]!.handle}`);
    expect(await findNetByHandle(database.db, 'NET-198-51-100-128-1')).toBeUndefined();
    expect(await findNetByHandle(database.db, children[0]!.handle)).toBeUndefined();
    expect(await findCustomer(database.db, children[0]!.customerHandle!)).toBeDefined();
    expect(await findOrg(database.db, 'OTHERISP-1')).toBeDefined();
  });

  it('does not let a customer remove a direct allocation', async () => {
    const result = await run((tx) => removeNet(tx, customer, range('203.0.113.0/24')));
    expect(!result.ok && result.error.code).toBe('E_NOT_REMOVABLE');
  });

  it('reports an ambiguous range when two nets have exactly the same range', async () => {
    // The whole /24 reallocated: the allocation and the reallocation share the range.
    applied(
      await run((tx) =>
        reallocate(
          tx,
          customer,
          toOther('203.0.113.0/24', { downstreamOrg: { handle: 'DEMOISP-1' }, netPocs: [] }),
        ),
      ),
    );
    expect((await findParentNet(database.db, range('203.0.113.0/29')))?.type).toBe('reallocation');
    const result = await run((tx) => modifyNet(tx, customer, range('203.0.113.0/24'), { networkName: 'X' }));
    expect(!result.ok && result.error).toMatchObject({
      code: 'E_AMBIGUOUS_RANGE',
      message: expect.stringContaining('multiple networks found'),
    });
  });
});
