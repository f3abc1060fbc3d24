/**
 * Whole messages as they arrive in a real mailbox: batches with a mistake, too many templates,
 * wrong keys, spoofed and DKIM-signed senders, duplicates, bounces and auto-replies, and work
 * that waits for staff review.
 */
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, OTHER_API_KEY, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { fillForm, newRolePoc, simpleReassignment } from './support/forms.ts';
import {
  caughtFor,
  netByName,
  quietFor,
  rejectionsOf,
  replyFor,
  templateRows,
  ticketOf,
} from './support/outcomes.ts';
import { submit } from './support/session.ts';

/** A bigger allocation, so a /20 reassignment (held for staff review) fits. */
const LARGE_ALLOCATION = {
  nets: [{ handle: 'NET-100-64-0-0-1', name: 'DEMO-ISP-LARGE', range: '100.64.0.0/16', org: 'DEMOISP-1' }],
};

/** A form we do not know, with the other ISP's key on its line 00. */
const FOOBAR_WITH_OTHER_KEY = [
  'Template: ARIN-FOOBAR-5.0',
  `00. API Key: ${OTHER_API_KEY}`,
  'END OF TEMPLATE',
].join('\n');

describe.each(BACKENDS)('whole messages (%s)', (backend) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ backend, resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }) });
    const doc = validateSeed(LARGE_ALLOCATION);
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('3 templates with 1 bad: 2 applied, 1 rejected with code and field, one reply with 3 blocks', async () => {
    const bad = simpleReassignment({ range: '198.51.100.8/29', name: 'DEMO-BATCH-BAD' }).replace(
      /^11\. Customer Country Code:.*$/m,
      '11. Customer Country Code: XX',
    );
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.0/29', name: 'DEMO-BATCH-1' }),
      bad,
      simpleReassignment({ range: '198.51.100.16/29', name: 'DEMO-BATCH-3' }),
    ]);
    expect(caughtFor(stack.sink, id).replies).toBe(1);
    expect(reply.parsed.summary).toBe('hostmasterd processed 3 templates: 2 APPROVED, 1 REJECTED.');
    expect(reply.parsed.headers?.status).toBe('REJECTED');
    expect(reply.parsed.blocks.map((b) => [b.index, b.total, b.status])).toEqual([
      [1, 3, 'APPROVED'],
      [2, 3, 'REJECTED'],
      [3, 3, 'APPROVED'],
    ]);
    const refused = reply.parsed.blocks[1]!;
    expect(refused.errors).toEqual([expect.objectContaining({ code: 'E_INVALID_COUNTRY', field: '11' })]);
    expect(refused.handles).toEqual([]);
    expect(await netByName(stack.database.db, 'DEMO-BATCH-1')).toHaveLength(1);
    expect(await netByName(stack.database.db, 'DEMO-BATCH-BAD')).toHaveLength(0);
    expect(await netByName(stack.database.db, 'DEMO-BATCH-3')).toHaveLength(1);
    expect((await templateRows(stack.database.db, id)).map((r) => r.outcome)).toEqual([
      'approved',
      'rejected',
      'approved',
    ]);
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({ templateIndex: 2, reasonCode: 'E_INVALID_COUNTRY', state: 'open' }),
    ]);
    await quietFor(stack.sink, id, 300);
  });

  it('11 templates: the whole message is refused, one reply says how many and the limit, nothing applied', async () => {
    const templates = Array.from({ length: 11 }, (_, i) =>
      simpleReassignment({ range: `198.51.100.${128 + i * 8}/29`, name: `DEMO-ELEVEN-${i + 1}` }),
    );
    const { id, reply } = await submit(stack, templates);
    expect(reply.parsed.status).toBe('REJECTED');
    expect(reply.parsed.blocks).toEqual([]);
    expect(reply.parsed.refusal?.code).toBe('E_TOO_MANY_TEMPLATES');
    expect(reply.parsed.refusal?.message).toMatch(/\b11\b/);
    expect(reply.parsed.refusal?.message).toMatch(/\b10\b/);
    const [{ nets }] = (await stack.database.db
      .select({ nets: count() })
      .from(tables.nets)
      .where(eq(tables.nets.name, 'DEMO-ELEVEN-1'))) as [{ nets: number }];
    expect(nets).toBe(0);
    expect(await templateRows(stack.database.db, id)).toEqual([]);
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({ templateIndex: null, reasonCode: 'E_TOO_MANY_TEMPLATES' }),
    ]);
  });

  it('a key nobody holds is refused (answered at the DKIM-verified From), and the reply does not echo it', async () => {
    const wrongKey = 'API-0BAD-0BAD-0BAD-0BAD';
    const { id, reply } = await submit(
      stack,
      [simpleReassignment({ range: '198.51.100.24/29', name: 'DEMO-WRONGKEY', apiKey: wrongKey })],
      { subject: 'SWIP', dkim: 'demo-isp.example' },
    );
    expect(reply.parsed.status).toBe('REJECTED');
    expect(reply.parsed.refusal?.code).toBe('E_INVALID_API_KEY');
    expect(reply.mail.raw).not.toContain(wrongKey);
    expect(await netByName(stack.database.db, 'DEMO-WRONGKEY')).toHaveLength(0);
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({ reasonCode: 'E_INVALID_API_KEY' }),
    ]);
  });

  it("the right key of another org on the demo ISP's space: E_NOT_AUTHORIZED, nothing changed", async () => {
    const { id, reply } = await submit(
      stack,
      [
        simpleReassignment({ range: '198.51.100.32/29', name: 'DEMO-HIJACK', apiKey: OTHER_API_KEY }),
        fillForm('ARIN-NET-MOD-5.3', {
          '00': OTHER_API_KEY,
          '01': 'M',
          '02': '198.51.100.0/24',
          '03': 'HIJACKED',
        }),
        fillForm('ARIN-POC-5.1', { '00': OTHER_API_KEY, '01': 'M', '02': 'DEMO1-ARIN', '09': 'Elsewhere' }),
      ],
      { subject: 'SWIP', from: 'Other ISP NOC <noc@other-isp.example>' },
    );
    expect(reply.mail.rcptTo).toEqual(['noc@other-isp.example']);
    expect(reply.parsed.blocks.map((b) => [b.status, b.errors.map((e) => e.code)])).toEqual([
      ['REJECTED', ['E_NOT_AUTHORIZED']],
      ['REJECTED', ['E_NOT_AUTHORIZED']],
      ['REJECTED', ['E_NOT_AUTHORIZED']],
    ]);
    expect(await netByName(stack.database.db, 'DEMO-HIJACK')).toHaveLength(0);
    expect(await netByName(stack.database.db, 'HIJACKED')).toHaveLength(0);
    const [poc] = await stack.database.db
      .select({ city: tables.pocs.city })
      .from(tables.pocs)
      .where(eq(tables.pocs.handle, 'DEMO1-ARIN'));
    expect(poc?.city).toBe('Springfield');
    expect((await rejectionsOf(stack.database.db, id)).map((r) => r.reasonCode)).toEqual([
      'E_NOT_AUTHORIZED',
      'E_NOT_AUTHORIZED',
      'E_NOT_AUTHORIZED',
    ]);
  });

  it('a spoofed From without DKIM is refused, unanswered; a signature by another domain does not help', async () => {
    const body = simpleReassignment({ range: '198.51.100.40/29', name: 'DEMO-SPOOFED' });
    const plain = await stack.send(mail({ body, subject: 'SWIP', messageId: '<spoof-1@attacker.example>' }));
    const raw = mail({ body, subject: 'SWIP', messageId: '<spoof-2@attacker.example>' });
    const signed = await stack.send(await dkimSignMessage(raw, 'attacker.example'));
    for (const id of [plain, signed]) {
      await stack.processed(id);
      // Nobody proved to be noc@demo-isp.example: it is not mailed (backscatter), staff see why.
      expect(caughtFor(stack.sink, id)).toEqual({ replies: 0, notices: 0 });
      expect(await rejectionsOf(stack.database.db, id)).toEqual([
        expect.objectContaining({
          reasonCode: 'E_SENDER_NOT_VERIFIED',
          reason: expect.stringMatching(/not answered: unverified sender/),
        }),
      ]);
    }
    expect(await netByName(stack.database.db, 'DEMO-SPOOFED')).toHaveLength(0);
  });

  it('a From signed with DKIM by its own domain is trusted without a key', async () => {
    const raw = mail({
      body: simpleReassignment({ range: '198.51.100.48/29', name: 'DEMO-DKIM' }),
      subject: 'SWIP',
      messageId: '<dkim-1@demo-isp.example>',
    });
    const id = await stack.send(await dkimSignMessage(raw, 'demo-isp.example'));
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    expect(await netByName(stack.database.db, 'DEMO-DKIM')).toHaveLength(1);
  });

  it('a second key on a line 00 refuses the whole message, even in a template that cannot be read', async () => {
    // The demo ISP's key is in the Subject; the other ISP's key is on a second line 00 of a
    // Net-Mod (a template refused for that line alone), or on line 00 of a form we do not know.
    const reassignment = simpleReassignment({ range: '198.51.100.72/29', name: 'DEMO-TWO-KEYS' });
    const twoLines = fillForm('ARIN-NET-MOD-5.3', {
      '00': [DEMO_API_KEY, OTHER_API_KEY],
      '01': 'M',
      '02': '198.51.100.0/24',
      '08': 'two keys',
    });
    for (const other of [twoLines, FOOBAR_WITH_OTHER_KEY]) {
      // Two keys prove no one: the refusal reaches the sender only as a DKIM-verified From.
      const { id, reply } = await submit(stack, [other, reassignment], { dkim: 'demo-isp.example' });
      expect(reply.parsed.refusal?.code).toBe('E_MULTIPLE_API_KEYS');
      expect(reply.parsed.blocks).toEqual([]);
      expect(reply.mail.raw).not.toContain(OTHER_API_KEY);
      expect(reply.mail.raw).not.toContain(DEMO_API_KEY);
      expect(await templateRows(stack.database.db, id)).toEqual([]);
    }
    expect(await netByName(stack.database.db, 'DEMO-TWO-KEYS')).toHaveLength(0);
  });

  it('the one key of a message speaks for it even on a form we do not know, not the DKIM-signed sender', async () => {
    const raw = mail({
      body: `${FOOBAR_WITH_OTHER_KEY}\n\n${simpleReassignment({ range: '198.51.100.80/29', name: 'DEMO-FOOBAR-KEY' })}`,
      subject: 'SWIP',
      messageId: '<foobar-key@demo-isp.example>',
    });
    const id = await stack.send(await dkimSignMessage(raw, 'demo-isp.example'));
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.blocks.map((b) => [b.status, b.errors.map((e) => e.code)])).toEqual([
      ['REJECTED', ['E_UNKNOWN_TEMPLATE']],
      ['REJECTED', ['E_NOT_AUTHORIZED']],
    ]);
    expect(reply.mail.raw).not.toContain(OTHER_API_KEY);
    expect(await netByName(stack.database.db, 'DEMO-FOOBAR-KEY')).toHaveLength(0);
  });

  it('the same message delivered twice makes one submission and one reply', async () => {
    const raw = mail({
      body: simpleReassignment({ range: '198.51.100.56/29', name: 'DEMO-TWICE' }),
      subject: `SWIP ${DEMO_API_KEY}`,
      messageId: '<twice@demo-isp.example>',
    });
    const first = await stack.send(raw);
    await replyFor(stack.sink, first);
    const second = await stack.send(raw);
    expect(second).toBe(first);
    await quietFor(stack.sink, first);
    expect(caughtFor(stack.sink, first).replies).toBe(1);
    const rows = await stack.database.db
      .select({ id: tables.submissions.id })
      .from(tables.submissions)
      .where(eq(tables.submissions.messageId, '<twice@demo-isp.example>'));
    expect(rows).toEqual([{ id: first }]);
    expect(await netByName(stack.database.db, 'DEMO-TWICE')).toHaveLength(1);
  });

  it('one message that came by two paths (a backup MX added its trace fields) is handled once', async () => {
    const raw = mail({
      body: newRolePoc('Two Paths NOC', 'two-paths@demo-isp.example'),
      subject: `POC ${DEMO_API_KEY}`,
      messageId: '<two-paths@demo-isp.example>',
    });
    const first = await stack.send(raw);
    await replyFor(stack.sink, first);
    const relayed = [
      'Received: from mx1.demo-isp.example by backup-mx.rir.example; Wed, 25 Nov 2026 11:02:10 +0000',
      'Delivered-To: hostmaster@rir.example',
      raw,
    ].join('\r\n');
    const second = await stack.send(relayed, { from: 'noc@demo-isp.example' });
    expect(second).toBe(first);
    await quietFor(stack.sink, first);
    expect(caughtFor(stack.sink, first).replies).toBe(1);
    const roles = await stack.database.db
      .select({ handle: tables.pocs.handle })
      .from(tables.pocs)
      .where(eq(tables.pocs.lastName, 'Two Paths NOC'));
    expect(roles).toHaveLength(1);
    // What the sender wrote differs: another message, handled on its own.
    const corrected = raw.replace('Two Paths NOC', 'Two Paths NOC B');
    expect(await stack.send(corrected)).not.toBe(first);
  });

  it('bounces and auto-replies are not answered but kept for staff', async () => {
    const bounce = mail({
      from: 'Mail Delivery System <MAILER-DAEMON@mx.demo-isp.example>',
      subject: 'Undelivered Mail Returned to Sender',
      body: 'This is the mail system at host mx.demo-isp.example.\n\nI am sorry to have to inform you that your message could not be delivered.\n',
    });
    const nullSender = await stack.send(bounce, { from: '' });
    const daemon = await stack.send(bounce.replace('Message-ID: <', 'Message-ID: <d'), {
      from: 'MAILER-DAEMON@mx.demo-isp.example',
    });
    const autoReply = await stack.send(
      mail({
        subject: `Automatic reply: SWIP ${DEMO_API_KEY}`,
        headers: { 'Auto-Submitted': 'auto-generated' },
        body: simpleReassignment({ range: '198.51.100.64/29', name: 'DEMO-AUTO' }),
      }),
    );
    for (const id of [nullSender, daemon, autoReply]) await stack.processed(id);
    await quietFor(stack.sink, autoReply, 600);
    for (const id of [nullSender, daemon, autoReply]) {
      expect(caughtFor(stack.sink, id)).toEqual({ replies: 0, notices: 0 });
    }
    const [bounceRow] = await rejectionsOf(stack.database.db, nullSender);
    expect(bounceRow).toMatchObject({ templateIndex: null, reasonCode: 'E_NO_TEMPLATE', state: 'open' });
    expect(bounceRow!.reason).toMatch(/not answered: .*bounce/);
    expect(await rejectionsOf(stack.database.db, daemon)).toEqual([
      expect.objectContaining({
        reasonCode: 'E_NO_TEMPLATE',
        reason: expect.stringMatching(/MAILER-DAEMON/i),
      }),
    ]);
    expect(await rejectionsOf(stack.database.db, autoReply)).toEqual([
      expect.objectContaining({
        templateIndex: null,
        reasonCode: 'E_NOT_ANSWERED',
        reason: expect.stringContaining('Auto-Submitted'),
      }),
    ]);
    const [submission] = await stack.database.db
      .select({ raw: tables.submissions.raw })
      .from(tables.submissions)
      .where(eq(tables.submissions.id, nullSender));
    expect(submission!.raw.toString('utf8')).toContain('could not be delivered');
  });

  it('mail that reads like a person but is a loop, a list or bulk is applied and kept for staff, never answered', async () => {
    const cases: { name: string; headers: Record<string, string>; reason: RegExp }[] = [
      // A robot that marks its mail with the address it came through: ours.
      { name: 'DEMO-XLOOP', headers: { 'X-Loop': 'hostmaster@localhost' }, reason: /X-Loop names/ },
      // One of our own replies, sent back by a forwarder that dropped Auto-Submitted.
      {
        name: 'DEMO-OWN-REPLY',
        headers: {
          'X-Hostmaster-Status': 'APPROVED',
          'X-Hostmaster-Submission': 'S0000000000000000000000000',
        },
        reason: /X-Hostmaster-Status/,
      },
      // A list without List-Id: only its RFC 2369 fields say so.
      {
        name: 'DEMO-LIST-POST',
        headers: {
          'List-Post': '<mailto:noc-list@demo-isp.example>',
          'List-Unsubscribe': '<mailto:noc-list-request@demo-isp.example>',
        },
        reason: /mailing list \(List-Post\)/,
      },
      { name: 'DEMO-BULK', headers: { Precedence: 'Bulk (newsletter)' }, reason: /Precedence: bulk/ },
      // A reply would go to a bounce address, or to the list's robot.
      {
        name: 'DEMO-RT-DAEMON',
        headers: { 'Reply-To': 'MAILER-DAEMON@mx.demo-isp.example' },
        reason: /MAILER-DAEMON@mx\.demo-isp\.example is a mail system address/,
      },
      {
        name: 'DEMO-RT-LIST',
        headers: { 'Reply-To': 'NOC list <noc-list-request@demo-isp.example>' },
        reason: /noc-list-request@demo-isp\.example is a mailing list's address/,
      },
    ];
    const sent: { id: string; raw: string; name: string; reason: RegExp }[] = [];
    for (const [i, c] of cases.entries()) {
      const raw = mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        headers: c.headers,
        body: simpleReassignment({ range: `198.51.100.${88 + 8 * i}/29`, name: c.name }),
      });
      sent.push({ id: await stack.send(raw), raw, name: c.name, reason: c.reason });
    }
    for (const { id } of sent) await stack.processed(id);
    await quietFor(stack.sink, sent.at(-1)!.id, 600);
    for (const { id, raw, name, reason } of sent) {
      expect(caughtFor(stack.sink, id), name).toEqual({ replies: 0, notices: 0 });
      expect(await netByName(stack.database.db, name), name).toHaveLength(1);
      expect(await rejectionsOf(stack.database.db, id), name).toEqual([
        expect.objectContaining({ templateIndex: null, reasonCode: 'E_NOT_ANSWERED', state: 'open' }),
      ]);
      const [row] = await rejectionsOf(stack.database.db, id);
      expect(row!.reason, name).toMatch(reason);
      const [stored] = await stack.database.db
        .select({ raw: tables.submissions.raw })
        .from(tables.submissions)
        .where(eq(tables.submissions.id, id));
      expect(stored!.raw.toString('utf8'), name).toBe(raw);
    }
  });

  it('mail whose MIME cannot be read is answered only if it comes from a verified person', async () => {
    // 1,200 parts: mailparser gives up ("Max allowed child nodes exceeded"), E_BAD_MIME.
    const unreadable = (headers: readonly string[]) =>
      [
        ...headers,
        `Message-ID: <many-parts-${Math.random().toString(36).slice(2)}@demo-isp.example>`,
        'To: hostmaster@localhost',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n'.repeat(1200) + '--b--\r\n',
      ].join('\r\n');
    const autoReply = await stack.send(
      unreadable([
        'From: Demo ISP NOC <noc@demo-isp.example>',
        'Subject: Automatic reply: SWIP',
        'Auto-Submitted: auto-replied',
      ]),
    );
    const digest = await stack.send(
      unreadable([
        'From: noc-list@demo-isp.example',
        'Subject: noc-list digest, Vol 12, Issue 3',
        'List-Id: <noc-list.demo-isp.example>',
        'Precedence: list',
      ]),
      { from: 'noc-list-bounces@demo-isp.example' },
    );
    const person = await stack.send(
      await dkimSignMessage(
        unreadable(['From: Demo ISP NOC <noc@demo-isp.example>', 'Subject: SWIP, 1200 attachments']),
        'demo-isp.example',
      ),
    );
    const reply = await replyFor(stack.sink, person);
    expect(reply.mail.rcptTo).toEqual(['noc@demo-isp.example']);
    expect(reply.parsed.headers?.status).toBe('REJECTED');
    for (const id of [autoReply, digest]) await stack.processed(id);
    await quietFor(stack.sink, digest, 600);
    expect(caughtFor(stack.sink, autoReply)).toEqual({ replies: 0, notices: 0 });
    expect(caughtFor(stack.sink, digest)).toEqual({ replies: 0, notices: 0 });
    expect(await rejectionsOf(stack.database.db, autoReply)).toEqual([
      expect.objectContaining({
        reasonCode: 'E_BAD_MIME',
        reason: expect.stringMatching(/not answered: Auto-Submitted: auto-replied/),
      }),
    ]);
    expect(await rejectionsOf(stack.database.db, digest)).toEqual([
      expect.objectContaining({
        reasonCode: 'E_BAD_MIME',
        reason: expect.stringMatching(/not answered: Precedence: list/),
      }),
    ]);
  });

  it('a Message-ID built from an API key is not echoed in the threading headers', async () => {
    const keyed = `<${DEMO_API_KEY}.1764064800@billing.demo-isp.example>`;
    const id = await stack.send(
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        messageId: keyed,
        headers: {
          References: `<thread-7@billing.demo-isp.example> <${DEMO_API_KEY}.1@billing.demo-isp.example>`,
        },
        body: simpleReassignment({ range: '198.51.100.136/29', name: 'DEMO-KEYED-ID' }),
      }),
    );
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    expect(reply.mail.raw).not.toContain(DEMO_API_KEY);
    expect(reply.mail.raw).not.toMatch(/^In-Reply-To:/im);
    expect(reply.parsed.headers?.references).toEqual(['<thread-7@billing.demo-isp.example>']);
  });

  it('an IPv4 reassignment of a /20 waits for staff: PENDING_REVIEW, ticket open, nothing applied', async () => {
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '100.64.16.0/20', name: 'DEMO-BIG-CUSTOMER' }),
    ]);
    const [block] = reply.parsed.blocks;
    expect(block!.status).toBe('PENDING_REVIEW');
    expect(reply.parsed.headers?.status).toBe('PENDING_REVIEW');
    expect(block!.ticket).toBeDefined();
    expect(block!.notes.join(' ')).toMatch(/review/i);
    const ticket = await ticketOf(stack.database.db, block!.ticket!);
    expect(ticket).toMatchObject({ status: 'pending_review', closedAt: null });
    expect(await netByName(stack.database.db, 'DEMO-BIG-CUSTOMER')).toHaveLength(0);
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({ templateIndex: 1, reasonCode: 'E_STAFF_REVIEW', state: 'open' }),
    ]);
  });
});

