/**
 * Whose space a net lies in decides who manages it: the holder of the nearest enclosing
 * allocation or reallocation, and the net's own holder. An upstream that reallocated space may
 * take the reallocation back (with children: staff review) but neither changes it nor anything
 * its downstream registered in it, however deep. On both backends, through auth's checks and
 * through the worker's handlers, against the small registry of registry-fixture.ts plus:
 *
 *   NET-198-51-100-0-1 (DEMOISP-1)
 *     NET-198-51-100-16-1    198.51.100.16/29  detailed reassignment by DEMOISP-1 to CUSTORG-1
 *     NET-198-51-100-128-1   198.51.100.128/25 reallocation to DOWNSTREAM-1
 *       NET-198-51-100-176-1 198.51.100.176/29 detailed reassignment by DOWNSTREAM-1 to CUSTORG-1
 *       NET-198-51-100-224-1 198.51.100.224/27 reallocation by DOWNSTREAM-1 to NESTED-1
 *         NET-198-51-100-232-1 198.51.100.232/29 simple reassignment by NESTED-1 to C00000003
 *         NET-198-51-100-240-1 198.51.100.240/29 detailed reassignment by NESTED-1 to CUSTORG-1
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actorOf,
  delegationAuthority,
  mayManageNet,
  mayReassignFrom,
  mayRemoveNet,
  mayRenameNet,
  type Requester,
} from '../../src/auth/index.ts';
import { type Transaction, tables } from '../../src/db/index.ts';
import { type IpRange, parseRange } from '../../src/ip/index.ts';
import { createSimpleReassignment, type Outcome, removeNet } from '../../src/registry/index.ts';
import type { Problem, Result } from '../../src/shared/errors.ts';
import type { PocHandle } from '../../src/templates/index.ts';
import { handlerFor } from '../../src/worker/handlers.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import {
  account,
  type FixtureAccounts,
  NETS,
  net,
  org,
  person,
  seedAuthRegistry,
} from './registry-fixture.ts';

const NESTED = {
  demoDetailed: 'NET-198-51-100-16-1',
  downDetailed: 'NET-198-51-100-176-1',
  nestedReallocation: 'NET-198-51-100-224-1',
  nestedReassignment: 'NET-198-51-100-232-1',
  nestedDetailed: 'NET-198-51-100-240-1',
} as const;

const RANGES: Record<string, string> = {
  [NETS.demoReassignment]: '198.51.100.0/28',
  [NETS.downReallocation]: '198.51.100.128/25',
  [NETS.downReassignment]: '198.51.100.160/29',
  [NESTED.demoDetailed]: '198.51.100.16/29',
  [NESTED.downDetailed]: '198.51.100.176/29',
  [NESTED.nestedReallocation]: '198.51.100.224/27',
  [NESTED.nestedReassignment]: '198.51.100.232/29',
  [NESTED.nestedDetailed]: '198.51.100.240/29',
};

const ADDRESS = {
  street: ['1 Main St'],
  city: 'Springfield',
  state: 'VA',
  postalCode: '22150',
  country: 'US',
};

function range(text: string): IpRange {
  const parsed = parseRange(text);
  if (!parsed.ok) throw new Error(text);
  return parsed.value;
}

function expectRefused<T>(result: Result<T, Problem>, what: string): Problem {
  if (result.ok) throw new Error(`${what}: expected E_NOT_AUTHORIZED, got ok`);
  expect(result.error.code, what).toBe('E_NOT_AUTHORIZED');
  return result.error;
}

function expectAllowed<T>(result: Result<T, Problem>, what: string): void {
  if (!result.ok) throw new Error(`${what}: expected ok, got ${result.error.code}: ${result.error.message}`);
}

/** Runs `work` in a transaction that is rolled back: nothing it writes is kept. */
async function rolledBack<T>(database: TestDatabase, work: (tx: Transaction) => Promise<T>): Promise<T> {
  let out: { value: T } | undefined;
  await database.db
    .transaction(async (tx) => {
      out = { value: await work(tx) };
      tx.rollback();
    })
    .catch(() => undefined);
  if (!out) throw new Error('the transaction failed before it was rolled back');
  return out.value;
}

