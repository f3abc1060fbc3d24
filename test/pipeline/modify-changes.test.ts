/**
 * What an M template reports, over real SMTP on both backends: the fields that changed, not the
 * fields it filled in. A billing system sends the whole form every time (every value as it
 * stands, one of them new): the reply names that one field, the contacts' notice tells it old ->
 * new, and one audit row records it. The same form sent again changes nothing: APPROVED, `not
 * modified: ... nothing changed`, no notice, no audit row, and the record's Updated date stays.
 * Before, every filled-in field was "modified" (`networkName, customerName, privateResidence,
 * street, ...` for one new net name; the same for a form identical to the record) and a POC M
 * that changed nothing mailed its contacts a change notice without an old -> new line.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Executor, queryRows, tables } from '../../src/db/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, personPoc, simpleReassignment } from './support/forms.ts';
import { caughtFor, noticesFor, settledFor } from './support/outcomes.ts';
import { type Sent, submit } from './support/session.ts';

const NOT_MODIFIED = /^.* not modified: it already holds every value the template gives, nothing changed\.$/;

/** A notice's `field: old -> new` lines. */
const changeLinesOf = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => / -> /.test(line));

/** The modify rows of the audit log for one record. */
async function modifyRows(db: Executor, objectType: string, handle: string): Promise<number> {
  const rows = await db
    .select({ id: tables.auditLog.id })
    .from(tables.auditLog)
    .where(
      and(
        eq(tables.auditLog.objectType, objectType),
        eq(tables.auditLog.objectHandle, handle),
        eq(tables.auditLog.action, 'modify'),
      ),
    );
  return rows.length;
}

async function updatedAt(db: Executor, table: string, handle: string): Promise<string> {
  const [row] = await queryRows<{ updated: string }>(
    db,
    sql`SELECT updated_at::text AS updated FROM ${sql.identifier(table)} WHERE handle = ${handle}`,
  );
  return row!.updated;
}

async function validatedAt(db: Executor, handle: string): Promise<number> {
  const [row] = await db
    .select({ at: tables.pocs.validatedAt })
    .from(tables.pocs)
    .where(eq(tables.pocs.handle, handle));
  return row!.at?.getTime() ?? 0;
}

/** The POC M a billing system sends: every field as it stands, the city given. */
const pocModify = (handle: string, city: string) =>
  personPoc('Changer', 'Casey', 'casey.changer@demo-isp.example', {
    '01': 'M',
    '02': handle,
    '09': city,
    '12': 'us',
    '13': '+1-703-555-0170',
  });

/** The Org M a billing system sends for the demo ISP's org: every field as it stands, the city given. */
const orgModify = (city: string, poc = 'DEMO1-ARIN') =>
  fillForm('ARIN-ORG-5.2', {
    '01': 'M',
    '02': 'DEMOISP-1',
    '03': 'Demo ISP',
    '06': '1 Example Way',
    '07': city,
    '08': 'VA',
    '09': '22150',
    '10': 'US',
    '11': poc,
    '12': poc,
  });

/** A Net-Mod M of the demo ISP's allocation: its name as it stands, the tech POC and comment given. */
const netModify = (comment: string, techPoc = 'DEMO1-ARIN') =>
  fillForm('ARIN-NET-MOD-5.3', {
    '01': 'M',
    '02': '198.51.100.0/24',
    '03': 'DEMO-ISP-V4',
    '05': techPoc,
    '08': comment,
  });

const RANGE = '198.51.100.48/29';
const simpleModify = (name: string) =>
  simpleReassignment({ action: 'M', range: RANGE, name, customer: 'Modify Widgets Inc' });

