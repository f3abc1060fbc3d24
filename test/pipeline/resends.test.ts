/**
 * Safe resends over real SMTP, on both backends: a billing system that lost our reply sends the
 * same template again (a new Message-ID) and hears APPROVED with what it already holds and
 * `Note: already registered as NET-..., nothing changed`, not E_OVERLAP. Anything else is not a
 * resend: other data, or the same template sent by anyone but the account that registered it
 * (also an account with the same authority over the space) is still E_OVERLAP, and shows no
 * handle of the registration.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Executor, queryRows, tables } from '../../src/db/index.ts';
import {
  DEMO_API_KEY,
  OTHER_API_KEY,
  OTHER_SENDER,
  seedRegistry,
  validateSeed,
} from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, personPoc, simpleReassignment } from './support/forms.ts';
import { rowCount as count, settledFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

/** A second account of the demo ISP, holding the same POC (so the same authority), with its own key. */
const BILLING_KEY = 'API-DE70-0000-0000-0B11';
const BILLING_SENDER = 'billing@demo-isp.example';

const poc = (phone: string) => personPoc('Resender', 'Robin', 'robin@demo-isp.example', { '13': phone });

/** A downstream org the demo ISP administers itself: a reallocation to it is the ISP's to divide. */
const RESELLER = 'RESELLER-1';

/** A Reassign-Detailed or Reallocate 5.4 to an org named by its ID (IPv4 and IPv6 forms). */
const toOrg = (form: string, range: string, name: string, org: string, comment = 'Resent by billing') =>
  fillForm(form, {
    '01': org,
    '20': range,
    '21': name,
    '22': 'AS64500',
    [form.includes('IPv6') ? '24' : '23']: comment,
  });

/** A 4.1 form that writes out the org it hands the space to, its POC, and a net POC of its own. */
const writtenOut = (form: string, range: string, phone = '+1-555-0150') =>
  fillForm(form, {
    '02': 'Embedded Resale Co',
    '03': '5 Embedded Street',
    '04': 'Reston',
    '05': 'VA',
    '06': '20190',
    '07': 'US',
    '09': 'P',
    '10': 'Okafor',
    '11': 'Chidi',
    '12': 'Embedded Resale Co',
    '13': '5 Embedded Street',
    '14': 'Reston',
    '15': 'VA',
    '16': '20190',
    '17': 'US',
    '18': phone,
    '19': 'noc@embedded-resale.example',
    '20': range,
    '21': 'DEMO-EMBEDDED-RESALE',
    '24': 'AB',
    '26': 'R',
    '27': 'Embedded Abuse',
    '29': 'Embedded Resale Co',
    '30': '5 Embedded Street',
    '31': 'Reston',
    '32': 'VA',
    '33': '20190',
    '34': 'US',
    '35': '+1-555-0151',
    '36': 'abuse@embedded-resale.example',
  });

async function footprint(db: Executor) {
  return {
    nets: await count(db, 'nets'),
    orgs: await count(db, 'orgs'),
    pocs: await count(db, 'pocs'),
    audit: await count(db, 'audit_log'),
    notices: await count(db, `outbox WHERE kind = 'notification'`),
  };
}

const CASES = BACKENDS.flatMap((backend) =>
  (['digest', 'per-template'] as const).map((style) => [backend, style] as const),
);

