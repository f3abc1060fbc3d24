/**
 * A small registry, inserted with drizzle directly, for the authorization tests:
 *
 *   DEMOISP-1 (admin+tech DEMO1-ARIN; tech only DEMOTECH-ARIN)
 *     NET-198-51-100-0-1     198.51.100.0/24   direct allocation, net tech NETTECH-ARIN
 *       NET-198-51-100-0-2   198.51.100.0/28   simple reassignment to customer C00000001
 *       NET-198-51-100-128-1 198.51.100.128/25 reallocation to DOWNSTREAM-1 (admin+tech DOWN1-ARIN;
 *                                              tech only DOWNTECH1-ARIN), net tech DOWNNET1-ARIN
 *         NET-198-51-100-160-1 198.51.100.160/29 simple reassignment by DOWNSTREAM-1 to C00000002
 *   OTHERISP-1 (admin+tech OTHER1-ARIN)
 *     NET-203-0-113-0-1      203.0.113.0/24    direct allocation
 *
 * Accounts and what they speak for are in `ACCOUNTS`; keys in `KEYS` (one of them revoked).
 */
import { afterAll, beforeAll } from 'vitest';
import { type BackendKind, type Database, type Executor, type NetType, tables } from '../../src/db/index.ts';
import { parseRange } from '../../src/ip/index.ts';
import { apiKeyDigest } from '../../src/registry/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

export const KEYS = {
  demo: 'API-1111-2222-3333-1A2B',
  demoRevoked: 'API-4444-5555-6666-7C8D',
  other: 'API-7777-8888-9999-0E0F',
  down: 'API-AAAA-BBBB-CCCC-D0D0',
} as const;

export const NETS = {
  demoAllocation: 'NET-198-51-100-0-1',
  demoReassignment: 'NET-198-51-100-0-2',
  downReallocation: 'NET-198-51-100-128-1',
  downReassignment: 'NET-198-51-100-160-1',
  otherAllocation: 'NET-203-0-113-0-1',
} as const;

export interface FixtureAccounts {
  readonly demo: number;
  readonly other: number;
  readonly demoTech: number;
  readonly netTech: number;
  readonly down: number;
  /** Tech (not admin) of DOWNSTREAM-1. */
  readonly downTech: number;
  /** Tech POC of the reallocation itself, a contractor of the downstream. */
  readonly downNetTech: number;
}

export function org(handle: string, name: string) {
  return { handle, name, city: 'Centreville', country: 'US' };
}

export function person(handle: string, lastName: string, email: string) {
  return { handle, kind: 'person' as const, lastName, emails: [email] };
}

export function net(
  handle: string,
  cidr: string,
  type: NetType,
  holder: { org: string } | { customer: string },
  parentHandle: string | null,
) {
  const range = parseRange(cidr);
  if (!range.ok) throw new Error(range.error.message);
  return {
    handle,
    name: handle.toLowerCase(),
    version: range.value.version,
    startAddress: range.value.start,
    endAddress: range.value.end,
    cidrs: [cidr],
    type,
    parentHandle,
    orgHandle: 'org' in holder ? holder.org : null,
    customerHandle: 'customer' in holder ? holder.customer : null,
  };
}

export async function account(ex: Executor, name: string, emails: string[], pocs: string[]): Promise<number> {
  const [row] = await ex.insert(tables.accounts).values({ name }).returning({ id: tables.accounts.id });
  const id = row!.id;
  if (emails.length > 0)
    await ex.insert(tables.accountEmails).values(emails.map((email) => ({ accountId: id, email })));
  if (pocs.length > 0)
    await ex.insert(tables.accountPocs).values(pocs.map((pocHandle) => ({ accountId: id, pocHandle })));
  return id;
}

