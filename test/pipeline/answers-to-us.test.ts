/**
 * Mail that answers ours: a customer's question in reply to our reply, a contact's "I did NOT
 * make this change!" in reply to a change notice, a ticket number quoted by someone else. None
 * of them holds a template, and none is refused E_NO_TEMPLATE: each goes to staff as an answer
 * linked to its ticket and submission, and its sender gets one acknowledgement (RECEIVED) naming
 * the ticket, under the rules of whom we answer. Machines answering ours get nothing, and a
 * reply that holds a template is processed as ever (and linked).
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, OTHER_API_KEY, OTHER_SENDER } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { fillForm, newRolePoc, simpleReassignment } from './support/forms.ts';
import { noticesFor, quietFor, rejectionsOf, repliesFor, replyFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

async function linksOf(stack: Stack, submissionId: string) {
  return stack.database.db
    .select()
    .from(tables.messageLinks)
    .where(eq(tables.messageLinks.submissionId, submissionId))
    .orderBy(asc(tables.messageLinks.id));
}

describe.each(BACKENDS)('answers to our mail (%s)', (backend) => {
  let stack: Stack;
  /** The demo ISP's approved reassignment: its reply's Message-ID and its ticket. */
  let first: { id: string; messageId: string; ticket: string };

  beforeAll(async () => {
    stack = await startStack({
      backend,
      resolver: stubResolver({ dkimDomains: ['demo-isp.example', 'contact.example', 'stranger.example'] }),
    });
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.64/29', name: 'ANSWERED-1' }),
    ]);
    expect(reply.parsed.status).toBe('APPROVED');
    first = { id, messageId: reply.parsed.headers!.messageId!, ticket: reply.parsed.blocks[0]!.ticket! };
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a reply to our reply without a template is passed to staff, linked to its ticket, and acknowledged once', async () => {
    const raw = mail({
      subject: `Re: SWIP batch ${DEMO_API_KEY}`,
      messageId: '<question-1@demo-isp.example>',
      headers: { 'In-Reply-To': first.messageId, References: first.messageId },
      body: `Why does the customer show as Acme Widgets? We asked for Acme Gadgets.\n\n> hostmasterd processed 1 template: 1 APPROVED.\n> Submission: ${first.id}\n`,
    });
    const id = await stack.send(await dkimSignMessage(raw, 'demo-isp.example'));
    const ack = await replyFor(stack.sink, id);
    expect(ack.parsed.status).toBe('RECEIVED');
    expect(ack.parsed.headers?.status).toBe('RECEIVED');
    expect(ack.parsed.tickets).toEqual([first.ticket]);
    expect(ack.parsed.blocks).toEqual([]);
    expect(ack.parsed.refusal).toBeUndefined();
    expect(ack.parsed.summary).toBe('hostmasterd passed your message to registry staff: RECEIVED.');
    // An authenticated sender (its account's key and address): threaded, as every reply.
    expect(ack.parsed.headers?.inReplyTo).toBe('<question-1@demo-isp.example>');
    expect(ack.parsed.headers?.autoSubmitted).toBe('auto-replied');
    expect(ack.mail.rcptTo).toEqual(['noc@demo-isp.example']);

    const [row] = await rejectionsOf(stack.database.db, id);
    expect(row).toMatchObject({ reasonCode: 'E_ANSWER_TO_OUR_MAIL', state: 'open', templateIndex: null });
    expect(row!.reason).toContain(first.ticket);
    expect(row!.reason).toContain(first.id);
    expect(row!.reason).toContain('Acme Gadgets');
    expect(row!.reason).not.toContain('hostmasterd processed');
    expect(await linksOf(stack, id)).toEqual([
      expect.objectContaining({
        answersSubmissionId: first.id,
        ticketNumber: first.ticket,
        ourMessageId: first.messageId,
        way: 'in-reply-to',
        senderWasRecipient: true,
      }),
    ]);
    await quietFor(stack.sink, id);
  });

  it('a contact answering a change notice ("I did NOT make this change!") is a complaint, acknowledged at its proven address', async () => {
    const { id } = await submit(stack, [newRolePoc('Contact NOC', 'noc@contact.example')]);
    const [notice] = await noticesFor(stack.sink, id);
    expect(notice!.to).toEqual(['noc@contact.example']);
    const ticket = /ticket (\S+)\)/.exec(notice!.subject)![1]!;
    const raw = mail({
      from: 'Contact NOC <noc@contact.example>',
      subject: `Re: ${notice!.subject}`,
      messageId: '<complaint-1@contact.example>',
      headers: { 'In-Reply-To': notice!.messageId! },
      body: 'I did NOT make this change! Who asked for it?\n',
    });
    const complaint = await stack.send(await dkimSignMessage(raw, 'contact.example'), {
      from: 'noc@contact.example',
    });
    const ack = await replyFor(stack.sink, complaint);
    expect(ack.parsed.status).toBe('RECEIVED');
    expect(ack.parsed.tickets).toEqual([ticket]);
    expect(ack.mail.rcptTo).toEqual(['noc@contact.example']);
    // Verified by DKIM but holding no key of an account: nothing it wrote is sent back.
    expect(ack.parsed.headers?.subject).toBe(`Re: your message ${complaint}`);
    expect(ack.parsed.headers?.inReplyTo).toBeUndefined();
    const [row] = await rejectionsOf(stack.database.db, complaint);
    expect(row).toMatchObject({ reasonCode: 'E_ANSWER_TO_OUR_MAIL', state: 'open' });
    expect(row!.reason).toContain('I did NOT make this change!');
    expect(await linksOf(stack, complaint)).toEqual([
      expect.objectContaining({ answersSubmissionId: id, ticketNumber: ticket, senderWasRecipient: true }),
    ]);
  });

  it('a change notice says what changed, old -> new, and reaches the address that was replaced too', async () => {
    const created = await submit(stack, [newRolePoc('Moving NOC', 'old@contact.example')]);
    const handle = created.reply.parsed.blocks[0]!.handles[0]!;
    const { id } = await submit(stack, [
      fillForm('ARIN-POC-5.1', { '01': 'M', '02': handle, '09': 'Reston', '15': 'new@contact.example' }),
    ]);
    const [notice] = await noticesFor(stack.sink, id);
    expect([...notice!.to].sort()).toEqual(['new@contact.example', 'old@contact.example']);
    expect(notice!.text).toContain('City: Herndon -> Reston');
    expect(notice!.text).toContain('E-mail Address: old@contact.example -> new@contact.example');
    expect(notice!.text).not.toContain('updated at');
  });

  it('a ticket number quoted in the Subject by someone we never wrote to is linked, and staff read that', async () => {
    const raw = mail({
      from: 'someone@stranger.example',
      subject: `Question about ticket ${first.ticket}`,
      body: 'Is this network still in use?\n',
    });
    const id = await stack.send(await dkimSignMessage(raw, 'stranger.example'), {
      from: 'someone@stranger.example',
    });
    const ack = await replyFor(stack.sink, id);
    expect(ack.parsed.status).toBe('RECEIVED');
    // Not a party to it: the acknowledgement does not confirm the ticket; staff see it.
    expect(ack.parsed.tickets).toEqual([]);
    expect(ack.mail.raw).not.toContain(first.ticket);
    const [row] = await rejectionsOf(stack.database.db, id);
    expect(row!.reasonCode).toBe('E_ANSWER_TO_OUR_MAIL');
    expect(row!.reason).toContain('not among the recipients');
    expect(row!.reason).toContain(first.ticket);
    expect(await linksOf(stack, id)).toEqual([
      expect.objectContaining({
        way: 'ticket-in-subject',
        senderWasRecipient: false,
        answersSubmissionId: first.id,
      }),
    ]);
  });

  it('another account asking about our ticket by its key: acknowledged without that ticket, staff see it', async () => {
    const raw = mail({
      from: `Other NOC <${OTHER_SENDER}>`,
      subject: `question ${OTHER_API_KEY}`,
      body: `What is the status of ticket ${first.ticket}?\n`,
    });
    const id = await stack.send(raw, { from: OTHER_SENDER });
    const ack = await replyFor(stack.sink, id);
    expect(ack.parsed.status).toBe('RECEIVED');
    expect(ack.parsed.tickets).toEqual([]);
    expect(ack.mail.raw).not.toContain(first.ticket);
    expect(ack.mail.raw).not.toMatch(/answers\s+mail\s+we\s+sent\s+you/);
    const [row] = await rejectionsOf(stack.database.db, id);
    expect(row!.reason).toContain(first.ticket);
  });

  it('the demo ISP asking about its own ticket by its key: the ticket is confirmed', async () => {
    const own = await submit(stack, [simpleReassignment({ range: '198.51.100.96/29', name: 'ASKED-1' })]);
    const ticket = own.reply.parsed.blocks[0]!.ticket!;
    const raw = mail({
      subject: `question ${DEMO_API_KEY}`,
      body: `What is the status of ticket ${ticket}?\n`,
    });
    const id = await stack.send(raw);
    const ack = await replyFor(stack.sink, id);
    expect(ack.parsed.tickets).toEqual([ticket]);
  });

  it("a notice's own recipient answering it unverified: staff read that the From is one our mail went to, unverified", async () => {
    const { id: created } = await submit(stack, [newRolePoc('Unasked NOC', 'unasked@unsigned.example')]);
    const [notice] = await noticesFor(stack.sink, created);
    expect(notice?.to).toEqual(['unasked@unsigned.example']);
    const raw = mail({
      from: 'unasked@unsigned.example',
      subject: 'Re: notice',
      headers: { 'In-Reply-To': notice!.messageId! },
      body: 'Help! I never asked to be a contact for anything.\n',
    });
    const id = await stack.send(raw, { from: 'unasked@unsigned.example' });
    await stack.processed(id);
    const [row] = await rejectionsOf(stack.database.db, id);
    expect(row!.reasonCode).toBe('E_ANSWER_TO_OUR_MAIL');
    expect(row!.reason).not.toContain('not among the recipients');
    expect(row!.reason).toContain(
      "the sender's From is an address our mail about it went to, but unverified",
    );
    await quietFor(stack.sink, id);
  });

  it('an unverified sender answering our mail reaches staff, and nobody is mailed', async () => {
    const raw = mail({
      from: 'forger@unsigned.example',
      subject: 'Re: your change',
      headers: { 'In-Reply-To': first.messageId },
      body: 'Undo this at once.\n',
    });
    const id = await stack.send(raw, { from: 'forger@unsigned.example' });
    await stack.processed(id);
    const [row] = await rejectionsOf(stack.database.db, id);
    expect(row!.reasonCode).toBe('E_ANSWER_TO_OUR_MAIL');
    expect(row!.reason).toContain('not answered: unverified sender');
    await quietFor(stack.sink, id);
  });

  it('an auto-reply to our reply is no question: refused as before and not answered', async () => {
    const raw = mail({
      subject: 'Out of office: Re: SWIP',
      headers: { 'In-Reply-To': first.messageId, 'Auto-Submitted': 'auto-replied' },
      body: 'I am away until Monday.\n',
    });
    const id = await stack.send(await dkimSignMessage(raw, 'demo-isp.example'));
    await stack.processed(id);
    const [row] = await rejectionsOf(stack.database.db, id);
    expect(row!.reasonCode).toBe('E_NO_TEMPLATE');
    expect(await linksOf(stack, id)).toEqual([]);
    await quietFor(stack.sink, id);
  });

  it('a reply to our reply that holds a template is processed as usual, and linked', async () => {
    const { id, reply } = await submit(
      stack,
      [simpleReassignment({ range: '198.51.100.72/29', name: 'ANSWERED-2' })],
      { headers: { 'In-Reply-To': first.messageId } },
    );
    expect(reply.parsed.status).toBe('APPROVED');
    expect(await rejectionsOf(stack.database.db, id)).toEqual([]);
    expect(await linksOf(stack, id)).toEqual([
      expect.objectContaining({
        answersSubmissionId: first.id,
        ticketNumber: first.ticket,
        way: 'in-reply-to',
      }),
    ]);
  });

  it('an answer to our acknowledgement is about what the acknowledged message was about, and is not acknowledged again', async () => {
    const { reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.80/29', name: 'ANSWERED-3' }),
    ]);
    const ticket = reply.parsed.blocks[0]!.ticket!;
    const question = mail({
      subject: `Re: SWIP ${DEMO_API_KEY}`,
      headers: { 'In-Reply-To': reply.parsed.headers!.messageId! },
      body: 'One more question about it.\n',
    });
    const questionId = await stack.send(await dkimSignMessage(question, 'demo-isp.example'));
    const ack = await replyFor(stack.sink, questionId);
    const again = mail({
      subject: `Re: SWIP ${DEMO_API_KEY}`,
      headers: { 'In-Reply-To': ack.parsed.headers!.messageId! },
      body: 'Any news?\n',
    });
    const againId = await stack.send(await dkimSignMessage(again, 'demo-isp.example'));
    await stack.processed(againId);
    const [row] = await rejectionsOf(stack.database.db, againId);
    expect(row!.reasonCode).toBe('E_ANSWER_TO_OUR_MAIL');
    expect(row!.reason).toContain(ticket);
    expect(row!.reason).toContain('it answers our acknowledgement');
    // A responder that marks nothing answering our acknowledgement gets no second one: no loop.
    await quietFor(stack.sink, againId);
  });
});

