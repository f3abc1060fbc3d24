/**
 * POC and ORG templates: handles generated the registry's way, persons and roles, voting
 * contacts, and removals refused while something still depends on the object.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import {
  createOrg,
  createPoc,
  findAccountByName,
  findOrg,
  findPoc,
  modifyOrg,
  modifyPoc,
  orgPocs,
  orgsOfPoc,
  type PocInput,
  removeOrg,
  removePoc,
  searchNets,
  searchOrgs,
  searchPocs,
} from '../../src/registry/index.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';
import { applied, customer, homeAddress, inTransaction, openDemoDatabase } from './support.ts';

const john: PocInput = {
  contactType: 'person',
  lastName: 'Doe',
  firstName: 'John',
  address: homeAddress,
  officePhones: ['+1-555-0110'],
  officePhoneExtension: '7',
  emails: ['John.Doe@Example.NET'],
  mobilePhone: '+1-555-0111',
  publicComments: [],
};
const nocRole: PocInput = {
  contactType: 'role',
  lastName: 'Network Operations Center',
  address: homeAddress,
  officePhones: ['+1-555-0120'],
  emails: ['noc@example.net'],
  publicComments: [],
};

describe.each(BACKENDS)('POCs and orgs on %s', (kind) => {
  let database: TestDatabase;
  const run = <T>(work: Parameters<typeof inTransaction<T>>[1]) => inTransaction(database.db, work);

  beforeAll(async () => {
    database = await openDemoDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('creates person and role POCs with generated, unique handles', async () => {
    const first = applied(await run((tx) => createPoc(tx, customer, john)));
    const second = applied(await run((tx) => createPoc(tx, customer, john)));
    const role = applied(await run((tx) => createPoc(tx, customer, nocRole)));
    expect([first.handles['poc'], second.handles['poc'], role.handles['poc']]).toEqual([
      'DOEJO1-ARIN',
      'DOEJO2-ARIN',
      'NOC1-ARIN',
    ]);
    expect(await findPoc(database.db, 'doejo1-arin')).toMatchObject({
      kind: 'person',
      emails: ['john.doe@example.net'],
      phones: [
        { number: '+1-555-0110', kind: 'office', extension: '7' },
        { number: '+1-555-0111', kind: 'mobile' },
      ],
    });
  });

  it('skips a generated handle the seed already gave to another object (DEMO1-ARIN, DEMOISP-1)', async () => {
    const role = applied(await run((tx) => createPoc(tx, customer, { ...nocRole, lastName: 'Demo' })));
    expect(role.handles['poc']).toBe('DEMO2-ARIN');
    const org = applied(
      await run((tx) =>
        createOrg(tx, customer, {
          legalName: 'Demo ISP',
          address: homeAddress,
          adminPoc: 'DOEJO1-ARIN',
          techPocs: ['DOEJO1-ARIN'],
          abusePocs: [],
          nocPocs: [],
          publicComments: [],
        }),
      ),
    );
    expect(org.handles['org']).toBe('DEMOISP-2');
    const removed = applied(await run((tx) => removeOrg(tx, customer, 'DEMOISP-2')));
    expect(removed.handles['org']).toBe('DEMOISP-2');
    applied(await run((tx) => removePoc(tx, customer, 'DEMO2-ARIN')));
  });

  it('refuses incomplete POCs: a person without a first name, a role with one, no e-mail', async () => {
    const noFirst = await run((tx) => createPoc(tx, customer, { ...john, firstName: undefined }));
    expect(!noFirst.ok && noFirst.error.code).toBe('E_MISSING_FIELD');
    const roleWithFirst = await run((tx) => createPoc(tx, customer, { ...nocRole, firstName: 'Nick' }));
    expect(!roleWithFirst.ok && roleWithFirst.error.code).toBe('E_INVALID_FIELD');
    const noEmail = await run((tx) => createPoc(tx, customer, { ...john, emails: [] }));
    expect(!noEmail.ok && noEmail.error.code).toBe('E_MISSING_FIELD');
    const badCountry = await run((tx) =>
      createPoc(tx, customer, { ...john, address: { ...homeAddress, country: 'USA' } }),
    );
    expect(!badCountry.ok && badCountry.error.code).toBe('E_INVALID_COUNTRY');
  });

  it('modifies a POC; NONE clears an optional field but never a required one; malformed and unknown handles are refused', async () => {
    applied(
      await run((tx) =>
        modifyPoc(tx, customer, 'DOEJO2-ARIN', {
          emails: ['jd@example.net'],
          mobilePhone: null,
          companyName: 'Example',
        }),
      ),
    );
    expect(await findPoc(database.db, 'DOEJO2-ARIN')).toMatchObject({
      emails: ['jd@example.net'],
      company: 'Example',
      phones: [{ number: '+1-555-0110', kind: 'office', extension: '7' }],
    });
    const clearRequired = await run((tx) => modifyPoc(tx, customer, 'DOEJO2-ARIN', { emails: null }));
    expect(!clearRequired.ok && clearRequired.error.code).toBe('E_MISSING_FIELD');
    const malformed = await run((tx) => modifyPoc(tx, customer, 'DOE JOHN', { fax: '1' }));
    expect(!malformed.ok && malformed.error).toMatchObject({
      code: 'E_INVALID_HANDLE',
      message: expect.stringContaining('JD123-ARIN'),
    });
    const unknown = await run((tx) => modifyPoc(tx, customer, 'NOBODY9-ARIN', { fax: '1' }));
    expect(!unknown.ok && unknown.error.code).toBe('E_OBJECT_NOT_FOUND');
  });

  it('never changes a contact type: the same one resent is no news, another one is noted in the answer', async () => {
    const same = applied(
      await run((tx) => modifyPoc(tx, customer, 'DOEJO2-ARIN', { contactType: 'person', city: 'Reston' })),
    );
    expect(same.summary).toEqual(['POC DOEJO2-ARIN (person: John Doe) modified (city).']);
    const other = applied(
      await run((tx) => modifyPoc(tx, customer, 'DOEJO2-ARIN', { contactType: 'role', city: 'Herndon' })),
    );
    expect(other.summary).toEqual([
      'POC DOEJO2-ARIN (person: John Doe) modified (city).',
      expect.stringMatching(
        /^Contact type not changed: POC DOEJO2-ARIN stays a person POC, .* cannot be changed .* create one \(POC template, action N\)/,
      ),
    ]);
    expect(await findPoc(database.db, 'DOEJO2-ARIN')).toMatchObject({ kind: 'person', city: 'Herndon' });
  });

  it('creates an org whose admin is a person; a role cannot be the admin (voting) contact', async () => {
    const asRole = await run((tx) =>
      createOrg(tx, customer, {
        legalName: 'Example Networks',
        address: homeAddress,
        adminPoc: 'NOC1-ARIN',
        techPocs: ['NOC1-ARIN'],
        abusePocs: [],
        nocPocs: [],
        publicComments: [],
      }),
    );
    expect(!asRole.ok && asRole.error).toMatchObject({
      code: 'E_ROLE_NOT_ALLOWED',
      message: expect.stringContaining('NOC1-ARIN'),
    });
    const unknownTech = await run((tx) =>
      createOrg(tx, customer, {
        legalName: 'Example Networks',
        address: homeAddress,
        adminPoc: 'DOEJO1-ARIN',
        techPocs: ['GHOST1-ARIN'],
        abusePocs: [],
        nocPocs: [],
        publicComments: [],
      }),
    );
    expect(!unknownTech.ok && unknownTech.error.code).toBe('E_OBJECT_NOT_FOUND');
    const created = applied(
      await run((tx) =>
        createOrg(tx, customer, {
          legalName: 'Example Networks',
          taxId: '12-3456789',
          address: homeAddress,
          adminPoc: 'DOEJO1-ARIN',
          techPocs: ['NOC1-ARIN'],
          abusePocs: ['NOC1-ARIN'],
          nocPocs: [],
          referralServer: 'rwhois://rwhois.example.net:4321',
          publicComments: [],
        }),
      ),
    );
    expect(created.handles['org']).toBe('EXAMPLEN-1');
    expect(await orgPocs(database.db, 'EXAMPLEN-1')).toEqual([
      { pocHandle: 'NOC1-ARIN', role: 'abuse' },
      { pocHandle: 'DOEJO1-ARIN', role: 'admin' },
      { pocHandle: 'NOC1-ARIN', role: 'tech' },
    ]);
  });

  it('modifies an org, replacing its POCs of a role', async () => {
    applied(
      await run((tx) =>
        modifyOrg(tx, customer, 'EXAMPLEN-1', { abusePocs: null, techPocs: ['DOEJO2-ARIN'], city: 'Reston' }),
      ),
    );
    expect((await findOrg(database.db, 'EXAMPLEN-1'))?.city).toBe('Reston');
    expect(await orgsOfPoc(database.db, 'NOC1-ARIN')).toEqual([]);
    const roleAdmin = await run((tx) => modifyOrg(tx, customer, 'EXAMPLEN-1', { adminPoc: 'NOC1-ARIN' }));
    expect(!roleAdmin.ok && roleAdmin.error.code).toBe('E_ROLE_NOT_ALLOWED');
  });

  it('refuses to remove a POC still tied to an org, a net or an account, saying where', async () => {
    const inOrg = await run((tx) => removePoc(tx, customer, 'DOEJO1-ARIN'));
    expect(!inOrg.ok && inOrg.error).toMatchObject({
      code: 'E_POC_IN_USE',
      message: expect.stringContaining('admin POC of org EXAMPLEN-1'),
    });
    const demo = await run((tx) =>
      removePoc(tx, { actor: { kind: 'account', accountId: 999 } }, 'DEMO1-ARIN'),
    );
    expect(!demo.ok && demo.error.message).toMatch(/admin POC of org DEMOISP-1.*linked to account \d+/);
    expect(await findPoc(database.db, 'DOEJO1-ARIN')).toBeDefined();
    // Free once nothing uses it.
    const freed = applied(await run((tx) => removePoc(tx, customer, 'NOC1-ARIN')));
    expect(freed.handles['poc']).toBe('NOC1-ARIN');
    expect(await findPoc(database.db, 'NOC1-ARIN')).toBeUndefined();
    const removedAudit = await database.db
      .select()
      .from(tables.auditLog)
      .where(eq(tables.auditLog.objectHandle, 'NOC1-ARIN'))
      .orderBy(tables.auditLog.id);
    expect(removedAudit.map((a) => a.action)).toEqual(['create', 'remove']);
    expect(removedAudit[1]?.before).toMatchObject({ handle: 'NOC1-ARIN', kind: 'role' });
  });

  it('lets the account that holds a POC remove it, but not another account', async () => {
    const demo = (await findAccountByName(database.db, 'demo-isp'))!;
    const other = (await findAccountByName(database.db, 'other-isp'))!;
    const asDemo = { actor: { kind: 'account' as const, accountId: demo.id }, requesterAccount: demo.id };
    const asOther = { actor: { kind: 'account' as const, accountId: other.id } };
    // Created by demo's request: linked to demo's account in the same statement, and audited so.
    const handle = await run(async (tx) => {
      const created = applied(await createPoc(tx, asDemo, { ...nocRole, lastName: 'Demo Hostmaster' }));
      return created.handles['poc']!;
    });
    const links = await database.db
      .select()
      .from(tables.accountPocs)
      .where(eq(tables.accountPocs.pocHandle, handle));
    expect(links.map((l) => l.accountId)).toEqual([demo.id]);
    const linkAudit = await database.db
      .select()
      .from(tables.auditLog)
      .where(and(eq(tables.auditLog.action, 'link'), eq(tables.auditLog.objectHandle, String(demo.id))));
    expect(linkAudit.map((a) => a.after)).toContainEqual({ pocHandle: handle });
    const byOther = await run((tx) => removePoc(tx, asOther, handle));
    expect(!byOther.ok && byOther.error).toMatchObject({
      code: 'E_POC_IN_USE',
      message: expect.stringContaining(`linked to account ${demo.id}`),
    });
    applied(await run((tx) => removePoc(tx, asDemo, handle)));
    expect(await findPoc(database.db, handle)).toBeUndefined();
  });

  it('refuses to remove an org that holds nets; removes one that holds nothing and keeps its POCs', async () => {
    const holding = await run((tx) => removeOrg(tx, customer, 'DEMOISP-1'));
    expect(!holding.ok && holding.error).toMatchObject({
      code: 'E_ORG_IN_USE',
      message: expect.stringContaining('NET-198-51-100-0-1'),
    });
    const removed = applied(await run((tx) => removeOrg(tx, customer, 'EXAMPLEN-1')));
    expect(removed.summary.join(' ')).toContain('are kept');
    expect(await findOrg(database.db, 'EXAMPLEN-1')).toBeUndefined();
    expect(await findPoc(database.db, 'DOEJO1-ARIN')).toBeDefined();
  });

  it('finds POCs, orgs and nets for the console by handle, name, e-mail or address', async () => {
    expect((await searchPocs(database.db, 'doejo')).map((p) => p.handle)).toEqual([
      'DOEJO1-ARIN',
      'DOEJO2-ARIN',
    ]);
    expect((await searchPocs(database.db, 'Operat')).map((p) => p.handle)).toEqual([
      'DEMO1-ARIN',
      'OTHER1-ARIN',
    ]);
    expect((await searchPocs(database.db, 'NOC@demo-isp.example')).map((p) => p.handle)).toEqual([
      'DEMO1-ARIN',
    ]);
    expect((await searchOrgs(database.db, 'demo isp')).map((o) => o.handle)).toEqual(['DEMOISP-1']);
    expect((await searchOrgs(database.db, 'noc@other-isp.example')).map((o) => o.handle)).toEqual([
      'OTHERISP-1',
    ]);
    expect((await searchNets(database.db, '198.51.100.77')).map((n) => n.handle)).toEqual([
      'NET-198-51-100-0-1',
    ]);
    expect((await searchNets(database.db, 'net6-2001')).map((n) => n.handle)).toEqual(['NET6-2001-DB8-1']);
    expect(await searchNets(database.db, '100%')).toEqual([]);
  });
});