describe.each(BACKENDS)('M templates report what changed (%s)', (backend) => {
  let stack: Stack;
  let poc: string;
  beforeAll(async () => {
    stack = await startStack({ backend });
    const created = await submit(stack, [
      personPoc('Changer', 'Casey', 'casey.changer@demo-isp.example', { '13': '+1-703-555-0170' }),
      simpleReassignment({ range: RANGE, name: 'MODIFY-WIDGETS', customer: 'Modify Widgets Inc' }),
    ]);
    expect(created.reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED', 'APPROVED']);
    poc = created.reply.parsed.blocks[0]!.handles[0]!;
    await settledFor(stack.sink, stack.database.db, created.id);
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Sends the template, and waits until its mail is all out. */
  async function sent(template: string): Promise<Sent> {
    const message = await submit(stack, [template]);
    await settledFor(stack.sink, stack.database.db, message.id);
    return message;
  }

  it('POC M: one field changed is the one listed and told old -> new; the same form again changes nothing and tells nobody', async () => {
    const db = stack.database.db;
    const changed = await sent(pocModify(poc, 'Reston'));
    const block = changed.reply.parsed.blocks[0]!;
    expect(block).toMatchObject({ status: 'APPROVED', errors: [], handles: [poc] });
    expect(block.notes).toEqual([`POC ${poc} (person: Casey Changer) modified (City).`]);
    const [notice] = await noticesFor(stack.sink, changed.id);
    // Named as the form and the reply name it, not by our column (`city`).
    expect(changeLinesOf(notice!.text)).toEqual(['City: Herndon -> Reston']);
    expect(caughtFor(stack.sink, changed.id).notices).toBe(1);
    expect(await modifyRows(db, 'poc', poc)).toBe(1);
    const updated = await updatedAt(db, 'pocs', poc);
    const validated = await validatedAt(db, poc);

    const again = await sent(pocModify(poc, 'Reston'));
    const same = again.reply.parsed.blocks[0]!;
    expect(same).toMatchObject({ status: 'APPROVED', errors: [], handles: [poc] });
    expect(same.notes).toHaveLength(1);
    expect(same.notes[0]).toMatch(NOT_MODIFIED);
    expect(same.notes[0]).toContain(`POC ${poc} (person: Casey Changer) not modified`);
    expect(caughtFor(stack.sink, again.id)).toEqual({ replies: 1, notices: 0 });
    expect(await modifyRows(db, 'poc', poc)).toBe(1);
    expect(await updatedAt(db, 'pocs', poc)).toBe(updated);
    // It still says the record is right: the POC is validated (docs/reply-format.md, POC validation).
    expect(await validatedAt(db, poc)).toBeGreaterThan(validated);
  });

  it('Reassign-Simple M: a new net name is the one change; the same form again changes nothing', async () => {
    const db = stack.database.db;
    const [net] = await db.select().from(tables.nets).where(eq(tables.nets.name, 'MODIFY-WIDGETS'));
    const customer = net!.customerHandle!;
    const changed = await sent(simpleModify('MODIFY-WIDGETS-2'));
    const block = changed.reply.parsed.blocks[0]!;
    expect(block).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(block.notes).toEqual([
      `Net ${net!.handle} (${RANGE}) and customer ${customer} modified (Network Name).`,
    ]);
    // The customer did not change: not written, not audited, not re-dated.
    expect(await modifyRows(db, 'customer', customer)).toBe(0);
    expect(await modifyRows(db, 'net', net!.handle)).toBe(1);
    const netUpdated = await updatedAt(db, 'nets', net!.handle);
    const customerUpdated = await updatedAt(db, 'customers', customer);

    const again = await sent(simpleModify('MODIFY-WIDGETS-2'));
    const same = again.reply.parsed.blocks[0]!;
    expect(same).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(same.handles).toEqual(block.handles);
    expect(same.notes).toEqual([expect.stringMatching(NOT_MODIFIED)]);
    expect(same.notes[0]).toContain(`Net ${net!.handle} (${RANGE}) and customer ${customer} not modified`);
    expect(await modifyRows(db, 'net', net!.handle)).toBe(1);
    expect(await modifyRows(db, 'customer', customer)).toBe(0);
    expect(await updatedAt(db, 'nets', net!.handle)).toBe(netUpdated);
    expect(await updatedAt(db, 'customers', customer)).toBe(customerUpdated);
  });

  it('Net-Mod M: a new comment is the one change; the same form again changes nothing', async () => {
    const db = stack.database.db;
    const handle = 'NET-198-51-100-0-1';
    const changed = await sent(netModify('Peering at IX-East'));
    expect(changed.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(changed.reply.parsed.blocks[0]!.notes).toEqual([
      expect.stringMatching(
        new RegExp(`^Net ${handle} .*modified \\(Tech POC Handle, Public Comments\\)\\.$`),
      ),
    ]);
    const rows = await modifyRows(db, 'net', handle);
    const updated = await updatedAt(db, 'nets', handle);

    // The POC it already has, written in another case, is the same POC.
    const again = await sent(netModify('Peering at IX-East', 'demo1-arin'));
    const same = again.reply.parsed.blocks[0]!;
    expect(same).toMatchObject({ status: 'APPROVED', errors: [], handles: [handle] });
    expect(same.notes).toEqual([expect.stringMatching(NOT_MODIFIED)]);
    expect(await modifyRows(db, 'net', handle)).toBe(rows);
    expect(await updatedAt(db, 'nets', handle)).toBe(updated);
  });

  it('Org M: one field changed is the one listed and told old -> new; the same form again changes nothing and tells nobody', async () => {
    const db = stack.database.db;
    const changed = await sent(orgModify('Arlington'));
    const block = changed.reply.parsed.blocks[0]!;
    expect(block).toMatchObject({ status: 'APPROVED', errors: [], handles: ['DEMOISP-1'] });
    expect(block.notes).toEqual(['Org DEMOISP-1 modified (Org City).']);
    const [notice] = await noticesFor(stack.sink, changed.id);
    expect(changeLinesOf(notice!.text)).toEqual(['Org City: Springfield -> Arlington']);
    expect(await modifyRows(db, 'org', 'DEMOISP-1')).toBe(1);
    const updated = await updatedAt(db, 'orgs', 'DEMOISP-1');

    // Its POCs as they stand, written in another case, are the same POCs.
    const again = await sent(orgModify('Arlington', 'demo1-arin'));
    const same = again.reply.parsed.blocks[0]!;
    expect(same).toMatchObject({ status: 'APPROVED', errors: [], handles: ['DEMOISP-1'] });
    expect(same.notes).toEqual([expect.stringMatching(NOT_MODIFIED)]);
    expect(caughtFor(stack.sink, again.id)).toEqual({ replies: 1, notices: 0 });
    expect(await modifyRows(db, 'org', 'DEMOISP-1')).toBe(1);
    expect(await updatedAt(db, 'orgs', 'DEMOISP-1')).toBe(updated);
  });
});
