/**
 * A DKIM signature authorizes one message. Demo ISP's NOC mails its changes without an API key,
 * signed by its domain; anyone who gets a copy of that mail (a mailing list archive, a forwarded
 * thread) can send it once more, re-sent (Resent-From and Resent-Date on top, RFC 5322 3.6.6)
 * or with another envelope: the bytes below the trace fields differ, so the ingress takes it as a
 * new message (a copy that differs only in trace fields, as after a second route, is a duplicate
 * delivery and never gets that far), and the signature still passes. Its templates must not be
 * applied a second time.
 */
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { fillForm, newRolePoc, simpleReassignment } from './support/forms.ts';
import {
  netByName,
  pocByHandle,
  quietFor,
  rejectionsOf,
  replyFor,
  templateRows,
} from './support/outcomes.ts';

/** What the registry holds, row by row: a replay must leave every count as it was. */
async function registryCounts(db: Database): Promise<Record<string, number>> {
  const counted = {
    pocs: tables.pocs,
    nets: tables.nets,
    customers: tables.customers,
    accountPocs: tables.accountPocs,
    tickets: tables.tickets,
    auditLog: tables.auditLog,
  };
  const out: Record<string, number> = {};
  for (const [name, table] of Object.entries(counted)) {
    const [row] = await db.select({ n: count() }).from(table);
    out[name] = row?.n ?? 0;
  }
  return out;
}

/** What someone re-sending a copy puts on top of it (and the relays that carried it after them). */
const RESENT =
  'Received: from relay.elsewhere.example (relay.elsewhere.example [203.0.113.9])\r\n' +
  '\tby mx.elsewhere.example with ESMTP id 4Xk; Wed, 25 Nov 2026 11:00:00 +0000\r\n' +
  'Resent-From: <someone@elsewhere.example>\r\n' +
  'Resent-Date: Wed, 25 Nov 2026 10:59:58 +0000\r\n';

describe.each(BACKENDS)('a DKIM-signed message sent again (%s)', (backend) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ backend, resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is applied once; a re-sent copy with another envelope is refused as a replay, nothing changed', async () => {
    const db = stack.database.db;
    const signed = await dkimSignMessage(
      mail({
        subject: 'New abuse role and a customer',
        messageId: '<replay-1@demo-isp.example>',
        body: `${newRolePoc('Replay Abuse Desk', 'abuse-desk@demo-isp.example')}\n${simpleReassignment({ range: '198.51.100.64/29', name: 'DEMO-REPLAY' })}`,
      }),
      'demo-isp.example',
    );

    const first = await stack.send(signed);
    const applied = await replyFor(stack.sink, first);
    expect(applied.parsed.refusal).toBeUndefined();
    expect(applied.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED', 'APPROVED']);
    const tickets = applied.parsed.blocks.map((b) => b.ticket ?? '');
    expect(tickets.every(Boolean)).toBe(true);
    const roleHandle = (await templateRows(db, first))[0]!.handles['poc']!;
    expect(await pocByHandle(db, roleHandle)).toMatchObject({ lastName: 'Replay Abuse Desk' });
    expect(await netByName(db, 'DEMO-REPLAY')).toHaveLength(1);
    const used = await db
      .select()
      .from(tables.usedDkimSignatures)
      .where(eq(tables.usedDkimSignatures.submissionId, first));
    expect(used).toHaveLength(1);
    const before = await registryCounts(db);

    // The same signed bytes, one hop further and from another envelope sender.
    const copy = Buffer.concat([Buffer.from(RESENT), signed]);
    const second = await stack.send(copy, { from: 'bounces@elsewhere.example' });
    expect(second).not.toBe(first);
    const refused = await replyFor(stack.sink, second);
    expect(refused.parsed.summary).toBe('hostmasterd refused your message: E_REPLAYED_SIGNATURE.');
    expect(refused.parsed.headers?.status).toBe('REJECTED');
    expect(refused.parsed.blocks).toEqual([]);
    const why = refused.parsed.refusal!;
    expect(why.code).toBe('E_REPLAYED_SIGNATURE');
    expect(why.message).toContain('DKIM signature of this message was already used');
    expect(why.message).toContain(`submission ${first}`);
    for (const ticket of tickets) expect(why.message).toContain(ticket);
    expect(why.message).toContain('nothing in the registry changed');
    expect(why.message).toMatch(/send a new message.*or put your API key/);
    // The prose under it says why too (templates/replies/refusals/E_REPLAYED_SIGNATURE.txt).
    expect(refused.mail.raw).toContain('A signature authorizes one message only');

    expect(await registryCounts(db)).toEqual(before);
    expect(await netByName(db, 'DEMO-REPLAY')).toHaveLength(1);
    expect(await templateRows(db, second)).toEqual([]);
    const [row] = await db.select().from(tables.submissions).where(eq(tables.submissions.id, second));
    expect(row).toMatchObject({ state: 'done', refusalCode: 'E_REPLAYED_SIGNATURE' });
    expect((await rejectionsOf(db, second)).map((r) => [r.templateIndex, r.reasonCode])).toEqual([
      [null, 'E_REPLAYED_SIGNATURE'],
    ]);
    // The signature still names the message that used it.
    const [still] = await db.select().from(tables.usedDkimSignatures);
    expect(still?.submissionId).toBe(first);
    await quietFor(stack.sink, second, 300);
  });

  it('a message with an API key is authorized by the key, signed or not: no signature is used up', async () => {
    const db = stack.database.db;
    const [{ n: usedBefore } = { n: 0 }] = await db.select({ n: count() }).from(tables.usedDkimSignatures);
    const signed = await dkimSignMessage(
      mail({
        subject: `POC phone ${DEMO_API_KEY}`,
        messageId: '<replay-key@demo-isp.example>',
        body: fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'DEMO1-ARIN', '13': '+1-703-555-0177' }),
      }),
      'demo-isp.example',
    );
    const first = await stack.send(signed);
    expect((await replyFor(stack.sink, first)).parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    // A copy of it speaks with the same key, as before: the key answers for it, not the signature.
    const second = await stack.send(Buffer.concat([Buffer.from(RESENT), signed]));
    const again = await replyFor(stack.sink, second);
    expect(again.parsed.refusal).toBeUndefined();
    expect(again.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    expect((await pocByHandle(db, 'DEMO1-ARIN'))?.phones.map((p) => p.number)).toContain('+1-703-555-0177');
    const [{ n: usedAfter } = { n: 0 }] = await db.select({ n: count() }).from(tables.usedDkimSignatures);
    expect(usedAfter).toBe(usedBefore);
  });
});

describe('a signed dry run, then the same signed bytes for real (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: { DRY_RUN_ADDRESS: 'dryrun@localhost' },
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the real run is refused as a replay, and the refusal says the earlier message was a dry run', async () => {
    const signed = await dkimSignMessage(
      mail({
        subject: 'New abuse role',
        messageId: '<dry-then-real@demo-isp.example>',
        body: newRolePoc('Dry Then Real Desk', 'desk@demo-isp.example'),
      }),
      'demo-isp.example',
    );
    const dry = await stack.send(signed, { to: ['dryrun@localhost'] });
    const tried = await replyFor(stack.sink, dry);
    expect(tried.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    const real = await stack.send(signed, { to: ['hostmaster@localhost'] });
    const refused = await replyFor(stack.sink, real);
    expect(refused.parsed.refusal?.code).toBe('E_REPLAYED_SIGNATURE');
    expect(refused.parsed.refusal?.message).toMatch(
      /That earlier message was a dry run.*must be a new message/,
    );
    expect(refused.mail.raw).toContain('A dry run uses the signature too');
  });
});
