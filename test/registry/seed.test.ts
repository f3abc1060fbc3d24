/**
 * Seed files: the documented example loads, loading it twice changes nothing, a wrong file is
 * refused with errors that say where in the JSON, and the fixed demo registry is what outside
 * tests rely on. Also the `seed` and `demo` commands themselves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCommand } from '../../src/commands/demo.ts';
import { seedCommand } from '../../src/commands/seed.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase, tables } from '../../src/db/index.ts';
import {
  DEMO_API_KEY,
  DEMO_SEED,
  findAccountByApiKey,
  findAccountsByEmail,
  findNetByHandle,
  findOrg,
  findPoc,
  netPocs,
  netsOfOrg,
  orgPocs,
  parseSeed,
  seedRegistry,
  validateSeed,
} from '../../src/registry/index.ts';
import {
  BACKENDS,
  createPostgresDatabase,
  openTestDatabase,
  type TestDatabase,
} from '../support/databases.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/registry.json');
const fixtureText = fs.readFileSync(FIXTURE, 'utf8');

function fixture(): Record<string, unknown[]> {
  return JSON.parse(fixtureText) as Record<string, unknown[]>;
}

function messages(value: unknown): string[] {
  const result = validateSeed(value);
  return result.ok ? [] : result.error.map((p) => p.message);
}

describe('seed file validation', () => {
  it('accepts the documented example and the demo registry', () => {
    expect(parseSeed(fixtureText).ok).toBe(true);
    expect(validateSeed(DEMO_SEED).ok).toBe(true);
  });

  it('names the JSON path of every problem', () => {
    const doc = fixture();
    const org = doc['orgs']![0] as Record<string, unknown>;
    org['country'] = 'USA';
    org['coutnry'] = 'US';
    const net = doc['nets']![0] as Record<string, unknown>;
    net['range'] = '192.0.0.1/16';
    net['type'] = 'allocation';
    (doc['pocs']![1] as Record<string, unknown>)['handle'] = 'GARMA1-ARIN';
    (doc['accounts']![0] as Record<string, unknown>)['apiKeys'] = ['API-XYZ'];
    (doc['pocs']![2] as Record<string, unknown>)['emails'] = ['not-an-address'];
    expect(messages(doc)).toEqual(
      expect.arrayContaining([
        'orgs[0].country: "USA" is not an ISO 3166 alpha-2 code (like US, CA, DE)',
        'orgs[0].coutnry: unknown field (expected one of handle, name, dba, street, city, state, postalCode, country, pocs, referralServer, comments)',
        'nets[0].range: "192.0.0.1/16" has host bits set; did you mean 192.0.0.0/16?',
        expect.stringMatching(/^nets\[0\]\.type: "allocation" is not one of direct_allocation/),
        'pocs[1].handle: POC GARMA1-ARIN is already defined at pocs[0].handle',
        'accounts[0].apiKeys[0]: is not an API key (API-XXXX-XXXX-XXXX-XXXX, hex digits)',
        'pocs[2].emails[0]: "not-an-address" is not an e-mail address',
      ]),
    );
  });

  it('explains wrong shapes and malformed handles', () => {
    expect(messages([])).toEqual(['(top level): expected an object, found a list']);
    expect(messages({ orgs: {} })).toEqual(['orgs: expected a list, found an object']);
    expect(messages({ pocs: [{ handle: 'jd 1', type: 'robot' }] })).toEqual(
      expect.arrayContaining([
        'pocs[0].handle: "jd 1" is not a POC handle (like JD123-ARIN)',
        'pocs[0].type: "robot" is neither person nor role',
        'pocs[0].lastName: is required',
      ]),
    );
    const parsed = parseSeed('{"orgs": [');
    expect(!parsed.ok && parsed.error[0]?.message).toMatch(/^\(file\): not valid JSON/);
  });
});

describe.each(BACKENDS)('seeding on %s', (kind) => {
  let database: TestDatabase;
  const counts = async () => ({
    pocs: (await database.db.select().from(tables.pocs)).length,
    orgs: (await database.db.select().from(tables.orgs)).length,
    nets: (await database.db.select().from(tables.nets)).length,
    orgPocs: (await database.db.select().from(tables.orgPocs)).length,
    netPocs: (await database.db.select().from(tables.netPocs)).length,
    accounts: (await database.db.select().from(tables.accounts)).length,
    emails: (await database.db.select().from(tables.accountEmails)).length,
    keys: (await database.db.select().from(tables.apiKeys)).length,
    audit: (await database.db.select().from(tables.auditLog)).length,
  });

  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('loads the example: an ISP with admin and tech POCs, an account with a key and two addresses, a /16 and a /32', async () => {
    const doc = parseSeed(fixtureText);
    if (!doc.ok) throw new Error('fixture invalid');
    const result = await seedRegistry(database.db, doc.value);
    expect(result.ok && result.value).toMatchObject({
      pocs: { created: 3, modified: 0, unchanged: 0 },
      orgs: { created: 1 },
      nets: { created: 2 },
      accounts: { created: 1 },
      apiKeys: { created: 1 },
    });
    expect(await findOrg(database.db, 'CASCADE-1')).toMatchObject({
      name: 'Cascade Broadband LLC',
      country: 'US',
    });
    expect(await orgPocs(database.db, 'CASCADE-1')).toEqual(
      expect.arrayContaining([
        { pocHandle: 'GARMA1-ARIN', role: 'admin' },
        { pocHandle: 'GARMA1-ARIN', role: 'tech' },
        { pocHandle: 'CBNOC1-ARIN', role: 'tech' },
      ]),
    );
    expect((await netsOfOrg(database.db, 'CASCADE-1')).map((n) => [n.handle, n.cidrs, n.type])).toEqual([
      ['NET-192-0-0-0-1', ['192.0.0.0/16'], 'direct_allocation'],
      ['NET6-3FFF-100-1', ['3fff:100::/32'], 'direct_allocation'],
    ]);
    expect(await netPocs(database.db, 'NET6-3FFF-100-1')).toHaveLength(2);
    const account = await findAccountByApiKey(database.db, 'API-CA5C-ADE0-0000-0001');
    expect(account.ok && account.value).toMatchObject({
      name: 'cascade-broadband',
      emails: ['hostmaster@cascade-broadband.example', 'maria.garcia@cascade-broadband.example'],
      pocHandles: ['CBNOC1-ARIN', 'GARMA1-ARIN'],
    });
  });

  it('changes nothing when the same file is loaded again', async () => {
    const before = await counts();
    const doc = parseSeed(fixtureText);
    if (!doc.ok) throw new Error('fixture invalid');
    const again = await seedRegistry(database.db, doc.value);
    expect(again.ok && again.value).toMatchObject({
      pocs: { created: 0, modified: 0, unchanged: 3 },
      orgs: { created: 0, modified: 0, unchanged: 1 },
      nets: { created: 0, modified: 0, unchanged: 2 },
      accounts: { created: 0, modified: 0, unchanged: 1 },
      apiKeys: { created: 0, unchanged: 1 },
    });
    expect(await counts()).toEqual(before);
  });

  it('updates only what the file changes, and audits it', async () => {
    const doc = fixture();
    (doc['orgs']![0] as Record<string, unknown>)['city'] = 'Redmond';
    const checked = validateSeed(doc);
    if (!checked.ok) throw new Error('invalid');
    const result = await seedRegistry(database.db, checked.value);
    expect(result.ok && result.value.orgs).toEqual({ created: 0, modified: 1, unchanged: 0 });
    expect(result.ok && result.value.pocs).toEqual({ created: 0, modified: 0, unchanged: 3 });
    expect((await findOrg(database.db, 'CASCADE-1'))?.city).toBe('Redmond');
  });

  it('refuses a file whose references do not hold, names the path, and loads none of it', async () => {
    const before = await counts();
    const bad = validateSeed({
      pocs: [
        {
          handle: 'NEWPO1-ARIN',
          type: 'person',
          lastName: 'Person',
          firstName: 'New',
          city: 'Bend',
          country: 'US',
          emails: ['new@example.net'],
          officePhones: ['+1-555-0000'],
        },
      ],
      nets: [
        {
          handle: 'NET-192-0-0-0-2',
          name: 'SUB',
          range: '192.0.0.0/24',
          type: 'reallocation',
          parent: 'NET-192-0-0-0-1',
          org: 'NOSUCH-1',
        },
      ],
    });
    if (!bad.ok) throw new Error(bad.error.map((p) => p.message).join());
    const result = await seedRegistry(database.db, bad.value);
    expect(!result.ok && result.error).toEqual({
      code: 'E_SEED_INVALID',
      message: 'nets[0].org: org NOSUCH-1 is neither in the file nor in the registry',
    });
    expect(await findPoc(database.db, 'NEWPO1-ARIN')).toBeUndefined();
    expect(await counts()).toEqual(before);

    const outside = validateSeed({
      nets: [
        {
          handle: 'NET-10-0-0-0-1',
          name: 'SUB',
          range: '10.0.0.0/24',
          type: 'reallocation',
          parent: 'NET-192-0-0-0-1',
          org: 'CASCADE-1',
        },
      ],
    });
    if (!outside.ok) throw new Error('invalid');
    const refused = await seedRegistry(database.db, outside.value);
    expect(!refused.ok && refused.error.message).toBe(
      'nets[0].range: 10.0.0.0/24 is not inside its parent NET-192-0-0-0-1 (192.0.0.0/16)',
    );
    expect(await findNetByHandle(database.db, 'NET-10-0-0-0-1')).toBeUndefined();
  });

  it("places a file's nets by the registry's own rule: under the parent the rule picks, never moved", async () => {
    const net = (handle: string, range: string, type: string, parent: string) => ({
      handle,
      name: `SEEDED-${handle}`,
      range,
      type,
      parent,
      org: 'CASCADE-1',
    });
    const load = async (nets: unknown[]) => {
      const checked = validateSeed({ nets });
      if (!checked.ok) throw new Error(checked.error.map((p) => p.message).join());
      const result = await seedRegistry(database.db, checked.value);
      return result.ok ? 'loaded' : result.error.message;
    };
    const example = parseSeed(fixtureText);
    if (!example.ok) throw new Error('fixture invalid');
    expect((await seedRegistry(database.db, example.value)).ok).toBe(true);
    const reallocation = net('NET-192-0-0-0-2', '192.0.0.0/20', 'reallocation', 'NET-192-0-0-0-1');
    const reassignment = net('NET-192-0-16-0-1', '192.0.16.0/24', 'detailed_reassignment', 'NET-192-0-0-0-1');
    expect(await load([reallocation, reassignment])).toBe('loaded');
    expect(await load([reallocation, reassignment])).toBe('loaded');
    const before = await counts();

    expect(await load([net('NET-192-0-1-0-1', '192.0.1.0/24', 'reallocation', 'NET-192-0-0-0-1')])).toBe(
      'nets[0].range: 192.0.1.0/24 lies in NET-192-0-0-0-2 (192.0.0.0/20), not directly in its parent NET-192-0-0-0-1 (192.0.0.0/16)',
    );
    expect(await load([net('NET-192-0-0-0-3', '192.0.0.0/19', 'reallocation', 'NET-192-0-0-0-1')])).toBe(
      'nets[0].range: 192.0.0.0/19 overlaps NET-192-0-0-0-2 (192.0.0.0/20), a reallocation already registered under NET-192-0-0-0-1',
    );
    expect(
      await load([net('NET-192-0-16-0-2', '192.0.16.0/26', 'detailed_reassignment', 'NET-192-0-16-0-1')]),
    ).toBe(
      'nets[0].range: 192.0.16.0/26 overlaps NET-192-0-16-0-1 (192.0.16.0/24), a detailed reassignment, which cannot be divided further',
    );
    expect(await load([{ ...reallocation, range: '192.0.0.0/21' }])).toBe(
      "nets[0].range: NET-192-0-0-0-2 is registered as 192.0.0.0/20 under NET-192-0-0-0-1; a net's range and parent cannot change by seed",
    );
    expect(await counts()).toEqual(before);
  });

  it('loads the demo registry as docs/architecture.md section 6 fixes it', async () => {
    const demo = validateSeed(DEMO_SEED);
    if (!demo.ok) throw new Error('demo invalid');
    expect((await seedRegistry(database.db, demo.value)).ok).toBe(true);
    expect(await findOrg(database.db, 'DEMOISP-1')).toMatchObject({ name: 'Demo ISP', country: 'US' });
    expect((await netsOfOrg(database.db, 'DEMOISP-1')).map((n) => n.cidrs[0])).toEqual([
      '198.51.100.0/24',
      '2001:db8::/32',
    ]);
    expect((await netsOfOrg(database.db, 'OTHERISP-1')).map((n) => n.cidrs[0])).toEqual(['203.0.113.0/24']);
    expect(await findPoc(database.db, 'DEMO1-ARIN')).toMatchObject({
      kind: 'person',
      emails: ['noc@demo-isp.example'],
    });
    expect(await orgPocs(database.db, 'DEMOISP-1')).toEqual([
      { pocHandle: 'DEMO1-ARIN', role: 'admin' },
      { pocHandle: 'DEMO1-ARIN', role: 'tech' },
    ]);
    const demoAccount = await findAccountByApiKey(database.db, DEMO_API_KEY);
    expect(demoAccount.ok && demoAccount.value).toMatchObject({
      emails: ['noc@demo-isp.example'],
      pocHandles: ['DEMO1-ARIN'],
    });
    expect((await findAccountsByEmail(database.db, 'noc@other-isp.example'))[0]?.pocHandles).toEqual([
      'OTHER1-ARIN',
    ]);
  });
});

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe('the seed and demo commands', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-seed-'));
  });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function runCommand(
    command: typeof seedCommand,
    args: string[],
    env: Record<string, string>,
  ): Promise<{ code: number; out: string; err: string }> {
    const out = capture();
    const err = capture();
    const code = await command(args, {
      config: loadConfig({ DATA_DIR: dataDir, ...env }),
      stdout: out.stream,
      stderr: err.stream,
    });
    return { code, out: out.text(), err: err.text() };
  }

  it('seeds a PostgreSQL database from a file, twice harmlessly; a bad file exits 65 naming the path', async () => {
    const env = { DATABASE_URL: await createPostgresDatabase() };
    const first = await runCommand(seedCommand, [FIXTURE], env);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toContain('nets: 2 created, 0 modified, 0 unchanged');
    const second = await runCommand(seedCommand, [FIXTURE], env);
    expect(second.code).toBe(0);
    expect(second.out).toContain('nets: 0 created, 0 modified, 2 unchanged');

    const badFile = path.join(dataDir, 'bad.json');
    const doc = fixture();
    (doc['orgs']![0] as Record<string, unknown>)['country'] = 'USA';
    fs.writeFileSync(badFile, JSON.stringify(doc));
    const bad = await runCommand(seedCommand, [badFile], env);
    expect(bad.code).toBe(65);
    expect(bad.err).toContain(`${badFile}: orgs[0].country: "USA" is not an ISO 3166 alpha-2 code`);
    expect((await runCommand(seedCommand, [path.join(dataDir, 'missing.json')], env)).code).toBe(65);
    expect((await runCommand(seedCommand, [], env)).code).toBe(64);
  });

  it('loads the demo registry into the embedded database and prints the key and its sender', async () => {
    const first = await runCommand(demoCommand, [], {});
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const lines = first.out.split('\n');
    expect(lines).toContain('API key: API-DE70-0000-0000-0001');
    expect(lines).toContain('Sender: noc@demo-isp.example');
    expect(lines.filter((l) => l.startsWith('API key: '))).toHaveLength(1);
    const again = await runCommand(demoCommand, [], {});
    expect(again.code).toBe(0);
    expect(again.out).toContain('orgs: 0 created, 0 modified, 2 unchanged');
    const handle = await openDatabase(
      { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
      { migrate: false },
    );
    try {
      expect((await findAccountByApiKey(handle.db, DEMO_API_KEY)).ok).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
