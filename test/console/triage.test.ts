/**
 * The queue's triage: items that need a decision (work held for review, answers to our mail) in
 * a tab of their own, and refusals that the same account's later approval made moot closed by
 * themselves (`superseded`, linked to the approval), while another account's refusal about the
 * same range stays open. Real mail over SMTP through the whole daemon; the console over HTTP.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, OTHER_API_KEY, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { pageText, type SignedInGet, signIn } from './support/sign-in.ts';

const RANGE = '198.51.100.128/29';

describe('triage: decisions in their own tab, superseded refusals closed (PostgreSQL)', () => {
  let stack: ConsoleStack;
  let get: SignedInGet;
  const ids = {} as Record<'overlap' | 'othersRefusal' | 'approval' | 'complaint' | 'held', string>;
  const rows = {} as Record<'overlap' | 'othersRefusal' | 'complaint' | 'held', number>;
  let approvalTicket: string;

  async function sendTemplate(text: string, key: string, from = 'noc@demo-isp.example'): Promise<string> {
    return stack.send({ from, subject: `SWIP ${key}`, text: `${text}\n` });
  }

  async function refused(messageId: string, code: string): Promise<[string, number]> {
    const found = await stack.rejectionFor(messageId);
    expect(found.reasonCode).toBe(code);
    return [found.submissionId, found.rejectionId];
  }

  beforeAll(async () => {
    stack = await startConsoleStack();
    const large = validateSeed({
      nets: [
        { handle: 'NET-100-64-0-0-1', name: 'DEMO-ISP-LARGE', range: '100.64.0.0/16', org: 'DEMOISP-1' },
      ],
    });
    if (!large.ok) throw new Error('seed');
    const seeded = await seedRegistry(stack.db, large.value);
    if (!seeded.ok) throw new Error(seeded.error.message);

    const demo = (options: Parameters<typeof simpleReassignment>[0]) =>
      simpleReassignment({ ...options, apiKey: DEMO_API_KEY });
    await stack.processed(await sendTemplate(demo({ range: RANGE, name: 'CUST-A' }), DEMO_API_KEY));
    [ids.overlap, rows.overlap] = await refused(
      await sendTemplate(demo({ range: RANGE, name: 'CUST-B' }), DEMO_API_KEY),
      'E_OVERLAP',
    );
    // Another account's refusal about the same range: the demo ISP's approval must not close it.
    const other = simpleReassignment({ range: RANGE, name: 'CUST-OTHER', apiKey: OTHER_API_KEY });
    [ids.othersRefusal, rows.othersRefusal] = await refused(
      await sendTemplate(other, OTHER_API_KEY, 'noc@other-isp.example'),
      'E_OVERLAP',
    );
    // A removal approved about the range does not make the refused registration moot...
    await stack.processed(await sendTemplate(demo({ range: RANGE, action: 'R' }), DEMO_API_KEY));
    // ...the registration approved at last does.
    ids.approval = await stack.processed(
      await sendTemplate(demo({ range: RANGE, name: 'CUST-B' }), DEMO_API_KEY),
    );
    const [ticket] = await stack.db
      .select({ number: tables.tickets.number })
      .from(tables.tickets)
      .where(eq(tables.tickets.submissionId, ids.approval));
    approvalTicket = ticket!.number;
    [ids.complaint, rows.complaint] = await refused(
      await stack.send({
        from: 'noc@demo-isp.example',
        subject: `Question about ticket ${approvalTicket} ${DEMO_API_KEY}`,
        text: 'Why is CUST-B shown with the old street?\n',
      }),
      'E_ANSWER_TO_OUR_MAIL',
    );
    [ids.held, rows.held] = await refused(
      await sendTemplate(demo({ range: '100.64.16.0/20', name: 'CUST-BIG' }), DEMO_API_KEY),
      'E_STAFF_REVIEW',
    );
    get = await signIn(stack.baseUrl, STAFF_EMAIL, STAFF_PASSWORD);
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
  });

  async function listed(query: string): Promise<number[]> {
    const page = await get(`/rejections?${query}`);
    expect(page.status).toBe(200);
    return [...page.body.matchAll(/#rejection-(\d+)"/g)].map((m) => Number(m[1]));
  }

  it('the triage tab lists what needs a decision, and only that; the tab counts it from every tab', async () => {
    expect((await listed('view=triage')).sort()).toEqual([rows.complaint, rows.held].sort());
    const queue = await get('/rejections');
    expect(pageText(queue.body)).toMatch(/Needs a decision\s*2/);
    expect(queue.body).toContain('href="/rejections?view=triage"');
    // The filters keep the tab: a search inside it stays inside it.
    expect(await listed(`view=triage&q=${approvalTicket}`)).toEqual([rows.complaint]);
    expect(await listed('view=triage&reason=review')).toEqual([rows.held]);
  });

  it('a refusal the same account later got approved closes itself, linked to the approval; the other account keeps its own', async () => {
    const open = await listed('');
    expect(open).toContain(rows.othersRefusal);
    expect(open).not.toContain(rows.overlap);
    const [row] = await stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, rows.overlap));
    expect(row).toMatchObject({ state: 'superseded', supersededBy: ids.approval, closedBy: 'system' });
    expect(row!.staffNotes).toContain(approvalTicket);

    const superseded = await get('/rejections?state=superseded');
    expect(superseded.body).toContain(`#rejection-${rows.overlap}"`);
    expect(superseded.body).toContain(`href="/submissions/${ids.approval}"`);
    const page = await get(`/submissions/${ids.overlap}`);
    expect(pageText(page.body)).toContain(`superseded by the approval in ${ids.approval}`);
    expect(page.body).toContain(`href="/submissions/${ids.approval}"`);

    const [others] = await stack.db
      .select({ state: tables.rejections.state })
      .from(tables.rejections)
      .where(and(eq(tables.rejections.id, rows.othersRefusal)));
    expect(others!.state).toBe('open');
  });

  it('an answer to our mail shows what it answers, and the answered submission who answered it', async () => {
    const complaint = pageText((await get(`/submissions/${ids.complaint}`)).body);
    expect(complaint).toContain(`ticket ${approvalTicket} of ${ids.approval}, by ticket-in-subject`);
    const approval = await get(`/submissions/${ids.approval}`);
    expect(pageText(approval.body)).toContain(`Answered by:`);
    expect(approval.body).toContain(`href="/submissions/${ids.complaint}"`);
  });
});
