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
import { OTHER_API_KEY, OTHER_SENDER, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import { quietFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

/** A second account of the demo ISP, holding the same POC (so the same authority), with its own key. */
const BILLING_KEY = 'API-DE70-0000-0000-0B11';
const BILLING_SENDER = 'billing@demo-isp.example';

async function count(db: Executor, table: string): Promise<number> {
  return Number(
    (await queryRows<{ n: string }>(db, sql.raw(`SELECT count(*)::text AS n FROM ${table}`)))[0]!.n,
  );
}

const poc = (phone: string) =>
  fillForm('ARIN-POC-5.1', {
    '01': 'N',
    '03': 'P',
    '04': 'Resender',
    '05': 'Robin',
    '07': 'Demo ISP',
    '08': '1 Demo Plaza',
    '09': 'Herndon',
    '10': 'VA',
    '11': '20170',
    '12': 'US',
    '13': phone,
    '15': 'robin@demo-isp.example',
  });

const CASES = BACKENDS.flatMap((backend) =>
  (['digest', 'per-template'] as const).map((style) => [backend, style] as const),
);

describe.each(CASES)('safe resends (%s, %s replies)', (backend, style) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend, env: { REPLY_STYLE: style } });
    const doc = validateSeed({
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
    await quietFor(stack.sink, again.id);
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
});