describe('REPLY_STYLE=per-template (postgres)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'postgres', env: { REPLY_STYLE: 'per-template' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers each template on its own, the way the registry processor did', async () => {
    const raw = mail({
      subject: `REASSIGN SIMPLE ${DEMO_API_KEY}`,
      messageId: '<per-template@demo-isp.example>',
      body: [
        simpleReassignment({ range: '198.51.100.0/29', name: 'DEMO-PT-1' }),
        simpleReassignment({ range: '203.0.113.0/29', name: 'DEMO-PT-2' }),
      ].join('\n'),
    });
    const id = await stack.send(raw);
    const { repliesFor } = await import('./support/outcomes.ts');
    const replies = await repliesFor(stack.sink, id, 2);
    const byIndex = [...replies].sort((a, b) => a.parsed.blocks[0]!.index - b.parsed.blocks[0]!.index);
    const [first, second] = byIndex.map((r) => r.parsed);
    expect(first!.headers?.subject).toBe('Re: REASSIGN SIMPLE API-****-****-****-0001 --APPROVED');
    expect(first!.headers?.status).toBe('APPROVED');
    expect(first!.summary).toBe('hostmasterd processed template 1 of 2: APPROVED.');
    expect(first!.blocks).toHaveLength(1);
    expect(second!.headers?.subject).toMatch(/^Re: REASSIGN SIMPLE .* --REJECTED$/);
    expect(second!.headers?.status).toBe('REJECTED');
    expect(second!.blocks[0]!.errors[0]!.code).toBe('E_NOT_AUTHORIZED');
    for (const r of byIndex) {
      expect(r.parsed.headers?.inReplyTo).toBe('<per-template@demo-isp.example>');
      expect(r.mail.raw).not.toContain(DEMO_API_KEY);
    }
    expect(new Set(byIndex.map((r) => r.parsed.headers?.messageId)).size).toBe(2);
    await quietFor(stack.sink, id, 300);
  });
});
