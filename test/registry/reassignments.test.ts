/**
 * A downstream ISP's day with the registry: carving customers out of its allocation, the rules
 * that stop overlaps and stray ranges, private residences, and staff review of large blocks.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, tables } from '../../src/db/index.ts';
import {
  createSimpleReassignment,
  customerWhoisLines,
  findCustomer,
  findNetsByRange,
  findOrg,
  findParentNet,
  modifyNet,
  modifySimpleReassignment,
  netNumbering,
  publicCustomer,
  removeSimpleReassignment,
  seedRegistry,
  toAuditJson,
  validateSeed,
} from '../../src/registry/index.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';
import { applied, customer, homeAddress, inTransaction, openDemoDatabase, range, staff } from './support.ts';

const acme = { name: 'Acme Widgets, Inc.', privateResidence: false, address: homeAddress };

describe.each(BACKENDS)('simple reassignments on %s', (kind) => {
  let database: TestDatabase;
  const run = <T>(work: Parameters<typeof inTransaction<T>>[1]) => inTransaction(database.db, work);
  const reassign = (
    text: string,
    extra: Partial<Parameters<typeof createSimpleReassignment>[2]> = {},
    options = {},
  ) =>
    run((tx) =>
      createSimpleReassignment(
        tx,
        customer,
        { range: range(text), originAs: [], customer: acme, publicComments: [], ...extra },
        options,
      ),
    );

  beforeAll(async () => {
    database = await openDemoDatabase(kind);
    // A large block, so the /20 review threshold can be reached.
    const big = validateSeed({
      nets: [{ handle: 'NET-100-64-0-0-1', name: 'DEMO-ISP-BIG', range: '100.64.0.0/10', org: 'DEMOISP-1' }],
    });
    if (!big.ok) throw new Error('bad test seed');
    await seedRegistry(database.db, big.value);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('reassigns a /29 to a new customer under the allocation that holds it, and audits both', async () => {
    const outcome = applied(await reassign('198.51.100.0/29', { networkName: 'acme-1', originAs: [64500] }));
    expect(outcome.handles).toEqual({
      net: 'NET-198-51-100-0-2',
      customer: 'C00000001',
    });
    const [net] = await findNetsByRange(database.db, range('198.51.100.0/29'));
    expect(net).toMatchObject({
      type: 'simple_reassignment',
      name: 'ACME-1',
      parentHandle: 'NET-198-51-100-0-1',
      customerHandle: 'C00000001',
      orgHandle: null,
      originAs: [64500],
      cidrs: ['198.51.100.0/29'],
    });
    expect(await findCustomer(database.db, 'c00000001')).toMatchObject({
      name: 'Acme Widgets, Inc.',
      parentOrgHandle: 'DEMOISP-1',
      city: 'Springfield',
      privateResidence: false,
    });
    const audit = await database.db
      .select()
      .from(tables.auditLog)
      .where(eq(tables.auditLog.ticketNumber, '20250101-X0000001'));
    expect(audit.map((a) => [a.actor, a.action, a.objectType, a.objectHandle])).toEqual(
      expect.arrayContaining([
        ['account:1', 'create', 'customer', 'C00000001'],
        ['account:1', 'create', 'net', 'NET-198-51-100-0-2'],
      ]),
    );
    const netAudit = audit.find((a) => a.objectType === 'net');
    expect(netAudit?.after).toMatchObject({ startAddress: String(0xc6336400), name: 'ACME-1' });
    // Both rows come back from the statement that inserts them (decoded by hand, src/db/columns.ts):
    // the audit holds exactly what the database holds, every column.
    const customerAudit = audit.find((a) => a.objectType === 'customer');
    expect(customerAudit?.after).toEqual(toAuditJson(await findCustomer(database.db, 'C00000001')));
    expect(netAudit?.after).toEqual(toAuditJson({ ...net, pocs: [] }));
  });

  it('refuses a range that overlaps a sibling, naming the net it overlaps', async () => {
    const result = await reassign('198.51.100.0/28');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('E_OVERLAP');
    expect(result.error.message).toContain('NET-198-51-100-0-2');
    // The same range again is an overlap too: a simple reassignment cannot be divided.
    const again = await reassign('198.51.100.0/29');
    expect(!again.ok && again.error.code).toBe('E_OVERLAP');
  });

  it('refuses a range outside every net we hold, and one that straddles the edge of an allocation', async () => {
    const outside = await reassign('192.0.2.0/29');
    expect(!outside.ok && outside.error.code).toBe('E_NOT_WITHIN_PARENT');
    const straddling = await reassign('198.51.100.248 - 198.51.101.7');
    expect(straddling.ok).toBe(false);
    if (straddling.ok) return;
    expect(straddling.error.code).toBe('E_NOT_WITHIN_PARENT');
    expect(straddling.error.message).toContain('NET-198-51-100-0-1');
  });

  it('refuses a /30 (smaller than a /29) unless staff waive the rule', async () => {
    const small = await reassign('198.51.100.8/30');
    expect(small.ok).toBe(false);
    if (small.ok) return;
    expect(small.error.code).toBe('E_PREFIX_TOO_SMALL');
    expect(small.error.message).toContain('/29');
    expect(await findNetsByRange(database.db, range('198.51.100.8/30'))).toEqual([]);
    const waived = applied(
      await run((tx) =>
        createSimpleReassignment(
          tx,
          staff,
          { range: range('198.51.100.8/30'), originAs: [], customer: acme, publicComments: [] },
          { waive: ['E_PREFIX_TOO_SMALL'] },
        ),
      ),
    );
    expect(waived.handles['net']).toMatch(/^NET-198-51-100-8-\d+$/);
  });

  it('stores a range that is not one CIDR with its covering CIDR list', async () => {
    const outcome = applied(await reassign('198.51.100.64 - 198.51.100.87'));
    const [net] = await findNetsByRange(database.db, range('198.51.100.64 - 198.51.100.87'));
    expect(net?.handle).toBe(outcome.handles['net']);
    expect(net?.cidrs).toEqual(['198.51.100.64/28', '198.51.100.80/29']);
  });

  it('publishes a private residence as "Private Customer" / "Private Residence" but keeps the real address', async () => {
    const outcome = applied(
      await reassign('198.51.100.32/29', {
        customer: { name: 'Jane Q. Public', privateResidence: true, address: homeAddress },
      }),
    );
    const stored = (await findCustomer(database.db, outcome.handles['customer']!))!;
    expect(stored).toMatchObject({
      name: 'Jane Q. Public',
      street: ['12 Elm Street'],
      privateResidence: true,
    });
    const [net] = await findNetsByRange(database.db, range('198.51.100.32/29'));
    expect(net?.name).toBe('PRIVATE-CUSTOMER');
    const shown = publicCustomer(stored, await findOrg(database.db, 'DEMOISP-1'));
    expect(shown).toMatchObject({
      name: 'Private Customer - Demo ISP',
      street: ['Private Residence'],
      city: 'Springfield',
      state: 'VA',
      postalCode: '22150',
      country: 'US',
    });
    const lines = customerWhoisLines(shown).join('\n');
    expect(lines).toContain('Address:        Private Residence');
    expect(lines).not.toContain('Jane');
    expect(lines).not.toContain('Elm Street');
  });

  it('modifies a simple reassignment by its range; NONE (null) clears optional fields', async () => {
    const outcome = applied(
      await run((tx) =>
        modifySimpleReassignment(tx, customer, range('198.51.100.0/29'), {
          networkName: 'ACME-HQ',
          originAs: [64501, 64502],
          city: 'Arlington',
          postalCode: null,
        }),
      ),
    );
    expect(outcome.handles).toEqual({ net: 'NET-198-51-100-0-2', customer: 'C00000001' });
    const [net] = await findNetsByRange(database.db, range('198.51.100.0/29'));
    expect(net).toMatchObject({ name: 'ACME-HQ', originAs: [64501, 64502] });
    expect(await findCustomer(database.db, 'C00000001')).toMatchObject({
      city: 'Arlington',
      postalCode: null,
      state: 'VA',
    });
  });

  it('renames a net named from its customer when an M makes the customer private (and back), unless the M names it', async () => {
    const nameOf = async (text: string) => (await findNetsByRange(database.db, range(text)))[0]?.name;
    const modify = (text: string, changes: Parameters<typeof modifySimpleReassignment>[3]) =>
      run((tx) => modifySimpleReassignment(tx, customer, range(text), changes));
    // Named from the customer by the create path, then made private: the real name goes.
    applied(await reassign('100.64.32.0/29', { customer: { ...acme, name: 'Jane Realname' } }));
    expect(await nameOf('100.64.32.0/29')).toBe('JANE-REALNAME');
    const madePrivate = applied(await modify('100.64.32.0/29', { privateResidence: true }));
    expect(await nameOf('100.64.32.0/29')).toBe('PRIVATE-CUSTOMER');
    expect(madePrivate.summary.join(' ')).toContain('now named PRIVATE-CUSTOMER');
    // A private customer's new name changes nothing public; made public again, named from it.
    applied(await modify('100.64.32.0/29', { customerName: 'Jane Othername' }));
    expect(await nameOf('100.64.32.0/29')).toBe('PRIVATE-CUSTOMER');
    applied(await modify('100.64.32.0/29', { privateResidence: false }));
    expect(await nameOf('100.64.32.0/29')).toBe('JANE-OTHERNAME');
    // A public customer renamed: the derived net name follows; a chosen one stays.
    applied(await modify('100.64.32.0/29', { customerName: 'Acme Two' }));
    expect(await nameOf('100.64.32.0/29')).toBe('ACME-TWO');
    applied(await modify('100.64.32.0/29', { networkName: 'CHOSEN-1' }));
    applied(await modify('100.64.32.0/29', { customerName: 'Acme Three' }));
    expect(await nameOf('100.64.32.0/29')).toBe('CHOSEN-1');
    // A chosen name (often the real one) goes too when the customer is made private...
    applied(await modify('100.64.32.0/29', { privateResidence: true }));
    expect(await nameOf('100.64.32.0/29')).toBe('PRIVATE-CUSTOMER');
    // ...unless the same M names the net: the sender's word.
    applied(await modify('100.64.32.0/29', { privateResidence: false }));
    applied(await modify('100.64.32.0/29', { privateResidence: true, networkName: 'HOME-7' }));
    expect(await nameOf('100.64.32.0/29')).toBe('HOME-7');
    // A private customer's net still named from its real name (written before this rule): any M renames it.
    await database.db
      .update(tables.nets)
      .set({ name: 'ACME-THREE' })
      .where(
        eq(tables.nets.handle, (await findNetsByRange(database.db, range('100.64.32.0/29')))[0]!.handle),
      );
    applied(await modify('100.64.32.0/29', { city: 'Reston' }));
    expect(await nameOf('100.64.32.0/29')).toBe('PRIVATE-CUSTOMER');
  });

  it('sends each net to its own form: Reassign-Simple cannot touch an allocation, Net-Mod cannot touch a simple reassignment', async () => {
    const simpleOnAllocation = await run((tx) =>
      modifySimpleReassignment(tx, customer, range('198.51.100.0/24'), { networkName: 'X' }),
    );
    expect(simpleOnAllocation.ok).toBe(false);
    if (!simpleOnAllocation.ok) {
      expect(simpleOnAllocation.error.code).toBe('E_WRONG_FORM');
      expect(simpleOnAllocation.error.message).toContain('Net-Mod');
    }
    const netModOnSimple = await run((tx) =>
      modifyNet(tx, customer, range('198.51.100.0/29'), { networkName: 'X' }),
    );
    expect(netModOnSimple.ok).toBe(false);
    if (!netModOnSimple.ok) {
      expect(netModOnSimple.error.code).toBe('E_WRONG_FORM');
      expect(netModOnSimple.error.message).toContain('Reassign-Simple');
    }
    const missing = await run((tx) => removeSimpleReassignment(tx, customer, range('198.51.100.200/29')));
    expect(!missing.ok && missing.error.code).toBe('E_OBJECT_NOT_FOUND');
  });

  it('removes a simple reassignment but keeps the customer record, and says so', async () => {
    const outcome = applied(
      await run((tx) => removeSimpleReassignment(tx, customer, range('198.51.100.64 - 198.51.100.87'))),
    );
    expect(await findNetsByRange(database.db, range('198.51.100.64 - 198.51.100.87'))).toEqual([]);
    expect(await findCustomer(database.db, outcome.handles['customer']!)).toBeDefined();
    expect(outcome.summary.join(' ')).toMatch(/Customer C\d{8} .* is kept, not removed/);
  });

  it('sends IPv4 reassignments of a /20 or larger to staff review without applying them', async () => {
    const customersBefore = (await database.db.select().from(tables.customers)).length;
    const pending = await reassign('100.64.0.0/20');
    expect(pending).toEqual({
      ok: true,
      value: { status: 'pending_review', reason: expect.stringContaining('/20 or larger') },
    });
    expect(await findNetsByRange(database.db, range('100.64.0.0/20'))).toEqual([]);
    expect((await database.db.select().from(tables.customers)).length).toBe(customersBefore);
    // A /21 is under the threshold; and once staff approve, the /20 is applied.
    applied(await reassign('100.64.16.0/21'));
    applied(await reassign('100.64.0.0/20', {}, { staffApproved: true }));
    expect((await findParentNet(database.db, range('100.64.0.0/24')))?.type).toBe('simple_reassignment');
  });

  it('skips customer handles already taken (e.g. by a seed file) when numbering a new customer', async () => {
    const [seq] = await queryRows<{ last_value: string | number; is_called: boolean }>(
      database.db,
      sql`SELECT last_value, is_called FROM customer_handle_seq`,
    );
    const next = Number(seq!.last_value) + (seq!.is_called ? 1 : 0);
    const handle = (n: number) => `C${String(n).padStart(8, '0')}`;
    await database.db.insert(tables.customers).values(
      [next, next + 1].map((n) => ({
        handle: handle(n),
        parentOrgHandle: 'DEMOISP-1',
        name: `Seeded ${n}`,
        city: 'Centreville',
        country: 'US',
      })),
    );
    const outcome = applied(await reassign('198.51.100.248/29'));
    expect(outcome.handles['customer']).toBe(handle(next + 2));
  });

  it('skips a net handle already taken, keeping the one new customer it was inserted with', async () => {
    const target = range('198.51.100.224/29');
    const { counter, prefix } = netNumbering(target);
    const [bumped] = await queryRows<{ last: string | number }>(
      database.db,
      sql`INSERT INTO handle_counters (name, last) VALUES (${counter}, 1)
          ON CONFLICT (name) DO UPDATE SET last = handle_counters.last + 1 RETURNING last`,
    );
    const taken = `${prefix}${Number(bumped!.last) + 1}`;
    // A net loaded under that handle for other space (as a seed file may have).
    await database.db.insert(tables.nets).values({
      handle: taken,
      name: 'LOADED-ELSEWHERE',
      version: 4,
      startAddress: 0xc0000200n,
      endAddress: 0xc00002ffn,
      cidrs: ['192.0.2.0/24'],
      type: 'direct_allocation',
      orgHandle: 'DEMOISP-1',
    });
    const customersBefore = (await database.db.select().from(tables.customers)).length;
    const outcome = applied(await reassign('198.51.100.224/29'));
    expect(outcome.handles['net']).toBe(`${prefix}${Number(bumped!.last) + 2}`);
    expect((await database.db.select().from(tables.customers)).length).toBe(customersBefore + 1);
    const [net] = await findNetsByRange(database.db, target);
    expect(net?.customerHandle).toBe(outcome.handles['customer']);
  });
});
