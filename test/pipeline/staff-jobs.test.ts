/**
 * Staff actions as jobs through the real queue and worker: override a waivable rule, reprocess
 * after the registry was fixed, correct a field and apply. Each answers the customer again,
 * with a reply of its own (its own Message-ID, in the same thread), and closes the rejection.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser, signedStaffJob } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { jobIdFor, type UnsignedStaffJob } from '../../src/queue/index.ts';
import { findAccountByName, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createWorkerContext, runStaffJob } from '../../src/worker/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import { caughtFor, netByName, rejectionsOf, repliesFor, templateRows } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const STAFF = { staff: 'alice@rir.example', note: 'checked with the customer by phone' };
const MESSAGE = 'A /30 is accepted for point-to-point links.';

describe.each(BACKENDS)('staff jobs through the queue (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend });
    const staff = await createStaffUser(stack.database.db, STAFF.staff, 'a long staff passphrase', {
      oneTime: false,
    });
    if (!staff.ok) throw new Error(staff.error.message);
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Signed as the console signs its actions (the worker runs no staff job without it). */
  async function enqueue(job: UnsignedStaffJob, nonce: string): Promise<string> {
    const signed = await signedStaffJob(stack.database.db, job, jobIdFor(job, nonce));
    const queued = await stack.daemon.queue.enqueue(signed, { nonce });
    if (!queued.ok) throw new Error(queued.error.message);
    return queued.value.jobId;
  }

  /** Waits until the worker finished the job (the machine is busy: a generous limit). */
  async function finished(jobId: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const state = await stack.daemon.queue.queue.getJobState(jobId);
      if (state === 'completed') {
        // A refusal by design completes the job with its words (StaffRefusal), counted as no failure.
        const refused = (await stack.daemon.queue.queue.getJob(jobId))?.returnvalue?.refused;
        if (typeof refused === 'string') throw new Error(`job ${jobId} refused: ${refused}`);
        return;
      }
      if (state === 'failed') throw new Error(`job ${jobId} failed`);
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The customer's mail in the outbox for a submission (replies, not contact notices). */
  async function outboxReplies(id: string): Promise<string[]> {
    const rows = await stack.database.db
      .select({ messageId: tables.outbox.messageId, kind: tables.outbox.kind })
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, id));
    return rows.filter((r) => r.kind !== 'notification').map((r) => r.messageId);
  }

  it('override: a /30 refused with E_PREFIX_TOO_SMALL is applied when staff waive the rule', async () => {
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.4/30', name: 'DEMO-TINY' }),
    ]);
    expect(reply.parsed.blocks[0]!.errors.map((e) => e.code)).toEqual(['E_PREFIX_TOO_SMALL']);
    const [rejection] = await rejectionsOf(stack.database.db, id);
    expect(rejection).toMatchObject({ state: 'open', reasonCode: 'E_PREFIX_TOO_SMALL' });

    await enqueue(
      {
        kind: 'override',
        submissionId: id,
        templateIndex: 1,
        waive: ['E_PREFIX_TOO_SMALL'],
        rejectionId: rejection!.id,
        ...STAFF,
        message: MESSAGE,
      },
      'o1',
    );
    const [first, second] = await repliesFor(stack.sink, id, 2);
    expect(second!.parsed.headers?.messageId).not.toBe(first!.parsed.headers?.messageId);
    expect(second!.parsed.supersedes).toBe(first!.parsed.headers?.messageId);
    expect(second!.parsed.summary).toBe('hostmasterd processed 1 template: 1 APPROVED.');
    expect(second!.parsed.headers?.messageId).toContain(id);
    expect(second!.parsed.headers?.inReplyTo).toBe(first!.parsed.headers?.inReplyTo);
    const [block] = second!.parsed.blocks;
    expect(block).toMatchObject({ index: 1, status: 'APPROVED', errors: [] });
    // One template keeps one ticket: the staff decision is recorded on the customer's.
    expect(block!.ticket).toBe(reply.parsed.blocks[0]!.ticket);
    // The audit note stays with staff; the message to the sender is what the reply carries.
    expect(second!.mail.raw).not.toContain(STAFF.note);
    expect(block!.notes).toContain('Approved by hostmaster staff.');
    expect(block!.notes).toContain(`Message from hostmaster staff: ${MESSAGE}`);

    expect(await netByName(stack.database.db, 'DEMO-TINY')).toHaveLength(1);
    const [row] = await templateRows(stack.database.db, id);
    expect(row).toMatchObject({ outcome: 'approved', ticketNumber: block!.ticket });
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({
        state: 'overridden',
        closedBy: `staff:${STAFF.staff}`,
        staffNotes: STAFF.note,
      }),
    ]);
    const audit = await stack.database.db
      .select({ actor: tables.auditLog.actor })
      .from(tables.auditLog)
      .where(eq(tables.auditLog.ticketNumber, block!.ticket!));
    expect(audit.map((a) => a.actor)).toContain(`staff:${STAFF.staff}`);
  });

  it('reprocess: after the missing POC exists, only the refused template runs again', async () => {
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.8/29', name: 'DEMO-REPROCESS-OK' }),
      fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': '198.51.100.0/24', '05': 'LATE1-ARIN' }),
    ]);
    expect(reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED', 'REJECTED']);
    const firstTicket = reply.parsed.blocks[0]!.ticket;

    const doc = validateSeed({
      pocs: [
        {
          handle: 'LATE1-ARIN',
          type: 'person',
          lastName: 'Late',
          firstName: 'Lee',
          city: 'Springfield',
          country: 'US',
          state: 'VA',
          postalCode: '22150',
          street: ['1 Example Way'],
          emails: ['lee@demo-isp.example'],
          officePhones: ['+1-555-0101'],
        },
      ],
    });
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    // The demo ISP's own new POC: a net may be given only POCs its account speaks for.
    const demo = await findAccountByName(stack.database.db, 'demo-isp');
    await stack.database.db
      .insert(tables.accountPocs)
      .values({ accountId: demo!.id, pocHandle: 'LATE1-ARIN' });

    await enqueue({ kind: 'reprocess', submissionId: id, templateIndexes: [], ...STAFF }, 'r1');
    const [first, again] = await repliesFor(stack.sink, id, 2);
    // Read by machine like the first: every template of the message, a summary that counts them,
    // the same tickets, and the reply it replaces named in the body and the header.
    expect(again!.parsed.blocks.map((b) => [b.index, b.total, b.status])).toEqual([
      [1, 2, 'APPROVED'],
      [2, 2, 'APPROVED'],
    ]);
    expect(again!.parsed.summary).toBe('hostmasterd processed 2 templates: 2 APPROVED.');
    expect(again!.parsed.blocks.map((b) => b.ticket)).toEqual(first!.parsed.blocks.map((b) => b.ticket));
    expect(again!.parsed.supersedes).toBe(first!.parsed.headers?.messageId);
    expect(again!.parsed.headers?.supersedes).toBe(first!.parsed.headers?.messageId);
    expect(first!.parsed.supersedes).toBeUndefined();
    const rows = await templateRows(stack.database.db, id);
    expect(rows.map((r) => r.outcome)).toEqual(['approved', 'approved']);
    expect(rows[0]!.ticketNumber).toBe(firstTicket);
    expect(await netByName(stack.database.db, 'DEMO-REPROCESS-OK')).toHaveLength(1);
    const pocs = await stack.database.db
      .select()
      .from(tables.netPocs)
      .where(eq(tables.netPocs.netHandle, 'NET-198-51-100-0-1'));
    expect(pocs).toEqual([expect.objectContaining({ role: 'tech', pocHandle: 'LATE1-ARIN' })]);
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({ templateIndex: 2, state: 'reprocessed' }),
    ]);
  });

  it('reprocess that is refused again writes nothing to the customer, and claims no staff approval', async () => {
    const { id, reply } = await submit(stack, [
      fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': '198.51.100.0/24', '05': 'NEVER1-ARIN' }),
    ]);
    expect(reply.parsed.blocks[0]!.status).toBe('REJECTED');
    const before = await outboxReplies(id);
    expect(before).toHaveLength(1);

    for (const nonce of ['r-again', 'r-again-2', 'r-again-3']) {
      await finished(
        await enqueue({ kind: 'reprocess', submissionId: id, templateIndexes: [], ...STAFF }, nonce),
      );
    }
    expect(await outboxReplies(id)).toEqual(before);
    expect(caughtFor(stack.sink, id).replies).toBe(1);
    const [row] = await templateRows(stack.database.db, id);
    expect(row!.notes.join(' ')).not.toMatch(/approved/i);
    // Still the ticket the customer was given: nothing new was opened for them.
    expect(row!.ticketNumber).toBe(reply.parsed.blocks[0]!.ticket);
    expect(
      await stack.database.db.select().from(tables.tickets).where(eq(tables.tickets.submissionId, id)),
    ).toHaveLength(1);
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({ templateIndex: 1, state: 'open' }),
    ]);
  });

  it('an edit still refused and an override whose waiver cannot apply write nothing to the customer', async () => {
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.102.0/29', name: 'DEMO-STILL-WRONG' }),
    ]);
    expect(reply.parsed.blocks[0]!.status).toBe('REJECTED');
    const before = await outboxReplies(id);
    for (const [i, fieldValue] of ['198.51.103.0/29', '198.51.104.0/29', '198.51.105.0/29'].entries()) {
      await finished(
        await enqueue(
          {
            kind: 'edit-and-apply',
            submissionId: id,
            templateIndex: 1,
            // Each edit is written on the one before: version 1 is the customer's.
            text: simpleReassignment({ range: fieldValue, name: 'DEMO-STILL-WRONG' }),
            basedOnVersion: i + 1,
            waive: [],
            ...STAFF,
          },
          `still-${i}`,
        ),
      );
    }
    await finished(
      await enqueue(
        { kind: 'override', submissionId: id, templateIndex: 1, waive: ['E_PREFIX_TOO_SMALL'], ...STAFF },
        'still-override',
      ),
    );
    expect(await outboxReplies(id)).toEqual(before);
    expect(caughtFor(stack.sink, id).replies).toBe(1);
    expect(
      await stack.database.db.select().from(tables.tickets).where(eq(tables.tickets.submissionId, id)),
    ).toHaveLength(1);

    // The edits are versions, each on the one before; the customer's text is version 1.
    const versions = async () =>
      await stack.database.db
        .select()
        .from(tables.templateVersions)
        .where(eq(tables.templateVersions.submissionId, id))
        .orderBy(tables.templateVersions.version);
    const written = await versions();
    expect(written.map((v) => [v.version, v.author])).toEqual([
      [1, 'customer'],
      [2, `staff:${STAFF.staff}`],
      [3, `staff:${STAFF.staff}`],
      [4, `staff:${STAFF.staff}`],
    ]);
    expect(written[0]!.text).toContain('198.51.102.0/29');
    expect(written[3]!.text).toContain('198.51.105.0/29');
    // An edit written on version 2 while version 4 is current is refused whole: no version, no run.
    const stale = await enqueue(
      {
        kind: 'edit-and-apply',
        submissionId: id,
        templateIndex: 1,
        text: simpleReassignment({ range: '198.51.100.240/29', name: 'DEMO-STILL-WRONG' }),
        basedOnVersion: 2,
        waive: [],
        ...STAFF,
      },
      'stale',
    );
    await expect(finished(stale)).rejects.toThrow(/refused: E_EDIT_CONFLICT: template 1 is at version 4 /);
    expect(await stack.daemon.queue.queue.getJobState(stale)).toBe('completed');
    expect(await versions()).toHaveLength(4);
    expect(await outboxReplies(id)).toEqual(before);
  });

  it('edit-and-apply: staff correct the range and the template is applied as corrected', async () => {
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.101.0/29', name: 'DEMO-TYPO' }),
    ]);
    expect(reply.parsed.blocks[0]!.status).toBe('REJECTED');
    const refusedCode = reply.parsed.blocks[0]!.errors[0]!.code;

    await enqueue(
      {
        kind: 'edit-and-apply',
        submissionId: id,
        templateIndex: 1,
        text: simpleReassignment({ range: '198.51.100.200/29', name: 'DEMO-TYPO' }),
        basedOnVersion: 1,
        waive: [],
        ...STAFF,
      },
      'e1',
    );
    const [, corrected] = await repliesFor(stack.sink, id, 2);
    expect(corrected!.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(corrected!.parsed.blocks[0]!.handles).toContain('NET-198-51-100-200-1');
    const [net] = await netByName(stack.database.db, 'DEMO-TYPO');
    expect(net).toMatchObject({ handle: 'NET-198-51-100-200-1', parentHandle: 'NET-198-51-100-0-1' });
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({ reasonCode: refusedCode, state: 'overridden' }),
    ]);
  });

  it('approving work held for review closes the ticket the customer was given', async () => {
    const doc = validateSeed({
      nets: [
        { handle: 'NET-100-64-0-0-1', name: 'DEMO-ISP-LARGE', range: '100.64.0.0/16', org: 'DEMOISP-1' },
      ],
    });
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);

    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '100.64.32.0/20', name: 'DEMO-REVIEWED' }),
    ]);
    const held = reply.parsed.blocks[0]!;
    expect(held.status).toBe('PENDING_REVIEW');
    const [rejection] = await rejectionsOf(stack.database.db, id);
    expect(rejection).toMatchObject({ reasonCode: 'E_STAFF_REVIEW', state: 'open' });

    await enqueue(
      { kind: 'override', submissionId: id, templateIndex: 1, waive: ['E_STAFF_REVIEW'], ...STAFF },
      'review1',
    );
    const [, decided] = await repliesFor(stack.sink, id, 2);
    expect(decided!.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', ticket: held.ticket });
    expect(await netByName(stack.database.db, 'DEMO-REVIEWED')).toHaveLength(1);
    const [ticket] = await stack.database.db
      .select()
      .from(tables.tickets)
      .where(eq(tables.tickets.submissionId, id));
    expect(ticket).toMatchObject({ number: held.ticket, status: 'approved' });
    expect(ticket!.closedAt).not.toBeNull();
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({ reasonCode: 'E_STAFF_REVIEW', state: 'overridden' }),
    ]);
  });

  it('rejecting work held for review mails a parseable REJECTED with the reason, on the same ticket, closed', async () => {
    const doc = validateSeed({
      nets: [
        { handle: 'NET-100-65-0-0-1', name: 'DEMO-ISP-LARGE-2', range: '100.65.0.0/16', org: 'DEMOISP-1' },
      ],
    });
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '100.65.32.0/20', name: 'DEMO-TOO-BIG' }),
    ]);
    const held = reply.parsed.blocks[0]!;
    expect(held.status).toBe('PENDING_REVIEW');
    const reason = 'A /20 for one customer needs a utilisation plan; send it and submit again.';

    await enqueue({ kind: 'reject', submissionId: id, templateIndex: 1, reason, ...STAFF }, 'reject1');
    const [, decided] = await repliesFor(stack.sink, id, 2);
    expect(decided!.parsed.status).toBe('REJECTED');
    expect(decided!.parsed.headers?.status).toBe('REJECTED');
    expect(decided!.parsed.blocks[0]).toMatchObject({
      index: 1,
      status: 'REJECTED',
      ticket: held.ticket,
      errors: [{ code: 'E_REJECTED_BY_STAFF', message: reason }],
    });
    expect(decided!.mail.raw).not.toContain(STAFF.note);
    expect(await netByName(stack.database.db, 'DEMO-TOO-BIG')).toHaveLength(0);
    const tickets = await stack.database.db
      .select()
      .from(tables.tickets)
      .where(eq(tables.tickets.submissionId, id));
    expect(tickets).toEqual([
      expect.objectContaining({ number: held.ticket, status: 'rejected', resolution: reason }),
    ]);
    expect(tickets[0]!.closedAt).not.toBeNull();
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({
        reasonCode: 'E_STAFF_REVIEW',
        state: 'rejected',
        closedBy: `staff:${STAFF.staff}`,
      }),
    ]);

    // A second reject (or one of a template not held) has nothing to decide: refused, mails nothing.
    const again = await enqueue(
      { kind: 'reject', submissionId: id, templateIndex: 1, reason, ...STAFF },
      'reject2',
    );
    await expect(finished(again)).rejects.toThrow(/refused: .*not held for review/);
    expect(await outboxReplies(id)).toHaveLength(2);
  });

  it("a worker that dies before the staff action's answer is queued leaves nothing applied; run again, it answers", async () => {
    const { id } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.36/30', name: 'DEMO-CRASH' }),
    ]);
    const before = await outboxReplies(id);
    const ctx = createWorkerContext({
      config: stack.config,
      db: stack.database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
    });
    const job: UnsignedStaffJob = {
      kind: 'override',
      submissionId: id,
      templateIndex: 1,
      waive: ['E_PREFIX_TOO_SMALL'],
      ...STAFF,
    };
    const jobId = jobIdFor(job, 'crash');
    const signed = await signedStaffJob(stack.database.db, job, jobId);
    const dying = {
      ...ctx,
      enqueueReply: async () => {
        throw new Error('worker killed while queuing the answer');
      },
    };
    await expect(runStaffJob(dying, signed, jobId)).rejects.toThrow(/killed/);
    expect(await netByName(stack.database.db, 'DEMO-CRASH')).toHaveLength(0);
    expect((await templateRows(stack.database.db, id))[0]).toMatchObject({ outcome: 'rejected' });

    await runStaffJob(ctx, signed, jobId);
    expect(await netByName(stack.database.db, 'DEMO-CRASH')).toHaveLength(1);
    const after = await outboxReplies(id);
    expect(after).toHaveLength(before.length + 1);
  });

  it('a staff job on an already approved template changes nothing, applies nothing twice and mails nothing', async () => {
    const { id } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.16/29', name: 'DEMO-ONCE' }),
    ]);
    const before = await outboxReplies(id);
    await finished(
      await enqueue(
        { kind: 'override', submissionId: id, templateIndex: 1, waive: ['E_PREFIX_TOO_SMALL'], ...STAFF },
        'o2',
      ),
    );
    expect(await outboxReplies(id)).toEqual(before);
    expect(await netByName(stack.database.db, 'DEMO-ONCE')).toHaveLength(1);
    const rows = await templateRows(stack.database.db, id);
    expect(rows).toHaveLength(1);
  });
});