describe.each(CASES)('safe resends (%s, %s replies)', (backend, style) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend, env: { REPLY_STYLE: style } });
    const doc = validateSeed({
      orgs: [
        {
          handle: RESELLER,
          name: 'Demo Reseller',
          street: ['1 Example Way'],
          city: 'Springfield',
          state: 'VA',
          postalCode: '22150',
          country: 'US',
          pocs: { admin: 'DEMO1-ARIN', tech: ['DEMO1-ARIN'] },
        },
      ],
      accounts: [
        { name: 'demo-billing', emails: [BILLING_SENDER], pocs: ['DEMO1-ARIN'], apiKeys: [BILLING_KEY] },
      ],
    });
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const reassignment = (customer = 'Resend Widgets Inc') =>
    simpleReassignment({ range: '198.51.100.128/28', name: 'DEMO-RESEND', customer });

  it('a Reassign-Simple sent again by the same account: APPROVED, the same handles, nothing changed', async () => {
    const first = await submit(stack, [reassignment()]);
    const block = first.reply.parsed.blocks[0]!;
    expect(block.status).toBe('APPROVED');
    const db = stack.database.db;
    const before = {
      nets: await count(db, 'nets'),
      customers: await count(db, 'customers'),
      audit: await count(db, 'audit_log'),
      notices: await count(db, `outbox WHERE kind = 'notification'`),
    };
    const again = await submit(stack, [reassignment()]);
    const resent = again.reply.parsed.blocks[0]!;
    expect(resent.status).toBe('APPROVED');
    expect(resent.errors).toEqual([]);
    expect(resent.handles).toEqual(block.handles);
    const net = block.handles.find((h) => h.startsWith('NET-'))!;
    expect(resent.notes.some((n) => n.startsWith(`already registered as ${net}, nothing changed`))).toBe(
      true,
    );
    expect(resent.ticket).toMatch(/^\d{8}-X\d{7}$/);
    expect(resent.ticket).not.toBe(block.ticket);
    await settledFor(stack.sink, stack.database.db, again.id);
    expect({
      nets: await count(db, 'nets'),
      customers: await count(db, 'customers'),
      audit: await count(db, 'audit_log'),
      notices: await count(db, `outbox WHERE kind = 'notification'`),
    }).toEqual(before);
    const [ticket] = await db.select().from(tables.tickets).where(eq(tables.tickets.number, resent.ticket!));
    expect(ticket).toMatchObject({ status: 'approved' });
  });

  it('the same range with other data is still E_OVERLAP', async () => {
    const other = await submit(stack, [reassignment('Someone Else Ltd')]);
    const block = other.reply.parsed.blocks[0]!;
    expect(block.status).toBe('REJECTED');
    expect(block.errors[0]?.code).toBe('E_OVERLAP');
    expect(block.handles).toEqual([]);
  });

  it('another account sending the same template (even one with the same authority) is E_OVERLAP, and sees no handle', async () => {
    const billing = await submit(stack, [reassignment()], {
      subject: `SWIP ${BILLING_KEY}`,
      from: `Demo Billing <${BILLING_SENDER}>`,
    });
    expect(billing.reply.parsed.blocks[0]).toMatchObject({ status: 'REJECTED', handles: [] });
    expect(billing.reply.parsed.blocks[0]?.errors[0]?.code).toBe('E_OVERLAP');
    const other = await submit(stack, [reassignment()], {
      subject: `SWIP ${OTHER_API_KEY}`,
      from: `Other ISP <${OTHER_SENDER}>`,
    });
    expect(other.reply.parsed.blocks[0]).toMatchObject({ status: 'REJECTED', handles: [] });
    expect(other.reply.parsed.blocks[0]?.notes.join(' ')).not.toContain('already registered');
  });

  it('a POC N sent again by the same account gets the handle it holds; other data or another account get a new POC', async () => {
    const db = stack.database.db;
    const first = await submit(stack, [poc('+1-703-555-0190')]);
    const handle = first.reply.parsed.blocks[0]!.handles[0]!;
    expect(first.reply.parsed.blocks[0]!.status).toBe('APPROVED');
    const pocs = await count(db, 'pocs');
    const again = await submit(stack, [poc('+1-703-555-0190')]);
    expect(again.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', handles: [handle] });
    expect(again.reply.parsed.blocks[0]!.notes[0]).toMatch(
      new RegExp(`^already registered as ${handle}, nothing changed`),
    );
    expect(await count(db, 'pocs')).toBe(pocs);

    const otherPhone = await submit(stack, [poc('+1-703-555-0191')]);
    expect(otherPhone.reply.parsed.blocks[0]!.handles[0]).not.toBe(handle);
    const otherAccount = await submit(stack, [poc('+1-703-555-0190')], {
      subject: `SWIP ${OTHER_API_KEY}`,
      from: `Other ISP <${OTHER_SENDER}>`,
    });
    expect(otherAccount.reply.parsed.blocks[0]!.status).toBe('APPROVED');
    expect(otherAccount.reply.parsed.blocks[0]!.handles[0]).not.toBe(handle);
    expect(await count(db, 'pocs')).toBe(pocs + 2);
  });

  it('an ORG N sent again by the same account gets the org it registered; other data or another account get a new org', async () => {
    const db = stack.database.db;
    const org = (comment: string) =>
      fillForm('ARIN-ORG-5.2', {
        '01': 'N',
        '03': `Resent Holdings ${style}`,
        '06': '9 Resend Road',
        '07': 'Herndon',
        '08': 'VA',
        '09': '20170',
        '10': 'US',
        '11': 'DEMO1-ARIN',
        '12': 'DEMO1-ARIN',
        '16': comment,
      });
    const first = (await submit(stack, [org('Sent once')])).reply.parsed.blocks[0]!;
    expect(first).toMatchObject({ status: 'APPROVED', errors: [] });
    const handle = first.handles[0]!;
    const before = await footprint(db);
    const again = await submit(stack, [org('Sent once')]);
    expect(again.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', errors: [], handles: [handle] });
    expect(again.reply.parsed.blocks[0]!.notes[0]).toMatch(
      new RegExp(`^already registered as ${handle}, nothing changed`),
    );
    await settledFor(stack.sink, stack.database.db, again.id);
    expect(await footprint(db)).toEqual(before);

    const otherData = (await submit(stack, [org('Sent twice')])).reply.parsed.blocks[0]!;
    expect(otherData.status).toBe('APPROVED');
    expect(otherData.handles[0]).not.toBe(handle);
    const otherAccount = (
      await submit(stack, [org('Sent once')], {
        subject: `SWIP ${BILLING_KEY}`,
        from: `Demo Billing <${BILLING_SENDER}>`,
      })
    ).reply.parsed.blocks[0]!;
    expect(otherAccount.status).toBe('APPROVED');
    expect(otherAccount.handles[0]).not.toBe(handle);
    expect(await count(db, 'orgs')).toBe(before.orgs + 2);
  });

  // Each form: the first registration, its resend, and what is not a resend (refused as before).
  const SUBDELEGATIONS = [
    {
      what: 'Reassign-Detailed 5.4 (IPv4)',
      first: toOrg('ARIN-REASSIGN-DETAILED-5.4', '198.51.100.0/28', 'DEMO-DETAILED-RESEND', 'OTHERISP-1'),
      otherData: toOrg(
        'ARIN-REASSIGN-DETAILED-5.4',
        '198.51.100.0/28',
        'DEMO-DETAILED-RESEND',
        'OTHERISP-1',
        'Another comment',
      ),
      otherOrg: toOrg('ARIN-REASSIGN-DETAILED-5.4', '198.51.100.0/28', 'DEMO-DETAILED-RESEND', RESELLER),
      refused: 'E_OVERLAP',
      others: ['E_OVERLAP', 'E_OVERLAP'],
    },
    {
      what: 'IPv6-Reassign 5.4',
      first: toOrg('ARIN-IPv6-REASSIGN-5.4', '2001:db8:10::/48', 'DEMO-V6-DETAILED-RESEND', 'OTHERISP-1'),
      otherData: toOrg('ARIN-IPv6-REASSIGN-5.4', '2001:db8:10::/48', 'DEMO-V6-OTHER-NAME', 'OTHERISP-1'),
      otherOrg: toOrg('ARIN-IPv6-REASSIGN-5.4', '2001:db8:10::/48', 'DEMO-V6-DETAILED-RESEND', RESELLER),
      refused: 'E_OVERLAP',
      others: ['E_OVERLAP', 'E_OVERLAP'],
    },
    {
      what: 'Reallocate 5.4 (IPv4) to an org the requester does not administer',
      first: toOrg('ARIN-REALLOCATE-5.4', '198.51.100.64/27', 'DEMO-REALLOC-RESEND', 'OTHERISP-1'),
      otherData: toOrg('ARIN-REALLOCATE-5.4', '198.51.100.64/27', 'DEMO-REALLOC-OTHER', 'OTHERISP-1'),
      otherOrg: toOrg('ARIN-REALLOCATE-5.4', '198.51.100.64/27', 'DEMO-REALLOC-RESEND', RESELLER),
      // The reallocation is the other ISP's now: the requester may not divide it, and the other
      // ISP's own template of the range is a new reallocation inside its own, as before.
      refused: 'E_NOT_AUTHORIZED',
      others: ['E_NOT_AUTHORIZED', 'APPROVED'],
    },
    {
      what: 'IPv6-Reallocate 5.4 to an org the requester administers',
      first: toOrg('ARIN-IPv6-REALLOCATE-5.4', '2001:db8:20::/48', 'DEMO-V6-REALLOC-RESEND', RESELLER),
      otherData: toOrg(
        'ARIN-IPv6-REALLOCATE-5.4',
        '2001:db8:20::/48',
        'DEMO-V6-REALLOC-RESEND',
        RESELLER,
        'Other',
      ),
      // An org holding IPv6 already (its own direct allocation): a new net there is reviewed.
      otherOrg: toOrg('ARIN-IPv6-REALLOCATE-5.4', '2001:db8:20::/48', 'DEMO-V6-REALLOC-RESEND', 'DEMOISP-1'),
      // Not a resend, the reseller's reallocation is the requester's to divide: what differs is a
      // new net inside it, as before (reviewed: the reseller already holds IPv6 space). So for the
      // billing account, which holds the same POC: the same template is a new net, not a resend.
      refused: 'PENDING_REVIEW',
      others: ['PENDING_REVIEW', 'E_NOT_AUTHORIZED'],
    },
    {
      what: 'Reassign-Detailed 4.1 writing out its org and POCs',
      first: writtenOut('ARIN-REASSIGN-DETAILED-4.1', '198.51.100.16/28'),
      otherData: writtenOut('ARIN-REASSIGN-DETAILED-4.1', '198.51.100.16/28', '+1-555-0159'),
      otherOrg: undefined,
      refused: 'E_OVERLAP',
      others: ['E_OVERLAP', 'E_OVERLAP'],
    },
    {
      what: 'Reallocate 4.1 writing out its org and POCs',
      first: writtenOut('ARIN-REALLOCATE-4.1', '198.51.100.32/28'),
      otherData: writtenOut('ARIN-REALLOCATE-4.1', '198.51.100.32/28', '+1-555-0159'),
      otherOrg: undefined,
      refused: 'E_NOT_AUTHORIZED',
      others: ['E_NOT_AUTHORIZED', 'E_NOT_AUTHORIZED'],
    },
  ] as const;

  it.each(SUBDELEGATIONS)(
    '$what sent again: APPROVED with its net and org, nothing changed; else as before',
    async (form) => {
      const db = stack.database.db;
      const first = (await submit(stack, [form.first])).reply.parsed.blocks[0]!;
      expect(first).toMatchObject({ status: 'APPROVED', errors: [] });
      const net = first.handles.find((h) => h.startsWith('NET'))!;
      const [row] = await db.select().from(tables.nets).where(eq(tables.nets.handle, net));
      const before = await footprint(db);

      const again = await submit(stack, [form.first]);
      const resent = again.reply.parsed.blocks[0]!;
      expect(resent).toMatchObject({ status: 'APPROVED', errors: [] });
      expect([...resent.handles].sort()).toEqual([net, row!.orgHandle!].sort());
      expect(resent.notes.some((n) => n.startsWith(`already registered as ${net}, nothing changed`))).toBe(
        true,
      );
      await settledFor(stack.sink, stack.database.db, again.id);
      expect(await footprint(db)).toEqual(before);

      // A dry run of the resend says what the real run said.
      const dry = await submit(stack, [form.first], { subject: `SWIP DRY-RUN ${DEMO_API_KEY}` });
      expect(dry.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', errors: [] });

      // What is not a resend is answered as before: refused (with no handle of the registration),
      // held for review, or a new net of its own.
      const notAResend = async (text: string, expected: string, from?: { subject: string; from: string }) => {
        const block = (await submit(stack, [text], from)).reply.parsed.blocks[0]!;
        expect(block.notes.join(' ')).not.toContain('already registered');
        expect(block.handles).not.toContain(net);
        if (expected.startsWith('E_')) {
          expect(block).toMatchObject({ status: 'REJECTED', handles: [] });
          expect(block.errors[0]?.code).toBe(expected);
        } else {
          expect(block.status).toBe(expected);
        }
      };
      await notAResend(form.otherData, form.refused);
      if (form.otherOrg) await notAResend(form.otherOrg, form.refused);
      await notAResend(form.first, form.others[0], {
        subject: `SWIP ${BILLING_KEY}`,
        from: `Demo Billing <${BILLING_SENDER}>`,
      });
      await notAResend(form.first, form.others[1], {
        subject: `SWIP ${OTHER_API_KEY}`,
        from: `Other ISP <${OTHER_SENDER}>`,
      });

      // And the requester's resend is still one, also where another's net of the same range now
      // lies inside the requester's (the other ISP reallocating its reallocation whole).
      const last = (await submit(stack, [form.first])).reply.parsed.blocks[0]!;
      expect(last).toMatchObject({ status: 'APPROVED', errors: [] });
      expect(last.handles).toContain(net);
      expect(last.notes.join(' ')).toContain(`already registered as ${net}, nothing changed`);
    },
  );
});
