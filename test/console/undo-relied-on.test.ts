/**
 * An undo never takes back what a later APPROVED ticket still names (finding rev-staff F1): a
 * customer's resend answered "already registered as NET-..., nothing changed", or a second held
 * copy approved the same way, wrote no audit row, so the undo saw no later change and removed the
 * net and customer that ticket's sender had just been told it holds. Now the undo is refused
 * (E_UNDO_CONFLICT, naming that ticket), nothing changes and nobody is mailed. Real mail over
 * SMTP through the whole daemon; the console over HTTP.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import { parseReply } from '../support/reply-reader.ts';
import { lastActionRow, netsNamed, simpleTemplate } from './support/rows.ts';
import { pageText } from './support/sign-in.ts';
import { signedInConsole } from './support/signed-in-console.ts';

const the = signedInConsole({ bigAllocation: true });

const send = async (text: string, subject: string) =>
  await the.stack.send({ from: `Demo ISP billing <${DEMO_SENDER}>`, subject, text: `${text}\n` });

/** Posts a form of a submission page (its CSRF token) and reads the banner the redirect leads to. */
async function act(submissionId: string, path: string, form: Record<string, string>): Promise<string> {
  await the.client.get(`/submissions/${submissionId}`);
  const posted = await the.client.post(path, form);
  expect(posted.status).toBe(303);
  const page = await the.client.get(posted.headers.get('location')!);
  return pageText(/<p class="flash [^"]*"[^>]*>([\s\S]*?)<\/p>/.exec(page.body)?.[1] ?? '');
}

/** The last reply the submission's sender got, read as a billing system reads it. */
async function lastReply(submissionId: string) {
  const rows = await the.stack.db
    .select({ raw: tables.outbox.raw })
    .from(tables.outbox)
    .where(and(eq(tables.outbox.submissionId, submissionId), eq(tables.outbox.kind, 'reply')))
    .orderBy(tables.outbox.id);
  const reply = await parseReply(rows.at(-1)!.raw);
  if (!reply.ok) throw new Error('a reply does not parse');
  return { count: rows.length, reply: reply.value };
}

const auditRow = (rejectionId: number, action: string) => lastActionRow(the.stack.db, rejectionId, action);
const netNamed = (name: string) => netsNamed(the.stack.db, name);

async function mailCount(): Promise<number> {
  return (await the.stack.db.select({ id: tables.outbox.id }).from(tables.outbox)).length;
}

describe('undo of what a later APPROVED ticket names', () => {
  it("is refused after the customer's resend was told the net is already registered (an edit undone)", async () => {
    const corrected = simpleTemplate('198.51.100.128/28', 'RESEND-1', DEMO_API_KEY);
    const first = await the.stack.rejectionFor(
      await send(corrected.replace('Country Code: US', 'Country Code: QX'), 'bad country'),
    );
    expect(first.reasonCode).toBe('E_INVALID_COUNTRY');
    const page = (await the.client.get(`/submissions/${first.submissionId}`)).body;
    const text = pageText(/<textarea name="text"[^>]*>([\s\S]*?)<\/textarea>/.exec(page)![1]!);
    const applied = await act(first.submissionId, `/rejections/${first.rejectionId}/edit`, {
      step: 'apply',
      basedOn: '1',
      text: text.replace('Country Code: QX', 'Country Code: US'),
      note: 'fix the country',
    });
    expect(applied).toMatch(/^Done \(edit-and-apply\): template 1 APPROVED/);
    const [net] = await netNamed('RESEND-1');
    expect(net).toBeDefined();

    // The billing system lost our reply and sends the corrected template again.
    const resent = await the.stack.processed(await send(corrected, 'resent, corrected'));
    const told = (await lastReply(resent)).reply.blocks[0]!;
    expect(told).toMatchObject({ status: 'APPROVED' });
    expect(told.handles).toContain(net!.handle);
    expect(told.notes.join(' ')).toContain(`already registered as ${net!.handle}, nothing changed`);

    const mails = await mailCount();
    const refused = await act(
      first.submissionId,
      `/audit/${await auditRow(first.rejectionId, 'console.edit-and-apply')}/undo`,
      {
        note: 'undo the edit',
      },
    );
    expect(refused).toMatch(
      new RegExp(
        `^Not undone: E_UNDO_CONFLICT: ticket ${told.ticket} \\(submission ${resent}\\) was answered APPROVED with ${net!.handle}, C\\d+ after this action`,
      ),
    );
    expect(await netNamed('RESEND-1')).toHaveLength(1);
    expect(await mailCount()).toBe(mails);
  });

  it('is refused after a second held copy was approved with the net the first created (an override undone)', async () => {
    const template = simpleTemplate('100.66.32.0/20', 'BIG-HOLD-2', DEMO_API_KEY);
    const one = await the.stack.rejectionFor(await send(template, 'held'));
    const two = await the.stack.rejectionFor(await send(template, 'held, resent'));
    expect([one.reasonCode, two.reasonCode]).toEqual(['E_STAFF_REVIEW', 'E_STAFF_REVIEW']);
    for (const held of [one, two]) {
      const done = await act(held.submissionId, `/rejections/${held.rejectionId}/override`, {
        waive: 'E_STAFF_REVIEW',
        note: 'ok',
      });
      expect(done).toMatch(/^Done \(override\): template 1 APPROVED/);
    }
    const [net] = await netNamed('BIG-HOLD-2');
    const second = (await lastReply(two.submissionId)).reply.blocks[0]!;
    expect(second.notes.join(' ')).toContain(`already registered as ${net!.handle}`);

    const mails = await mailCount();
    const refused = await act(
      one.submissionId,
      `/audit/${await auditRow(one.rejectionId, 'console.override')}/undo`,
      {
        note: 'undo the first',
      },
    );
    expect(refused).toContain(`E_UNDO_CONFLICT: ticket ${second.ticket} (submission ${two.submissionId})`);
    expect(await netNamed('BIG-HOLD-2')).toHaveLength(1);
    expect(await mailCount()).toBe(mails);
  });
});