describe('answers to our per-template replies (pglite, REPLY_STYLE=per-template)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: { REPLY_STYLE: 'per-template' },
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("a reply to the reply of template 2 of 2 is about that template's ticket alone, acknowledged in one mail", async () => {
    const { id } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.96/29', name: 'PER-TEMPLATE-1' }),
      simpleReassignment({ range: '198.51.100.104/29', name: 'PER-TEMPLATE-2' }),
    ]);
    const replies = await repliesFor(stack.sink, id, 2);
    const second = replies.find((r) => r.parsed.blocks[0]?.index === 2)!;
    const raw = mail({
      subject: `Re: PER-TEMPLATE-2 ${DEMO_API_KEY}`,
      headers: { 'In-Reply-To': second.parsed.headers!.messageId! },
      body: 'Please tell us more about this one.\n',
    });
    const answer = await stack.send(await dkimSignMessage(raw, 'demo-isp.example'));
    const [ack] = await repliesFor(stack.sink, answer, 1);
    expect(ack!.parsed.status).toBe('RECEIVED');
    expect(ack!.parsed.tickets).toEqual([second.parsed.blocks[0]!.ticket]);
    await quietFor(stack.sink, answer);
  });
});

describe('acknowledgements and the per-recipient limit (pglite, REPLY_LIMIT_PER_RECIPIENT_PER_HOUR=2)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: { REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: '2' },
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("counts acknowledgements for the requester's own address too: past the limit staff get the answer, nobody is mailed", async () => {
    // Three tickets: one acknowledgement per ticket and address, so each answer is due one.
    const tickets: string[] = [];
    for (const n of [1, 2, 3]) {
      const { reply } = await submit(stack, [
        simpleReassignment({ range: `198.51.100.${104 + 8 * n}/29`, name: `LIMITED-${n}` }),
      ]);
      tickets.push(reply.parsed.blocks[0]!.ticket!);
    }
    const answers: string[] = [];
    for (const n of [1, 2, 3]) {
      const ticket = tickets[n - 1]!;
      const raw = mail({ subject: `Re: ticket ${ticket} ${DEMO_API_KEY}`, body: `Question ${n}.\n` });
      answers.push(await stack.send(await dkimSignMessage(raw, 'demo-isp.example')));
      await stack.processed(answers[n - 1]!);
    }
    for (const id of answers.slice(0, 2))
      expect((await replyFor(stack.sink, id)).parsed.status).toBe('RECEIVED');
    const [held] = await rejectionsOf(stack.database.db, answers[2]!);
    expect(held!.reasonCode).toBe('E_ANSWER_TO_OUR_MAIL');
    expect(held!.reason).toContain('not answered: reply limit');
    await quietFor(stack.sink, answers[2]!);
  });
});
