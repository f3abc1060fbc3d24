/**
 * Staff acting on work held for review whose result would still be refused (finding rev-staff
 * F3): the customer's ticket stays open and PENDING_REVIEW, nothing is mailed, and the item stays
 * in "Needs a decision" with why on the page. Before, an override that another rule refused
 * closed the ticket REJECTED with staff's "approved" message, and an edit with staff's own typo
 * refused the customer's valid template and mailed it. Real mail over SMTP; the console over HTTP.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import { simpleTemplate } from './support/rows.ts';
import { pageText } from './support/sign-in.ts';
import { signedInConsole } from './support/signed-in-console.ts';

const the = signedInConsole({ bigAllocation: true });

async function send(subject: string, text: string): Promise<string> {
  return await the.stack.send({ from: `Demo ISP <${DEMO_SENDER}>`, subject, text: `${text}\n` });
}

/** A /20 of the demo's big allocation, held for review (E_STAFF_REVIEW). */
async function held(range: string, name: string) {
  const filed = await the.stack.rejectionFor(
    await send(`hold ${name}`, simpleTemplate(range, name, DEMO_API_KEY)),
  );
  expect(filed.reasonCode).toBe('E_STAFF_REVIEW');
  return filed;
}

async function flashAfter(posted: { status: number; headers: Headers }): Promise<string> {
  expect(posted.status).toBe(303);
  const after = await the.client.get(posted.headers.get('location')!);
  return pageText(/<p class="flash [^"]*"[^>]*>([\s\S]*?)<\/p>/.exec(after.body)?.[1] ?? '');
}

/** What the customer holds for the submission: its outbox rows, its ticket, the queue item. */
async function standing(submissionId: string, rejectionId: number) {
  const replies = await the.stack.db
    .select({ kind: tables.outbox.kind })
    .from(tables.outbox)
    .where(and(eq(tables.outbox.submissionId, submissionId), eq(tables.outbox.kind, 'reply')));
  const [ticket] = await the.stack.db
    .select()
    .from(tables.tickets)
    .where(eq(tables.tickets.submissionId, submissionId));
  const [template] = await the.stack.db
    .select()
    .from(tables.submissionTemplates)
    .where(eq(tables.submissionTemplates.submissionId, submissionId));
  const [rejection] = await the.stack.db
    .select()
    .from(tables.rejections)
    .where(eq(tables.rejections.id, rejectionId));
  return { replies: replies.length, ticket, outcome: template?.outcome, rejection };
}

describe('a staff action on held work that would be refused leaves it held and mails nobody', () => {
  it('override: another rule now refuses the held /20; it stays held, and a reject with a reason still decides it', async () => {
    const filed = await held('100.66.16.0/20', 'BIG-HOLD-1');
    // Meanwhile the same account registers a /24 inside it, approved.
    await the.stack.processed(
      await send('small inside', simpleTemplate('100.66.16.0/24', 'SMALL-INSIDE', DEMO_API_KEY)),
    );

    await the.client.get(`/submissions/${filed.submissionId}`);
    const flash = await flashAfter(
      await the.client.post(`/rejections/${filed.rejectionId}/override`, {
        waive: 'E_STAFF_REVIEW',
        note: 'ok by policy',
        message: 'Your /20 is approved, welcome aboard.',
      }),
    );
    expect(flash).toContain('template 1 is held for review and after override would be refused (E_OVERLAP');
    expect(flash).toContain('it stays held, and nothing was applied or written to the customer');
    const now = await standing(filed.submissionId, filed.rejectionId);
    expect(now.replies).toBe(1);
    expect(now.outcome).toBe('pending_review');
    expect(now.ticket).toMatchObject({ status: 'pending_review', closedAt: null });
    expect(now.rejection).toMatchObject({ state: 'open', reasonCode: 'E_STAFF_REVIEW' });
    // Still in "Needs a decision", linked to its rejection.
    const triage = (await the.client.get('/rejections?view=triage')).body;
    expect(triage).toMatch(
      new RegExp(`/submissions/${filed.submissionId}\\?[^"#]*#rejection-${filed.rejectionId}"`),
    );

    // Staff decide it with a reason: that, and only that, is mailed.
    const rejected = await flashAfter(
      await the.client.post(`/rejections/${filed.rejectionId}/reject`, {
        reason: 'It overlaps your /24 SMALL-INSIDE; send the /20 again without it.',
        note: 'told by phone',
      }),
    );
    expect(rejected).toContain('Rejected: template 1');
    expect((await standing(filed.submissionId, filed.rejectionId)).replies).toBe(2);
  });

  it("edit-and-apply: staff's own typo in a valid held template is theirs to see, not the customer's", async () => {
    const filed = await held('100.66.32.0/20', 'HOLD-E');
    const page = await the.client.get(`/submissions/${filed.submissionId}`);
    const text = pageText(/<textarea name="text"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.body)![1]!);
    const apply = async (networkName: string) =>
      await flashAfter(
        await the.client.post(`/rejections/${filed.rejectionId}/edit`, {
          step: 'apply',
          basedOn: '1',
          text: text.replace('Network Name: HOLD-E', `Network Name: ${networkName}`),
          waive: 'E_STAFF_REVIEW',
          note: 'rename',
          message: 'We renamed your net and approved it.',
        }),
      );
    const typo = await apply('HOLD E!');
    expect(typo).toContain('template 1 is held for review and as edited would be refused (E_INVALID_VALUE');
    const now = await standing(filed.submissionId, filed.rejectionId);
    expect(now.replies).toBe(1);
    expect(now.outcome).toBe('pending_review');
    expect(now.ticket).toMatchObject({ status: 'pending_review', closedAt: null });
    expect(now.rejection).toMatchObject({ state: 'open', reasonCode: 'E_STAFF_REVIEW' });
    // The typo is not recorded as a version: the next edit is written on the customer's text.
    expect(
      await the.stack.db
        .select()
        .from(tables.templateVersions)
        .where(eq(tables.templateVersions.submissionId, filed.submissionId)),
    ).toHaveLength(0);

    const fixed = await apply('HOLD-E2');
    expect(fixed).toMatch(/Done \(edit-and-apply\): template 1 APPROVED/);
    const after = await standing(filed.submissionId, filed.rejectionId);
    expect(after.replies).toBe(2);
    expect(after.ticket).toMatchObject({ status: 'approved' });
  });
});