describe.each(BACKENDS)('the space a net lies in decides who manages it, on %s', (backend) => {
  let database: TestDatabase;
  let accounts: FixtureAccounts & { nested: number; customer: number };
  const requester = (who: keyof typeof accounts): Requester => ({
    accountId: accounts[who],
    via: 'api-key',
    display: who,
    fromIsAccountAddress: true,
  });

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const base = await seedAuthRegistry(database.db);
    const ex = database.db;
    await ex.insert(tables.orgs).values([org('NESTED-1', 'Nested Net'), org('CUSTORG-1', 'Customer Org')]);
    await ex
      .insert(tables.pocs)
      .values([
        person('NEST1-ARIN', 'Nest', 'noc@nested.example'),
        person('CUST1-ARIN', 'Cust', 'noc@customer.example'),
      ]);
    await ex.insert(tables.orgPocs).values([
      { orgHandle: 'NESTED-1', pocHandle: 'NEST1-ARIN', role: 'admin' },
      { orgHandle: 'NESTED-1', pocHandle: 'NEST1-ARIN', role: 'tech' },
      { orgHandle: 'CUSTORG-1', pocHandle: 'CUST1-ARIN', role: 'admin' },
      { orgHandle: 'CUSTORG-1', pocHandle: 'CUST1-ARIN', role: 'tech' },
    ]);
    await ex.insert(tables.customers).values({
      handle: 'C00000003',
      parentOrgHandle: 'NESTED-1',
      name: 'Nested Customer',
      city: 'Centreville',
      country: 'US',
    });
    await ex
      .insert(tables.nets)
      .values([
        net(
          NESTED.demoDetailed,
          '198.51.100.16/29',
          'detailed_reassignment',
          { org: 'CUSTORG-1' },
          NETS.demoAllocation,
        ),
        net(
          NESTED.downDetailed,
          '198.51.100.176/29',
          'detailed_reassignment',
          { org: 'CUSTORG-1' },
          NETS.downReallocation,
        ),
        net(
          NESTED.nestedReallocation,
          '198.51.100.224/27',
          'reallocation',
          { org: 'NESTED-1' },
          NETS.downReallocation,
        ),
        net(
          NESTED.nestedReassignment,
          '198.51.100.232/29',
          'simple_reassignment',
          { customer: 'C00000003' },
          NESTED.nestedReallocation,
        ),
        net(
          NESTED.nestedDetailed,
          '198.51.100.240/29',
          'detailed_reassignment',
          { org: 'CUSTORG-1' },
          NESTED.nestedReallocation,
        ),
      ]);
    accounts = {
      ...base,
      nested: await account(ex, 'Nested NOC', ['noc@nested.example'], ['NEST1-ARIN']),
      customer: await account(ex, 'Customer NOC', ['noc@customer.example'], ['CUST1-ARIN']),
    };
  });
  afterAll(async () => {
    await database?.close();
  });

  /**
   * Every way a template touches an existing net, through the worker's own handlers (the check
   * each runs before the registry does): Net-Mod M (POCs; and a renaming), Net-Mod R, and
   * Reassign-Simple M (the customer's record) and R for simple reassignments.
   */
  async function handlerVerdicts(who: Requester, handle: string): Promise<[string, Result<void, Problem>][]> {
    const where = range(RANGES[handle]!);
    const simple =
      handle === NETS.demoReassignment ||
      handle === NETS.downReassignment ||
      handle === NESTED.nestedReassignment;
    const tx = database.db as unknown as Transaction;
    if (simple) {
      const modify = handlerFor('reassign-simple.modify');
      const remove = handlerFor('reassign-simple.remove');
      if (modify.checks !== 'first' || remove.checks !== 'first') throw new Error('checked at placement');
      return [
        [
          'Reassign-Simple M (customer)',
          await modify.authorize(tx, who, {
            kind: 'reassign-simple.modify',
            range: where,
            changes: { city: 'Reston' },
          }),
        ],
        [
          'Reassign-Simple R',
          await remove.authorize(tx, who, { kind: 'reassign-simple.remove', range: where }),
        ],
      ];
    }
    const modify = handlerFor('net.modify');
    const remove = handlerFor('net.remove');
    if (modify.checks !== 'first' || remove.checks !== 'first') throw new Error('checked at placement');
    return [
      [
        'Net-Mod M (POC link)',
        await modify.authorize(tx, who, {
          kind: 'net.modify',
          range: where,
          changes: { techPoc: 'DEMO1-ARIN' as PocHandle },
        }),
      ],
      [
        'Net-Mod M (rename)',
        await modify.authorize(tx, who, {
          kind: 'net.modify',
          range: where,
          changes: { networkName: 'TAKEN-OVER' },
        }),
      ],
      ['Net-Mod R', await remove.authorize(tx, who, { kind: 'net.remove', range: where })],
    ];
  }

  /** Reassigning a /29 under `parent` as `who`: the placement statement's own check. */
  async function reassignUnder(who: Requester, free: string): Promise<Result<Outcome, Problem>> {
    return rolledBack(database, (tx) =>
      createSimpleReassignment(
        tx,
        { actor: actorOf(who) },
        {
          range: range(free),
          originAs: [],
          customer: { name: `Under ${free}`, privateResidence: false, address: ADDRESS },
          publicComments: [],
        },
        { delegation: delegationAuthority(who.accountId), withoutSavepoint: true },
      ),
    );
  }

  it('the upstream of a reallocation is refused on everything its downstream registered in it', async () => {
    for (const who of ['demo', 'demoTech', 'netTech'] as const) {
      for (const handle of [NETS.downReassignment, NESTED.downDetailed]) {
        const manage = expectRefused(
          await mayManageNet(database.db, requester(who), handle),
          `${who} manages ${handle}`,
        );
        expect(manage.message).toContain(
          `${handle} lies in a reallocation NET-198-51-100-128-1, held by DOWNSTREAM-1: what is registered there is managed by the holder of NET-198-51-100-128-1`,
        );
        expectRefused(await mayRemoveNet(database.db, requester(who), handle), `${who} removes ${handle}`);
        for (const [what, verdict] of await handlerVerdicts(requester(who), handle))
          expectRefused(verdict, `${who}: ${what} on ${handle}`);
      }
      // Reassigning under the reallocation: the placement statement writes nothing.
      const under = await reassignUnder(requester(who), '198.51.100.192/29');
      const refusal = expectRefused(under, `${who} reassigns under the reallocation`);
      expect(refusal.message).toContain('DOWNSTREAM-1, which holds NET-198-51-100-128-1');
      expectRefused(await mayReassignFrom(database.db, requester(who), NETS.downReallocation), who);
    }
  });

  it('the upstream may not change the reallocation itself (its POCs would give it the rest), only take it back', async () => {
    const demo = requester('demo');
    const change = expectRefused(await mayManageNet(database.db, demo, NETS.downReallocation), 'modify');
    expect(change.message).toContain(
      'NET-198-51-100-128-1 is a reallocation held by DOWNSTREAM-1, which manages it and what it registers in it; the upstream that handed it out may take it back (remove it) but not change it',
    );
    expectRefused(await mayRenameNet(database.db, demo, NETS.downReallocation, 'MINE'), 'rename');
    const [linkPoc, rename, remove] = await handlerVerdicts(demo, NETS.downReallocation);
    expectRefused(linkPoc![1], 'Net-Mod M (POC link) on the reallocation');
    expectRefused(rename![1], 'Net-Mod M (rename) on the reallocation');
    expectAllowed(remove![1], 'Net-Mod R on the reallocation');
    // Taking it back with what lies in it goes to staff review, and writes nothing.
    const outcome = await rolledBack(database, (tx) =>
      removeNet(tx, { actor: actorOf(demo) }, range('198.51.100.128/25')),
    );
    if (!outcome.ok) throw new Error(outcome.error.message);
    expect(outcome.value.status).toBe('pending_review');
  });

  it('the downstream keeps full authority over what it registered', async () => {
    const down = requester('down');
    for (const handle of [NETS.downReallocation, NETS.downReassignment, NESTED.downDetailed]) {
      expectAllowed(await mayManageNet(database.db, down, handle), `down manages ${handle}`);
      expectAllowed(await mayRemoveNet(database.db, down, handle), `down removes ${handle}`);
      for (const [what, verdict] of await handlerVerdicts(down, handle))
        expectAllowed(verdict, `down: ${what} on ${handle}`);
    }
    const under = await reassignUnder(down, '198.51.100.192/29');
    expectAllowed(under, 'down reassigns under its reallocation');
    // The reassignment's own holder manages it too, but takes nothing beyond it.
    const customer = requester('customer');
    expectAllowed(await mayManageNet(database.db, customer, NESTED.downDetailed), 'customer manages its net');
    expectAllowed(await mayRemoveNet(database.db, customer, NESTED.downDetailed), 'customer returns its net');
    expectRefused(await mayManageNet(database.db, customer, NETS.downReassignment), 'customer on a sibling');
  });

  it('the upstream still manages its own reassignments outside any reallocation', async () => {
    for (const who of ['demo', 'demoTech', 'netTech'] as const) {
      for (const handle of [NETS.demoReassignment, NESTED.demoDetailed]) {
        expectAllowed(await mayManageNet(database.db, requester(who), handle), `${who} manages ${handle}`);
        expectAllowed(await mayRemoveNet(database.db, requester(who), handle), `${who} removes ${handle}`);
        const verdicts = await handlerVerdicts(requester(who), handle);
        for (const [what, verdict] of verdicts) {
          // Renaming someone's detailed reassignment is managing it too; only direct allocations need more.
          expectAllowed(verdict, `${who}: ${what} on ${handle}`);
        }
      }
      expectAllowed(
        await reassignUnder(requester(who), '198.51.100.40/29'),
        `${who} reassigns from its allocation`,
      );
    }
  });

  it('nested two levels deep: each holder manages its own space, each upstream only takes back its reallocation', async () => {
    const demo = requester('demo');
    const down = requester('down');
    const nested = requester('nested');
    const inNested = [NESTED.nestedReassignment, NESTED.nestedDetailed];
    // The top upstream: nothing of the nested reallocation, nor in it; not even taking it back.
    for (const handle of [NESTED.nestedReallocation, ...inNested]) {
      expectRefused(await mayManageNet(database.db, demo, handle), `demo manages ${handle}`);
      const removal = expectRefused(await mayRemoveNet(database.db, demo, handle), `demo removes ${handle}`);
      expect(removal.message).toContain('not by the upstream that handed');
      for (const [what, verdict] of await handlerVerdicts(demo, handle))
        expectRefused(verdict, `demo: ${what} on ${handle}`);
    }
    expectRefused(
      await reassignUnder(demo, '198.51.100.224/29'),
      'demo reassigns under the nested reallocation',
    );
    // The middle one takes back the nested reallocation, changes nothing of it or in it.
    expectAllowed(await mayRemoveNet(database.db, down, NESTED.nestedReallocation), 'down takes back');
    expectRefused(await mayManageNet(database.db, down, NESTED.nestedReallocation), 'down modifies nested');
    for (const handle of inNested) {
      expectRefused(await mayManageNet(database.db, down, handle), `down manages ${handle}`);
      expectRefused(await mayRemoveNet(database.db, down, handle), `down removes ${handle}`);
      for (const [what, verdict] of await handlerVerdicts(down, handle))
        expectRefused(verdict, `down: ${what} on ${handle}`);
    }
    expectRefused(
      await reassignUnder(down, '198.51.100.224/29'),
      'down reassigns under the nested reallocation',
    );
    // The nested holder manages all of it, and nothing above.
    for (const handle of [NESTED.nestedReallocation, ...inNested]) {
      expectAllowed(await mayManageNet(database.db, nested, handle), `nested manages ${handle}`);
      expectAllowed(await mayRemoveNet(database.db, nested, handle), `nested removes ${handle}`);
      for (const [what, verdict] of await handlerVerdicts(nested, handle))
        expectAllowed(verdict, `nested: ${what} on ${handle}`);
    }
    expectAllowed(
      await reassignUnder(nested, '198.51.100.224/29'),
      'nested reassigns under its reallocation',
    );
    expectRefused(await mayManageNet(database.db, nested, NETS.downReallocation), 'nested on its upstream');
    expectRefused(await mayManageNet(database.db, nested, NESTED.downDetailed), 'nested on a sibling');
  });
});