export async function seedAuthRegistry(ex: Executor): Promise<FixtureAccounts> {
  await ex
    .insert(tables.orgs)
    .values([
      org('DEMOISP-1', 'Demo ISP'),
      org('OTHERISP-1', 'Other ISP'),
      org('DOWNSTREAM-1', 'Downstream Net'),
    ]);
  await ex
    .insert(tables.pocs)
    .values([
      person('DEMO1-ARIN', 'Demo', 'noc@demo-isp.example'),
      person('DEMOTECH-ARIN', 'Techie', 'tech@demo-isp.example'),
      person('NETTECH-ARIN', 'Contractor', 'ops@contractor.example'),
      person('OTHER1-ARIN', 'Other', 'noc@other-isp.example'),
      person('DOWN1-ARIN', 'Down', 'noc@downstream.example'),
      person('DOWNTECH1-ARIN', 'Downtech', 'tech@downstream.example'),
      person('DOWNNET1-ARIN', 'Downnet', 'ops@downstream-contractor.example'),
    ]);
  await ex.insert(tables.orgPocs).values([
    { orgHandle: 'DEMOISP-1', pocHandle: 'DEMO1-ARIN', role: 'admin' },
    { orgHandle: 'DEMOISP-1', pocHandle: 'DEMO1-ARIN', role: 'tech' },
    { orgHandle: 'DEMOISP-1', pocHandle: 'DEMOTECH-ARIN', role: 'tech' },
    { orgHandle: 'DEMOISP-1', pocHandle: 'DEMOTECH-ARIN', role: 'abuse' },
    { orgHandle: 'OTHERISP-1', pocHandle: 'OTHER1-ARIN', role: 'admin' },
    { orgHandle: 'OTHERISP-1', pocHandle: 'OTHER1-ARIN', role: 'tech' },
    { orgHandle: 'DOWNSTREAM-1', pocHandle: 'DOWN1-ARIN', role: 'admin' },
    { orgHandle: 'DOWNSTREAM-1', pocHandle: 'DOWN1-ARIN', role: 'tech' },
    { orgHandle: 'DOWNSTREAM-1', pocHandle: 'DOWNTECH1-ARIN', role: 'tech' },
  ]);
  await ex.insert(tables.customers).values([
    {
      handle: 'C00000001',
      parentOrgHandle: 'DEMOISP-1',
      name: 'Corner Bakery',
      city: 'Centreville',
      country: 'US',
    },
    {
      handle: 'C00000002',
      parentOrgHandle: 'DOWNSTREAM-1',
      name: 'Jane Doe',
      city: 'Centreville',
      country: 'US',
    },
  ]);
  await ex
    .insert(tables.nets)
    .values([
      net(NETS.demoAllocation, '198.51.100.0/24', 'direct_allocation', { org: 'DEMOISP-1' }, null),
      net(
        NETS.demoReassignment,
        '198.51.100.0/28',
        'simple_reassignment',
        { customer: 'C00000001' },
        NETS.demoAllocation,
      ),
      net(
        NETS.downReallocation,
        '198.51.100.128/25',
        'reallocation',
        { org: 'DOWNSTREAM-1' },
        NETS.demoAllocation,
      ),
      net(
        NETS.downReassignment,
        '198.51.100.160/29',
        'simple_reassignment',
        { customer: 'C00000002' },
        NETS.downReallocation,
      ),
      net(NETS.otherAllocation, '203.0.113.0/24', 'direct_allocation', { org: 'OTHERISP-1' }, null),
    ]);
  await ex.insert(tables.netPocs).values([
    { netHandle: NETS.demoAllocation, pocHandle: 'NETTECH-ARIN', role: 'tech' },
    { netHandle: NETS.downReallocation, pocHandle: 'DOWNNET1-ARIN', role: 'tech' },
  ]);

  const accounts: FixtureAccounts = {
    demo: await account(
      ex,
      'Demo ISP NOC',
      ['noc@demo-isp.example', 'shared@demo-isp.example'],
      ['DEMO1-ARIN'],
    ),
    other: await account(
      ex,
      'Other ISP NOC',
      ['noc@other-isp.example', 'shared@demo-isp.example'],
      ['OTHER1-ARIN'],
    ),
    demoTech: await account(ex, 'Demo ISP tech', ['tech@demo-isp.example'], ['DEMOTECH-ARIN']),
    netTech: await account(ex, 'Contractor', ['ops@contractor.example'], ['NETTECH-ARIN']),
    down: await account(ex, 'Downstream NOC', ['noc@downstream.example'], ['DOWN1-ARIN']),
    downTech: await account(ex, 'Downstream tech', ['tech@downstream.example'], ['DOWNTECH1-ARIN']),
    downNetTech: await account(
      ex,
      'Downstream contractor',
      ['ops@downstream-contractor.example'],
      ['DOWNNET1-ARIN'],
    ),
  };
  const key = (accountId: number, raw: string, revokedAt: Date | null = null) => ({
    accountId,
    digest: apiKeyDigest(raw),
    display: `API-****-****-****-${raw.slice(-4)}`,
    revokedAt,
  });
  await ex
    .insert(tables.apiKeys)
    .values([
      key(accounts.demo, KEYS.demo),
      key(accounts.demo, KEYS.demoRevoked, new Date('2025-01-01T00:00:00Z')),
      key(accounts.other, KEYS.other),
      key(accounts.down, KEYS.down),
    ]);
  return accounts;
}

/**
 * The registry above on one backend for a describe block: opened and seeded before its tests,
 * closed after them. Read `db` and `accounts` inside the tests (they exist once beforeAll ran).
 */
export function useAuthRegistry(backend: BackendKind): {
  readonly db: Database;
  readonly accounts: FixtureAccounts;
} {
  let database: TestDatabase | undefined;
  let accounts: FixtureAccounts | undefined;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    accounts = await seedAuthRegistry(database.db);
  });
  afterAll(async () => {
    await database?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the auth registry is read before its beforeAll ran');
    return value;
  };
  return {
    get db() {
      return ready(database).db;
    },
    get accounts() {
      return ready(accounts);
    },
  };
}
