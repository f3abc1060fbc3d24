/**
 * Every form and action, mailed over real SMTP to the whole daemon, answered through the sink,
 * and visible in the registry afterwards. The steps build on each other like an ISP's week:
 * new contacts, a new org, customers, a downstream ISP, then clean-up.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import {
  auditRowsOf,
  netByHandle,
  netByName,
  netPocsOf,
  noticesFor,
  orgByHandle,
  orgPocsOf,
  pocByHandle,
  rejectionsOf,
  templateRows,
  ticketOf,
} from './support/outcomes.ts';
import { submit } from './support/session.ts';

const TICKET = /^\d{8}-X\d{7}$/;

const person = (last: string, first: string, email: string) => ({
  '01': 'N',
  '03': 'P',
  '04': last,
  '05': first,
  '07': 'Demo ISP',
  '08': ['1 Example Way', 'Suite 200'],
  '09': 'Springfield',
  '10': 'VA',
  '11': '22150',
  '12': 'US',
  '13': '+1-555-0110',
  '15': email,
});

describe.each(BACKENDS)('each form, mailed in and applied (%s)', (backend) => {
  let stack: Stack;
  const handles: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('POC N creates two contacts, answers with their handles and links them to the account', async () => {
    const { id, reply } = await submit(stack, [
      fillForm('ARIN-POC-5.1', person('Rivera', 'Ana', 'ana.rivera@demo-isp.example')),
      fillForm('ARIN-POC-4.1', person('Chen', 'Bo', ' Bo.Chen@Demo-ISP.example')),
    ]);
    expect(reply.parsed.summary).toBe('hostmasterd processed 2 templates: 2 APPROVED.');
    expect(reply.parsed.blocks.map((b) => [b.form, b.status])).toEqual([
      ['ARIN-POC-5.1', 'APPROVED'],
      ['ARIN-POC-4.1', 'APPROVED'],
    ]);
    for (const block of reply.parsed.blocks) {
      expect(block.ticket).toMatch(TICKET);
      expect(block.errors).toEqual([]);
      expect(block.handles).toHaveLength(1);
      expect(block.handles[0]).toMatch(/^[A-Z]+\d+-ARIN$/);
    }
    handles['ana'] = reply.parsed.blocks[0]!.handles[0]!;
    handles['bo'] = reply.parsed.blocks[1]!.handles[0]!;
    // Each new contact is told at its address, as stored (trimmed, lower-cased).
    const notices = await noticesFor(stack.sink, id, 2);
    expect(notices.map((n) => n.to).sort()).toEqual([
      ['ana.rivera@demo-isp.example'],
      ['bo.chen@demo-isp.example'],
    ]);
    expect((await pocByHandle(stack.database.db, handles['bo']!))?.emails).toEqual([
      'bo.chen@demo-isp.example',
    ]);
    expect(await pocByHandle(stack.database.db, handles['ana']!)).toMatchObject({
      kind: 'person',
      lastName: 'Rivera',
      firstName: 'Ana',
      city: 'Springfield',
      emails: ['ana.rivera@demo-isp.example'],
    });
    const links = await stack.database.db
      .select({ poc: tables.accountPocs.pocHandle })
      .from(tables.accountPocs)
      .where(eq(tables.accountPocs.pocHandle, handles['ana']!));
    expect(links).toHaveLength(1);
    const ticket = await ticketOf(stack.database.db, reply.parsed.blocks[0]!.ticket!);
    expect(ticket).toMatchObject({ status: 'approved', submissionId: id, templateIndex: 1 });
    expect(ticket?.closedAt).not.toBeNull();
    expect(await auditRowsOf(stack.database.db, ticket!.number)).toEqual([
      expect.objectContaining({ action: 'create', objectType: 'poc', objectHandle: handles['ana'] }),
      expect.objectContaining({
        action: 'link',
        objectType: 'account',
        after: { pocHandle: handles['ana'] },
      }),
    ]);
  });

  it('POC M changes the contact, and the contact is told at its own address', async () => {
    const { id, reply } = await submit(stack, [
      fillForm('ARIN-POC-5.1', {
        '01': 'M',
        '02': handles['ana']!,
        '09': 'Richmond',
        '11': '23219',
        '13': '+1-555-0199',
      }),
    ]);
    const [block] = reply.parsed.blocks;
    expect(block).toMatchObject({ status: 'APPROVED', handles: [handles['ana']], errors: [] });
    expect(await pocByHandle(stack.database.db, handles['ana']!)).toMatchObject({
      city: 'Richmond',
      postalCode: '23219',
    });
    const [notice] = await noticesFor(stack.sink, id);
    expect(notice!.to).toEqual(['ana.rivera@demo-isp.example']);
    expect(notice!.subject).toContain(handles['ana']);
    expect(notice!.subject).toContain(block!.ticket);
    expect(notice!.autoSubmitted).toBe('auto-generated');
  });

  it('POC M with the contact type resent: the same type is no change; another is not made, and the reply says why', async () => {
    const ana = handles['ana']!;
    const modify = (values: Record<string, string>) =>
      fillForm('ARIN-POC-5.1', { '01': 'M', '02': ana, ...values });
    const { reply } = await submit(stack, [
      // A billing system resending the whole form, type included.
      modify({ '03': 'P', '18': 'Reachable 24/7' }),
      // Someone hoping to turn Ana's contact into a role account.
      modify({ '03': 'R', '18': 'Now a role' }),
      modify({ '03': 'R' }),
    ]);
    const [same, other, onlyType] = reply.parsed.blocks;
    expect(same).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(same!.notes).toEqual([`POC ${ana} (person: Ana Rivera) modified (Public Comments).`]);
    expect(other).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(other!.notes).toEqual([
      `POC ${ana} (person: Ana Rivera) modified (Public Comments).`,
      expect.stringMatching(
        new RegExp(
          `^Contact type not changed: POC ${ana} stays a person POC, .* create one \\(POC template, action N\\)`,
        ),
      ),
    ]);
    expect(onlyType).toMatchObject({
      status: 'REJECTED',
      errors: [expect.objectContaining({ code: 'E_NOTHING_TO_CHANGE' })],
    });
    expect(onlyType!.errors[0]!.message).toMatch(/contact type on line 03 cannot be changed/);
    expect(await pocByHandle(stack.database.db, ana)).toMatchObject({
      kind: 'person',
      publicComments: ['Now a role'],
    });
  });

  it('ORG N creates an org with the new contacts; ORG M changes it; ORG R removes another', async () => {
    const org = (name: string) =>
      fillForm('ARIN-ORG-5.2', {
        '01': 'N',
        '03': name,
        '06': '1 Example Way',
        '07': 'Springfield',
        '08': 'VA',
        '09': '22150',
        '10': 'US',
        '11': handles['ana']!,
        '12': [handles['ana']!, handles['bo']!],
        '13': handles['bo']!,
      });
    const created = await submit(stack, [org('Demo Hosting LLC'), org('Short Lived Corp')]);
    expect(created.reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED', 'APPROVED']);
    const hosting = created.reply.parsed.blocks[0]!.handles[0]!;
    const shortLived = created.reply.parsed.blocks[1]!.handles[0]!;
    expect(hosting).toMatch(/^[A-Z0-9]+-\d+$/);
    expect(await orgByHandle(stack.database.db, hosting)).toMatchObject({ name: 'Demo Hosting LLC' });
    expect(await orgPocsOf(stack.database.db, hosting)).toEqual(
      expect.arrayContaining([
        { role: 'admin', poc: handles['ana'] },
        { role: 'tech', poc: handles['bo'] },
        { role: 'abuse', poc: handles['bo'] },
      ]),
    );
    handles['hosting'] = hosting;

    const changed = await submit(stack, [
      fillForm('ARIN-ORG-5.2', { '01': 'M', '02': hosting, '07': 'Arlington', '09': '22201' }),
      fillForm('ARIN-ORG-4.1', { '01': 'R', '02': shortLived }),
    ]);
    expect(changed.reply.parsed.blocks.map((b) => [b.form, b.status, b.handles])).toEqual([
      ['ARIN-ORG-5.2', 'APPROVED', [hosting]],
      ['ARIN-ORG-4.1', 'APPROVED', [shortLived]],
    ]);
    expect(await orgByHandle(stack.database.db, hosting)).toMatchObject({ city: 'Arlington' });
    expect(await orgByHandle(stack.database.db, shortLived)).toBeUndefined();
  });

  it('POC R removes an unused contact; a contact still in use is refused with E_POC_IN_USE', async () => {
    const spare = await submit(stack, [
      fillForm('ARIN-POC-5.1', person('Spare', 'Sam', 'sam@demo-isp.example')),
    ]);
    const sam = spare.reply.parsed.blocks[0]!.handles[0]!;
    const { id, reply } = await submit(stack, [
      fillForm('ARIN-POC-5.1', { '01': 'R', '02': sam }),
      fillForm('ARIN-POC-5.1', { '01': 'R', '02': handles['bo']! }),
    ]);
    const [removed, inUse] = reply.parsed.blocks;
    expect(removed).toMatchObject({ status: 'APPROVED', handles: [sam] });
    expect(await pocByHandle(stack.database.db, sam)).toBeUndefined();
    expect(inUse!.status).toBe('REJECTED');
    expect(inUse!.errors.map((e) => e.code)).toEqual(['E_POC_IN_USE']);
    expect(inUse!.errors[0]!.message).toContain(handles['hosting']);
    expect(await pocByHandle(stack.database.db, handles['bo']!)).toBeDefined();
    const rejections = await rejectionsOf(stack.database.db, id);
    expect(rejections).toEqual([
      expect.objectContaining({ templateIndex: 2, reasonCode: 'E_POC_IN_USE', state: 'open' }),
    ]);
  });

  it('REASSIGN-SIMPLE 5.3 N, M and R: the customer record outlives the net', async () => {
    const created = await submit(stack, [
      simpleReassignment({ range: '198.51.100.16/28', name: 'DEMO-CUST-1', customer: 'Acme Widgets Inc' }),
    ]);
    const [block] = created.reply.parsed.blocks;
    expect(block!.status).toBe('APPROVED');
    const netHandle = block!.handles.find((h) => h.startsWith('NET-'))!;
    const customerHandle = block!.handles.find((h) => /^C\d{8}$/.test(h))!;
    expect(netHandle).toBe('NET-198-51-100-16-1');
    expect(await netByHandle(stack.database.db, netHandle)).toMatchObject({
      type: 'simple_reassignment',
      name: 'DEMO-CUST-1',
      customerHandle,
      parentHandle: 'NET-198-51-100-0-1',
      originAs: [64500],
    });

    const modified = await submit(stack, [
      simpleReassignment({
        action: 'M',
        range: '198.51.100.16/28',
        name: 'DEMO-CUST-1B',
        customer: 'Acme Gadgets Inc',
      }),
    ]);
    expect(modified.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(await netByHandle(stack.database.db, netHandle)).toMatchObject({ name: 'DEMO-CUST-1B' });
    const [customer] = await stack.database.db
      .select()
      .from(tables.customers)
      .where(eq(tables.customers.handle, customerHandle));
    expect(customer).toMatchObject({ name: 'Acme Gadgets Inc' });

    const removed = await submit(stack, [simpleReassignment({ action: 'R', range: '198.51.100.16/28' })]);
    const [gone] = removed.reply.parsed.blocks;
    expect(gone).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(gone!.notes.join(' ')).toContain(customerHandle);
    expect(await netByHandle(stack.database.db, netHandle)).toBeUndefined();
    const [kept] = await stack.database.db
      .select()
      .from(tables.customers)
      .where(eq(tables.customers.handle, customerHandle));
    expect(kept).toBeDefined();
  });

  it('REASSIGN-SIMPLE 4.1 (no key line) N, M and R, key in the Subject', async () => {
    const legacy = (action: 'N' | 'M' | 'R', extra: Record<string, string | string[]> = {}) =>
      fillForm('ARIN-REASSIGN-SIMPLE-4.1', { '01': action, '03': '198.51.100.32/29', ...extra });
    const customer = {
      '02': 'DEMO-LEGACY-41',
      '04': '64500',
      '05': 'Legacy Billing Customer',
      '06': ['77 Old Road'],
      '07': 'Norfolk',
      '08': 'VA',
      '09': '23510',
      '10': 'US',
    };
    const created = await submit(stack, [legacy('N', customer)]);
    expect(created.reply.parsed.blocks[0]).toMatchObject({
      form: 'ARIN-REASSIGN-SIMPLE-4.1',
      status: 'APPROVED',
    });
    const [net] = await netByName(stack.database.db, 'DEMO-LEGACY-41');
    expect(net).toMatchObject({ type: 'simple_reassignment', parentHandle: 'NET-198-51-100-0-1' });

    const modified = await submit(stack, [legacy('M', { '02': 'DEMO-LEGACY-41B' })]);
    expect(modified.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED' });
    expect(await netByHandle(stack.database.db, net!.handle)).toMatchObject({ name: 'DEMO-LEGACY-41B' });

    const removed = await submit(stack, [legacy('R')]);
    expect(removed.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED' });
    expect(await netByHandle(stack.database.db, net!.handle)).toBeUndefined();
  });

  it('REASSIGN-SIMPLE 3.0 (2002 numbering, lettered address lines) N and R', async () => {
    const created = await submit(stack, [
      fillForm('ARIN-REASSIGN-SIMPLE-3.0', {
        '1': 'N',
        '2': 'DEMO-OLD-1',
        '3': '198.051.100.160\\28',
        '4': 'Old Timer Services',
        '5a': '9 Legacy Lane',
        '5b': 'Unit 3',
        '6': 'Fairfax',
        '7': 'VA',
        '8': '22030',
        '9': 'US',
      }),
    ]);
    expect(created.reply.parsed.blocks[0]).toMatchObject({
      form: 'ARIN-REASSIGN-SIMPLE-3.0',
      status: 'APPROVED',
      errors: [],
    });
    const [net] = await netByName(stack.database.db, 'DEMO-OLD-1');
    expect(net).toMatchObject({ handle: 'NET-198-51-100-160-1', type: 'simple_reassignment' });
    const [customer] = await stack.database.db
      .select()
      .from(tables.customers)
      .where(eq(tables.customers.handle, net!.customerHandle!));
    expect(customer).toMatchObject({ name: 'Old Timer Services', street: ['9 Legacy Lane', 'Unit 3'] });

    const removed = await submit(stack, [
      fillForm('ARIN-REASSIGN-SIMPLE-3.0', { '1': 'R', '3': '198.51.100.160/28' }),
    ]);
    expect(removed.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED' });
    expect(await netByHandle(stack.database.db, net!.handle)).toBeUndefined();
  });

  it('REASSIGN-DETAILED 5.4 to an existing org, and 4.1 creating the org and POC it embeds', async () => {
    const { reply } = await submit(stack, [
      fillForm('ARIN-REASSIGN-DETAILED-5.4', {
        '01': handles['hosting']!,
        '20': '198.51.100.64/28',
        '21': 'DEMO-HOSTING-1',
        '22': 'AS64500, 64501',
      }),
      fillForm('ARIN-REASSIGN-DETAILED-4.1', {
        '02': 'Embedded Customer Co',
        '03': '5 Embedded Street',
        '04': 'Reston',
        '05': 'VA',
        '06': '20190',
        '07': 'US',
        '09': 'P',
        '10': 'Okafor',
        '11': 'Chidi',
        '12': 'Embedded Customer Co',
        '13': '5 Embedded Street',
        '14': 'Reston',
        '15': 'VA',
        '16': '20190',
        '17': 'US',
        '18': '+1-555-0150',
        '19': 'noc@embedded.example',
        '20': '198.51.100.80 - 198.51.100.95',
        '21': 'DEMO-EMBEDDED-1',
      }),
    ]);
    const [detailed, embedded] = reply.parsed.blocks;
    expect(detailed).toMatchObject({ form: 'ARIN-REASSIGN-DETAILED-5.4', status: 'APPROVED', errors: [] });
    const [hostingNet] = await netByName(stack.database.db, 'DEMO-HOSTING-1');
    expect(hostingNet).toMatchObject({
      type: 'detailed_reassignment',
      orgHandle: handles['hosting'],
      parentHandle: 'NET-198-51-100-0-1',
      originAs: [64500, 64501],
    });
    expect(detailed!.handles).toContain(hostingNet!.handle);

    expect(embedded).toMatchObject({ form: 'ARIN-REASSIGN-DETAILED-4.1', status: 'APPROVED', errors: [] });
    const [embeddedNet] = await netByName(stack.database.db, 'DEMO-EMBEDDED-1');
    const newOrg = await orgByHandle(stack.database.db, embeddedNet!.orgHandle!);
    expect(newOrg).toMatchObject({ name: 'Embedded Customer Co', city: 'Reston' });
    expect(embedded!.handles).toEqual(expect.arrayContaining([embeddedNet!.handle, newOrg!.handle]));
    const contacts = await orgPocsOf(stack.database.db, newOrg!.handle);
    expect(contacts.length).toBeGreaterThan(0);
    expect(await pocByHandle(stack.database.db, contacts[0]!.poc)).toMatchObject({
      kind: 'person',
      lastName: 'Okafor',
      emails: ['noc@embedded.example'],
    });
    handles['detailedNet'] = hostingNet!.handle;
  });

  it('REALLOCATE 5.4 (IPv4) and IPv6-REALLOCATE 5.4 to a downstream ISP', async () => {
    const { reply } = await submit(stack, [
      fillForm('ARIN-REALLOCATE-5.4', {
        '01': handles['hosting']!,
        '20': '198.51.100.128/26',
        '21': 'DEMO-HOSTING-REALLOC',
        '22': 'AS64510',
      }),
      fillForm('ARIN-IPv6-REALLOCATE-5.4', {
        '01': handles['hosting']!,
        '20': '2001:db8:100::/40',
        '21': 'DEMO-HOSTING-V6',
        '23': 'Hosting growth for 2027',
      }),
    ]);
    expect(reply.parsed.blocks.map((b) => [b.form, b.status, b.errors])).toEqual([
      ['ARIN-REALLOCATE-5.4', 'APPROVED', []],
      ['ARIN-IPv6-REALLOCATE-5.4', 'APPROVED', []],
    ]);
    const [v4] = await netByName(stack.database.db, 'DEMO-HOSTING-REALLOC');
    expect(v4).toMatchObject({ type: 'reallocation', version: 4, orgHandle: handles['hosting'] });
    const [v6] = await netByName(stack.database.db, 'DEMO-HOSTING-V6');
    expect(v6).toMatchObject({ type: 'reallocation', version: 6, parentHandle: 'NET6-2001-DB8-1' });
    expect(v6!.handle).toMatch(/^NET6-2001-DB8-100-/);
    handles['realloc'] = v4!.handle;
    handles['v6'] = v6!.handle;
  });

  it('NET-MOD 5.3 M renames and sets POCs; NET-MOD 4.1 M sets reverse DNS on the allocation', async () => {
    const { reply } = await submit(stack, [
      fillForm('ARIN-NET-MOD-5.3', {
        '01': 'M',
        '02': '198.51.100.128/26',
        '03': 'DEMO-HOSTING-REALLOC-2',
        '05': handles['ana']!,
        '06': handles['bo']!,
      }),
      fillForm('ARIN-NET-MOD-4.1', {
        '01': 'M',
        '02': '198.51.100.0/24',
        '05': ['ns1.demo-isp.example', 'ns2.demo-isp.example'],
        '10': 'Moving reverse DNS to new servers.',
      }),
    ]);
    expect(reply.parsed.blocks.map((b) => [b.form, b.status, b.errors])).toEqual([
      ['ARIN-NET-MOD-5.3', 'APPROVED', []],
      ['ARIN-NET-MOD-4.1', 'APPROVED', []],
    ]);
    expect(await netByHandle(stack.database.db, handles['realloc']!)).toMatchObject({
      name: 'DEMO-HOSTING-REALLOC-2',
    });
    expect(await netPocsOf(stack.database.db, handles['realloc']!)).toEqual(
      expect.arrayContaining([
        { role: 'tech', poc: handles['ana'] },
        { role: 'abuse', poc: handles['bo'] },
      ]),
    );
    const allocation = await netByHandle(stack.database.db, 'NET-198-51-100-0-1');
    expect(allocation?.reverseNameservers).toEqual(['ns1.demo-isp.example', 'ns2.demo-isp.example']);
  });

  it('NET-MOD R removes subdelegations (IPv4 5.3 and IPv6 4.1); the allocation stays', async () => {
    const { reply } = await submit(stack, [
      fillForm('ARIN-NET-MOD-5.3', { '01': 'R', '02': '198.51.100.64/28' }),
      fillForm('ARIN-IPv6-NET-MOD-4.1', { '01': 'R', '02': '2001:db8:100::/40' }),
    ]);
    expect(reply.parsed.blocks.map((b) => [b.form, b.status, b.errors])).toEqual([
      ['ARIN-NET-MOD-5.3', 'APPROVED', []],
      ['ARIN-IPv6-NET-MOD-4.1', 'APPROVED', []],
    ]);
    expect(await netByHandle(stack.database.db, handles['detailedNet']!)).toBeUndefined();
    expect(await netByHandle(stack.database.db, handles['v6']!)).toBeUndefined();
    expect(await netByHandle(stack.database.db, 'NET6-2001-DB8-1')).toBeDefined();
  });

  it('stores every template with its outcome and ticket, and never the API key', async () => {
    const rows = await stack.database.db.select().from(tables.submissionTemplates);
    expect(rows.length).toBeGreaterThan(15);
    for (const row of rows) {
      expect(row.ticketNumber).toMatch(TICKET);
      expect(JSON.stringify(row)).not.toMatch(/API-DE70-0000-0000-000\d/);
    }
    const [any] = rows;
    expect(await templateRows(stack.database.db, any!.submissionId)).not.toHaveLength(0);
  });
});
