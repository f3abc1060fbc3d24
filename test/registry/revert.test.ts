/**
 * Taking back staff's registry changes from their audit rows (the console's undo), on both
 * backends: a POC created for an account and its link go, while a later POC of the same account
 * keeps its link; a POC the customer changed since is not touched (E_UNDO_CONFLICT), nor is
 * anything else of that undo (all or none); a modify gets its values back; a removal is taken
 * back with its registration date and now as its last change.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import {
  AUDITED_CHANGE_COLUMNS,
  type AuditedChange,
  createPoc,
  findPoc,
  modifyPoc,
  type OperationContext,
  type PocInput,
  removePoc,
  revertChanges,
} from '../../src/registry/index.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';
import { applied, customer, homeAddress, inTransaction, openDemoDatabase } from './support.ts';

const person = (lastName: string): PocInput => ({
  contactType: 'person',
  lastName,
  firstName: 'Pat',
  address: homeAddress,
  officePhones: ['+1-555-0130'],
  emails: [`${lastName.toLowerCase()}@example.net`],
  publicComments: [],
});

const staffRun = (ticket: string): OperationContext => ({
  actor: { kind: 'staff', email: 'alice@registry.example' },
  ticketNumber: ticket,
  requesterAccount: 1,
});

describe.each(BACKENDS)('undo of registry changes on %s', (kind) => {
  let database: TestDatabase;
  const run = <T>(work: Parameters<typeof inTransaction<T>>[1]) => inTransaction(database.db, work);

  beforeAll(async () => {
    database = await openDemoDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  async function changesOf(ticket: string): Promise<AuditedChange[]> {
    const a = tables.auditLog;
    return await database.db
      .select(AUDITED_CHANGE_COLUMNS)
      .from(a)
      .where(eq(a.ticketNumber, ticket))
      .orderBy(asc(a.id));
  }

  const linked = async (handle: string) =>
    (
      await database.db
        .select()
        .from(tables.accountPocs)
        .where(and(eq(tables.accountPocs.accountId, 1), eq(tables.accountPocs.pocHandle, handle)))
    ).length === 1;

  it('removes a created POC and its account link; a later POC of the account keeps its link', async () => {
    const first = applied(await run((tx) => createPoc(tx, staffRun('T-UNDO-1'), person('Undone'))));
    const second = applied(await run((tx) => createPoc(tx, staffRun('T-UNDO-2'), person('Kept'))));
    const [pocA, pocB] = [first.handles['poc']!, second.handles['poc']!];
    expect(await linked(pocA)).toBe(true);
    const changes = await changesOf('T-UNDO-1');
    expect(changes.map((c) => `${c.action} ${c.objectType}`)).toEqual(['create poc', 'link account']);

    const undone = await run((tx) => revertChanges(tx, staffRun('T-UNDO-1'), changes));
    expect(undone).toEqual({ ok: true, value: undefined });
    expect(await findPoc(database.db, pocA)).toBeUndefined();
    expect(await linked(pocA)).toBe(false);
    expect(await findPoc(database.db, pocB)).toBeDefined();
    expect(await linked(pocB)).toBe(true);
    const steps = await changesOf('T-UNDO-1');
    expect(steps.slice(2).map((c) => `${c.action} ${c.objectType}`)).toEqual([
      'unlink account',
      'remove poc',
    ]);
  });

  it('refuses, changing nothing, when the customer changed the POC since', async () => {
    const made = applied(await run((tx) => createPoc(tx, staffRun('T-UNDO-3'), person('Changed'))));
    const handle = made.handles['poc']!;
    applied(await run((tx) => modifyPoc(tx, customer, handle, { companyName: 'Changed Later Inc' })));
    const changes = await changesOf('T-UNDO-3');
    const refused = await run((tx) => revertChanges(tx, staffRun('T-UNDO-3'), changes));
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.code).toBe('E_UNDO_CONFLICT');
    expect(!refused.ok && refused.error.message).toMatch(
      new RegExp(`^poc ${handle} was changed after this action \\(modify by account demo-isp at .* UTC`),
    );
    // All or none: the link, taken back first, is there again.
    expect(await findPoc(database.db, handle)).toMatchObject({ company: 'Changed Later Inc' });
    expect(await linked(handle)).toBe(true);
  });

  it('refuses a POC another record now names, saying which record is in the way', async () => {
    const made = applied(await run((tx) => createPoc(tx, staffRun('T-UNDO-FK'), person('Named'))));
    const handle = made.handles['poc']!;
    await database.db
      .insert(tables.orgPocs)
      .values({ orgHandle: 'DEMOISP-1', pocHandle: handle, role: 'tech' });
    const changes = await changesOf('T-UNDO-FK');
    const refused = await run((tx) => revertChanges(tx, staffRun('T-UNDO-FK'), changes));
    expect(!refused.ok && refused.error.code).toBe('E_UNDO_CONFLICT');
    // The database's own words on the row in the way, not the statement that failed.
    expect(!refused.ok && refused.error.message).toContain('still referenced from table "org_pocs"');
    expect(!refused.ok && refused.error.message).not.toContain('Failed query');
    expect(await findPoc(database.db, handle)).toBeDefined();
  });

  it('gives a modified POC its values back', async () => {
    const made = applied(await run((tx) => createPoc(tx, customer, person('Restored'))));
    const handle = made.handles['poc']!;
    applied(
      await run((tx) => modifyPoc(tx, staffRun('T-UNDO-4'), handle, { companyName: 'Staff Typo Ltd' })),
    );
    expect(await findPoc(database.db, handle)).toMatchObject({ company: 'Staff Typo Ltd' });
    const changes = await changesOf('T-UNDO-4');
    const undone = await run((tx) => revertChanges(tx, staffRun('T-UNDO-4'), changes));
    expect(undone.ok).toBe(true);
    expect((await findPoc(database.db, handle))?.company ?? null).toBeNull();
  });
  it('gives a removed POC back with its registration date, and now as its last change', async () => {
    const made = applied(await run((tx) => createPoc(tx, customer, person('Returned'))));
    const handle = made.handles['poc']!;
    const registered = (await findPoc(database.db, handle))!;
    applied(await run((tx) => removePoc(tx, staffRun('T-UNDO-5'), handle)));
    expect(await findPoc(database.db, handle)).toBeUndefined();
    const removedAt = new Date();
    const changes = await changesOf('T-UNDO-5');
    const undone = await run((tx) => revertChanges(tx, staffRun('T-UNDO-5'), changes));
    expect(undone.ok).toBe(true);
    const back = (await findPoc(database.db, handle))!;
    expect(back.createdAt).toEqual(registered.createdAt);
    // It was gone and is back: WHOIS Updated and RDAP `last changed` say so.
    expect(back.updatedAt.getTime()).toBeGreaterThanOrEqual(removedAt.getTime());
  });
});
