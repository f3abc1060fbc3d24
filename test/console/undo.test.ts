/**
 * Undo of a staff action from its audit row, through the whole daemon: a /30 approved by
 * override is taken back (net and customer removed, template refused again, rejection open, one
 * audit row per step) and the sender, told APPROVED before, gets the answer that supersedes it
 * (the same ticket, REJECTED, `Supersedes:` the approval); an undo is not done twice; a change
 * the customer made since is never overwritten (E_UNDO_CONFLICT, nothing changed, nobody
 * mailed); an undo of an edit-and-apply with a message carries it as the block's note.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import { type ParsedReply, parseReply } from '../support/reply-reader.ts';
import { STAFF_EMAIL } from './support/console-stack.ts';
import { insertDemoBigAllocation, lastActionRow, netsNamed, simpleTemplate } from './support/rows.ts';
import { pageText } from './support/sign-in.ts';
import { signedInConsole } from './support/signed-in-console.ts';

const the = signedInConsole();

async function swip(text: string, subject: string) {
  const messageId = await the.stack.send({
    from: `Demo ISP billing <${DEMO_SENDER}>`,
    subject,
    text: `${text}\n`,
  });
  return { messageId, filed: () => the.stack.rejectionFor(messageId) };
}

/** Posts a form of a submission page (its CSRF token) and reads the banner the redirect leads to. */
async function act(submissionId: string, path: string, form: Record<string, string>): Promise<string> {
  await the.client.get(`/submissions/${submissionId}`);
  const posted = await the.client.post(path, form);
  expect(posted.status).toBe(303);
  const page = await the.client.get(posted.headers.get('location')!);
  return pageText(/<p class="flash [^"]*"[^>]*>([\s\S]*?)<\/p>/.exec(page.body)?.[1] ?? '');
}

const outboxOf = async (submissionId: string) =>
  await the.stack.db
    .select({
      kind: tables.outbox.kind,
      messageId: tables.outbox.messageId,
      raw: tables.outbox.raw,
      to: tables.outbox.recipients,
    })
    .from(tables.outbox)
    .where(eq(tables.outbox.submissionId, submissionId))
    // In the order they were written: an updated row (its sent mark) may come back anywhere else.
    .orderBy(asc(tables.outbox.id));

async function parsed(raw: string): Promise<ParsedReply> {
  const reply = await parseReply(raw);
  if (!reply.ok) throw new Error(`a reply does not parse: ${JSON.stringify(reply.error)}`);
  return reply.value;
}

/** The one reply the undo added to the submission's mail, to its sender, read as a billing system reads it. */
async function supersedingAnswer(
  submissionId: string,
  before: Awaited<ReturnType<typeof outboxOf>>,
): Promise<ParsedReply> {
  const added = (await outboxOf(submissionId)).filter(
    (m) => !before.some((b) => b.messageId === m.messageId),
  );
  expect(added).toHaveLength(1);
  expect(added[0]).toMatchObject({ kind: 'reply', to: [DEMO_SENDER] });
  const answer = await parsed(added[0]!.raw);
  const approval = before.filter((m) => m.kind === 'reply').at(-1)!;
  expect(answer.supersedes).toBe(approval.messageId);
  return answer;
}

const actionRow = (rejectionId: number, action: string) => lastActionRow(the.stack.db, rejectionId, action);
const netNamed = (name: string) => netsNamed(the.stack.db, name);

describe('undo of a staff action', () => {
  let filed: { submissionId: string; rejectionId: number };

  it('takes back an override: net and customer removed, template refused, rejection open, the approval superseded', async () => {
    filed = await (await swip(simpleTemplate('198.51.100.64/30', 'P2P-LINK', DEMO_API_KEY), 'p2p')).filed();
    const approved = await act(filed.submissionId, `/rejections/${filed.rejectionId}/override`, {
      waive: 'E_PREFIX_TOO_SMALL',
      note: 'a /30 for a link is fine',
    });
    expect(approved).toMatch(/^Done \(override\): template 1 APPROVED/);
    const [net] = await netNamed('P2P-LINK');
    expect(net).toBeDefined();
    const mailsBefore = await outboxOf(filed.submissionId);
    const override = await actionRow(filed.rejectionId, 'console.override');

    const page = (await the.client.get(`/submissions/${filed.submissionId}`)).body;
    expect(page).toContain(`action="/audit/${override}/undo"`);
    const undone = await act(filed.submissionId, `/audit/${override}/undo`, {
      note: 'wrong customer: the link is theirs',
      message: '',
    });
    expect(undone).toContain(`Undone: audit row ${override} (override); taken back: `);
    expect(undone).toContain(`net ${net!.handle}`);
    expect(undone).toContain(`customer ${net!.customerHandle}`);
    expect(undone).toContain(`Rejection ${filed.rejectionId} is open again. The sender is answered: reply `);
    expect(undone).toContain('superseding the approval.');

    expect(await netNamed('P2P-LINK')).toHaveLength(0);
    expect(
      await the.stack.db
        .select()
        .from(tables.customers)
        .where(eq(tables.customers.handle, net!.customerHandle!)),
    ).toHaveLength(0);
    const [template] = await the.stack.db
      .select()
      .from(tables.submissionTemplates)
      .where(eq(tables.submissionTemplates.submissionId, filed.submissionId));
    expect(template).toMatchObject({
      outcome: 'rejected',
      errors: [expect.objectContaining({ code: 'E_PREFIX_TOO_SMALL' })],
    });
    const [rejection] = await the.stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, filed.rejectionId));
    expect(rejection).toMatchObject({ state: 'open', closedBy: null });
    const [ticket] = await the.stack.db
      .select()
      .from(tables.tickets)
      .where(eq(tables.tickets.number, template!.ticketNumber!));
    expect(ticket).toMatchObject({ status: 'rejected', resolution: 'Undone by hostmaster staff.' });
    const answer = await supersedingAnswer(filed.submissionId, mailsBefore);
    expect(answer.status).toBe('REJECTED');
    expect(answer.blocks).toEqual([
      expect.objectContaining({
        ticket: template!.ticketNumber,
        status: 'REJECTED',
        handles: [],
        errors: [expect.objectContaining({ code: 'E_PREFIX_TOO_SMALL' })],
        notes: ['Undone by hostmaster staff: what was applied was taken back.'],
      }),
    ]);

    const audit = await the.stack.db
      .select({
        action: tables.auditLog.action,
        type: tables.auditLog.objectType,
        note: tables.auditLog.note,
        actor: tables.auditLog.actor,
        after: tables.auditLog.after,
      })
      .from(tables.auditLog)
      .where(
        and(
          eq(tables.auditLog.submissionId, filed.submissionId),
          inArray(tables.auditLog.action, ['remove', 'console.undo']),
        ),
      )
      .orderBy(tables.auditLog.id);
    expect(audit).toEqual([
      {
        action: 'remove',
        type: 'net',
        note: expect.stringMatching(/^undo of audit #\d+$/),
        actor: `staff:${STAFF_EMAIL}`,
        after: null,
      },
      {
        action: 'remove',
        type: 'customer',
        note: expect.stringMatching(/^undo of audit #\d+$/),
        actor: `staff:${STAFF_EMAIL}`,
        after: null,
      },
      {
        action: 'console.undo',
        type: 'rejection',
        note: 'wrong customer: the link is theirs',
        actor: `staff:${STAFF_EMAIL}`,
        after: {
          state: 'open',
          outcome: 'rejected',
          undoes: String(override),
          taken: [`net ${net!.handle}`, `customer ${net!.customerHandle}`],
        },
      },
    ]);

    const again = await act(filed.submissionId, `/audit/${override}/undo`, { note: 'again' });
    expect(again).toMatch(
      new RegExp(
        `^Not undone: E_ALREADY_UNDONE: audit row ${override} was undone by ${STAFF_EMAIL} at .* UTC\\. Nothing was changed\\.$`,
      ),
    );
  });

  it('refuses to undo what the customer changed since, and changes nothing', async () => {
    const approved = await act(filed.submissionId, `/rejections/${filed.rejectionId}/override`, {
      waive: 'E_PREFIX_TOO_SMALL',
      note: 'it was theirs after all',
    });
    expect(approved).toMatch(/^Done \(override\): template 1 APPROVED/);
    const override = await actionRow(filed.rejectionId, 'console.override');
    const [net] = await netNamed('P2P-LINK');
    // The customer renames the net since (a Reassign-Simple modify, applied by the worker).
    const modify = simpleTemplate('198.51.100.64/30', 'P2P-RENAMED', DEMO_API_KEY).replace(
      '01. Registration Action (N,M, or R): N',
      '01. Registration Action (N,M, or R): M',
    );
    await swip(modify, 'rename');
    for (let i = 0; i < 300 && (await netNamed('P2P-RENAMED')).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await netNamed('P2P-RENAMED')).toHaveLength(1);
    const mailsBefore = await outboxOf(filed.submissionId);

    const refused = await act(filed.submissionId, `/audit/${override}/undo`, {
      note: 'undo it',
      message: 'We took it back.',
    });
    expect(refused).toMatch(
      new RegExp(
        `^Not undone: E_UNDO_CONFLICT: net ${net!.handle} was changed after this action \\(modify by account demo-isp at .* UTC, ticket \\S+, audit #\\d+\\)\\. Nothing was changed\\.$`,
      ),
    );
    expect(await netNamed('P2P-RENAMED')).toHaveLength(1);
    const [rejection] = await the.stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, filed.rejectionId));
    expect(rejection!.state).toBe('overridden');
    expect(await outboxOf(filed.submissionId)).toEqual(mailsBefore);
  });

  it('undoes an edit-and-apply: the sender told APPROVED gets REJECTED on the same ticket, superseding it, with the message staff wrote', async () => {
    const edited = await (
      await swip(simpleTemplate('198.51.100.96/30', 'EDIT-LINK', DEMO_API_KEY), 'edit')
    ).filed();
    const page = (await the.client.get(`/submissions/${edited.submissionId}`)).body;
    const text = pageText(/<textarea name="text"[^>]*>([\s\S]*?)<\/textarea>/.exec(page)![1]!).replace(
      '/30',
      '/29',
    );
    const applied = await act(edited.submissionId, `/rejections/${edited.rejectionId}/edit`, {
      step: 'apply',
      basedOn: '1',
      text,
      note: 'a /29 was meant',
    });
    expect(applied).toMatch(/^Done \(edit-and-apply\): template 1 APPROVED/);
    const edit = await actionRow(edited.rejectionId, 'console.edit-and-apply');
    const before = await outboxOf(edited.submissionId);
    const undone = await act(edited.submissionId, `/audit/${edit}/undo`, {
      note: 'the customer withdrew it by phone',
      message: 'As agreed on the phone, 198.51.100.96/29 is not registered.',
    });
    expect(undone).toContain('superseding the approval.');
    expect(await netNamed('EDIT-LINK')).toHaveLength(0);
    const approval = before.filter((m) => m.kind === 'reply').at(-1)!;
    const approvalParsed = await parsed(approval.raw);
    expect(approvalParsed.status).toBe('APPROVED');
    const ticket = approvalParsed.blocks[0]!.ticket;
    expect(ticket).toBeDefined();

    const answer = await supersedingAnswer(edited.submissionId, before);
    expect(answer.submissionId).toBe(edited.submissionId);
    expect(answer.supersedes).toBe(approval.messageId);
    expect(answer.headers?.supersedes).toBe(approval.messageId);
    expect(answer.status).toBe('REJECTED');
    expect(answer.blocks).toEqual([
      expect.objectContaining({
        ticket,
        status: 'REJECTED',
        handles: [],
        errors: [expect.objectContaining({ code: 'E_PREFIX_TOO_SMALL' })],
        notes: [
          'Undone by hostmaster staff: what was applied was taken back.',
          'Message from hostmaster staff: As agreed on the phone, 198.51.100.96/29 is not registered.',
        ],
      }),
    ]);
  });

  it('puts work held for review back on hold, so it can still be rejected with a reason', async () => {
    await insertDemoBigAllocation(the.stack.db);
    const held = await (
      await swip(simpleTemplate('100.66.16.0/20', 'BIG-CUSTOMER', DEMO_API_KEY), 'big')
    ).filed();
    expect(held.reasonCode).toBe('E_STAFF_REVIEW');
    const approved = await act(held.submissionId, `/rejections/${held.rejectionId}/override`, {
      waive: 'E_STAFF_REVIEW',
      note: 'plan on file',
    });
    expect(approved).toMatch(/^Done \(override\): template 1 APPROVED/);
    const override = await actionRow(held.rejectionId, 'console.override');
    const undone = await act(held.submissionId, `/audit/${override}/undo`, {
      note: 'the plan was for another customer',
    });
    expect(undone).toContain(`Rejection ${held.rejectionId} is open again.`);
    const [template] = await the.stack.db
      .select()
      .from(tables.submissionTemplates)
      .where(eq(tables.submissionTemplates.submissionId, held.submissionId));
    expect(template!.outcome).toBe('pending_review');
    const [ticket] = await the.stack.db
      .select()
      .from(tables.tickets)
      .where(eq(tables.tickets.number, template!.ticketNumber!));
    expect(ticket).toMatchObject({ status: 'pending_review', closedAt: null });
    const rejected = await act(held.submissionId, `/rejections/${held.rejectionId}/reject`, {
      reason: 'A /20 for one customer needs a usage plan for that customer.',
      note: 'rejected after the undo',
    });
    expect(rejected).toMatch(/^Rejected: template 1, ticket \S+ closed\./);
  });

  it('records each console action as old -> new state on its audit row', async () => {
    const page = pageText((await the.client.get(`/submissions/${filed.submissionId}`)).body);
    expect(page).toContain('state: open → overridden');
    expect(page).toMatch(/state: overridden → open/);
  });
});
