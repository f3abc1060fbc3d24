/**
 * Staff approve what the page showed them. Demo ISP reallocates a /28 to Other ISP, Other ISP
 * reassigns a /29 of it to a customer, Demo ISP asks to remove the reallocation: held, naming
 * the one subdelegation. Then Other ISP registers a second customer in the other /29. The
 * approval of the hold, from a page that named one subdelegation, must not remove two: it is
 * refused (E_REVIEW_CONFLICT), the late customer's net stays, and the hold names both now; an
 * approval from a page still showing the old words is refused alike; one made on the current
 * words removes both, and says so.
 */
import { Queue } from 'bullmq';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { SUBMISSIONS_QUEUE } from '../../src/queue/index.ts';
import { DEMO_API_KEY, DEMO_SENDER, OTHER_API_KEY, OTHER_SENDER } from '../../src/registry/index.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { ConsoleClient } from './support/http-client.ts';
import { simpleTemplate } from './support/rows.ts';
import { pageText } from './support/sign-in.ts';

/** An attribute's value as the browser reads it. */
const htmlText = (html: string) =>
  html
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

let stack: ConsoleStack;
let client: ConsoleClient;
let bullQueue: Queue;

beforeAll(async () => {
  stack = await startConsoleStack();
  client = new ConsoleClient(stack.baseUrl);
  expect((await client.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);
  if (stack.config.redis.kind !== 'url') throw new Error('the console stack runs on a Redis URL');
  bullQueue = new Queue(SUBMISSIONS_QUEUE, { connection: { url: stack.config.redis.url } });
}, 120_000);

afterAll(async () => {
  await bullQueue?.close();
  await stack?.stop();
});

const reallocate = (range: string, name: string) =>
  [
    'Template: ARIN-REALLOCATE-5.4',
    `00. API Key: ${DEMO_API_KEY}`,
    '01. Downstream Org ID: OTHERISP-1',
    `20. IP Address and Prefix or Range: ${range}`,
    `21. Network Name: ${name}`,
    '22. Origin AS: AS64500',
    '23. Public Comments:',
    '24. Additional Information:',
    'END OF TEMPLATE',
  ].join('\n');

const removal = (range: string) =>
  [
    'Template: ARIN-NET-MOD-5.3',
    `00. API Key: ${DEMO_API_KEY}`,
    '01. Registration Action (M to modify or R to remove): R',
    `02. IP Address and Prefix or Range: ${range}`,
    '03. Network Name:',
    '04. Origin AS:',
    '05. Tech POC Handle:',
    '06. Abuse POC Handle:',
    '07. NOC POC Handle:',
    '08. Public Comments:',
    '09. Additional Information:',
    'END OF TEMPLATE',
  ].join('\n');

async function sendAs(from: string, subject: string, text: string): Promise<string> {
  const messageId = await stack.send({ from, subject, text: `${text}\n` });
  return await stack.processed(messageId);
}

const netNamed = async (name: string) =>
  await stack.db.select().from(tables.nets).where(eq(tables.nets.name, name));

/** Posts the override form as the page holds it (its CSRF token, its hidden fields) and reads the banner. */
async function approve(submissionId: string, rejectionId: number, extra: Record<string, string> = {}) {
  const page = await client.get(`/submissions/${submissionId}`);
  const seen = new RegExp(
    `action="/rejections/${rejectionId}/override"[\\s\\S]*?name="seen" value="([^"]*)"`,
  ).exec(page.body)?.[1];
  const posted = await client.post(`/rejections/${rejectionId}/override`, {
    waive: 'E_STAFF_REVIEW',
    note: 'removal approved as shown',
    ...(seen === undefined ? {} : { seen: pageText(seen) }),
    ...extra,
  });
  expect(posted.status).toBe(303);
  const after = await client.get(posted.headers.get('location')!);
  return {
    flash: pageText(/<p class="flash [^"]*"[^>]*>([\s\S]*?)<\/p>/.exec(after.body)?.[1] ?? ''),
    page: pageText(after.body),
    seen: seen === undefined ? undefined : pageText(seen),
  };
}

describe('an approval of a held removal acts on what staff saw', () => {
  it('refuses when a subdelegation was registered after the hold, shows the current list, and applies once looked at again', async () => {
    await sendAs(`Demo ISP <${DEMO_SENDER}>`, 'realloc', reallocate('198.51.100.224/28', 'SAW-REALLOC'));
    await sendAs(
      `Other ISP <${OTHER_SENDER}>`,
      'first',
      simpleTemplate('198.51.100.224/29', 'SAW-FIRST', OTHER_API_KEY),
    );
    const [realloc] = await netNamed('SAW-REALLOC');
    const [first] = await netNamed('SAW-FIRST');
    expect(realloc && first).toBeTruthy();

    const held = await stack.rejectionFor(
      await stack.send({
        from: `Demo ISP <${DEMO_SENDER}>`,
        subject: 'take back',
        text: `${removal('198.51.100.224/28')}\n`,
      }),
    );
    expect(held.reasonCode).toBe('E_STAFF_REVIEW');
    // Staff open the item now: it names the one subdelegation there is.
    const shown = pageText((await client.get(`/submissions/${held.submissionId}`)).body);
    expect(shown).toContain(`still has 1 subdelegation(s) below it (${first!.handle})`);

    // Meanwhile Other ISP's second customer is registered, legitimately.
    await sendAs(
      `Other ISP <${OTHER_SENDER}>`,
      'late',
      simpleTemplate('198.51.100.232/29', 'SAW-LATE', OTHER_API_KEY),
    );
    const [late] = await netNamed('SAW-LATE');
    expect(late).toBeDefined();

    // The approval posted from the page as it was (no form field: the rejection's words stand for it).
    const posted = await client.post(`/rejections/${held.rejectionId}/override`, {
      waive: 'E_STAFF_REVIEW',
      note: 'approve the removal shown',
      seen: shown.match(/NET-\S+ still has 1 subdelegation\(s\)[^—]*/)![0]!.trim(),
    });
    expect(posted.status).toBe(303);
    const refused = pageText((await client.get(posted.headers.get('location')!)).body);
    expect(refused).toContain('E_REVIEW_CONFLICT');
    expect(await netNamed('SAW-LATE')).toHaveLength(1);
    expect(await netNamed('SAW-FIRST')).toHaveLength(1);
    expect(await netNamed('SAW-REALLOC')).toHaveLength(1);
    // The item is open again, naming what an approval would now remove.
    const [reopened] = await stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, held.rejectionId));
    expect(reopened).toMatchObject({ state: 'open' });
    expect(reopened!.reason).toContain(
      `still has 2 subdelegation(s) below it (${first!.handle}, ${late!.handle})`,
    );
    expect(refused).toContain(late!.handle);

    // A second staff member's page, loaded before the restatement, is refused too.
    const stale = await client.post(`/rejections/${held.rejectionId}/override`, {
      waive: 'E_STAFF_REVIEW',
      note: 'approve from an old tab',
      seen: `${realloc!.handle} still has 1 subdelegation(s) below it (${first!.handle}); removing it is reviewed by hostmaster staff, and removes them with it`,
    });
    expect(stale.status).toBe(303);
    expect(pageText((await client.get(stale.headers.get('location')!)).body)).toContain('E_REVIEW_CONFLICT');
    expect(await netNamed('SAW-LATE')).toHaveLength(1);

    // Refusals by design are outcomes: the queue's failed jobs (what operations alert on) hold none.
    expect(await bullQueue.getFailedCount()).toBe(0);
    expect(await bullQueue.getCompletedCount()).toBeGreaterThan(0);

    // Looked at again, on the current words: both go, and the answer says so.
    const approved = await approve(held.submissionId, held.rejectionId);
    expect(approved.seen).toContain(late!.handle);
    expect(approved.flash).toMatch(/^Done \(override\): template 1 APPROVED/);
    expect(await netNamed('SAW-LATE')).toHaveLength(0);
    expect(await netNamed('SAW-REALLOC')).toHaveLength(0);
  }, 180_000);

  it('applies a removal whose subdelegations went away since the hold: it removes less than staff agreed to', async () => {
    await sendAs(`Demo ISP <${DEMO_SENDER}>`, 'realloc 2', reallocate('198.51.100.208/28', 'SAW2-REALLOC'));
    await sendAs(
      `Other ISP <${OTHER_SENDER}>`,
      'child 2',
      simpleTemplate('198.51.100.208/29', 'SAW2-CHILD', OTHER_API_KEY),
    );
    const held = await stack.rejectionFor(
      await stack.send({
        from: `Demo ISP <${DEMO_SENDER}>`,
        subject: 'take back 2',
        text: `${removal('198.51.100.208/28')}\n`,
      }),
    );
    expect(held.reasonCode).toBe('E_STAFF_REVIEW');
    const [child] = await netNamed('SAW2-CHILD');
    const page = await client.get(`/submissions/${held.submissionId}`);
    const gone = simpleTemplate('198.51.100.208/29', 'SAW2-CHILD', OTHER_API_KEY).replace(
      '01. Registration Action (N,M, or R): N',
      '01. Registration Action (N,M, or R): R',
    );
    await sendAs(`Other ISP <${OTHER_SENDER}>`, 'child 2 gone', gone);
    expect(await netNamed('SAW2-CHILD')).toHaveLength(0);
    expect(child).toBeDefined();
    const seen = /name="seen" value="([^"]*)"/.exec(page.body)![1]!;
    const posted = await client.post(`/rejections/${held.rejectionId}/override`, {
      waive: 'E_STAFF_REVIEW',
      note: 'approved',
      seen: pageText(seen),
    });
    expect(posted.status).toBe(303);
    const flash = pageText((await client.get(posted.headers.get('location')!)).body);
    expect(flash).toMatch(/Done \(override\): template 1 APPROVED/);
    expect(await netNamed('SAW2-REALLOC')).toHaveLength(0);
  }, 180_000);
});

describe('an override of E_NOT_AUTHORIZED tells the holder of the space', () => {
  /** Demo ISP's net in Other ISP's allocation, refused E_NOT_AUTHORIZED, then overridden by staff. */
  const overrideInOthersSpace = async (subject: string, range: string, name: string) => {
    const held = await stack.rejectionFor(
      await stack.send({
        from: `Demo ISP <${DEMO_SENDER}>`,
        subject,
        text: `${simpleTemplate(range, name, DEMO_API_KEY)}\n`,
      }),
    );
    expect(held.reasonCode).toBe('E_NOT_AUTHORIZED');
    await client.get(`/submissions/${held.submissionId}`);
    const posted = await client.post(`/rejections/${held.rejectionId}/override`, {
      waive: 'E_NOT_AUTHORIZED',
      note: 'ok per phone call',
    });
    expect(posted.status).toBe(303);
    return { held, posted };
  };
  it('sends Other ISP a notice with the ticket when staff register Demo ISP’s net in Other ISP’s allocation', async () => {
    const { held, posted } = await overrideInOthersSpace('not ours', '203.0.113.144/29', 'NOT-OURS');
    const flash = pageText((await client.get(posted.headers.get('location')!)).body);
    expect(flash).toMatch(/Done \(override\): template 1 APPROVED/);
    const mails = await stack.db
      .select({ kind: tables.outbox.kind, to: tables.outbox.recipients, raw: tables.outbox.raw })
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, held.submissionId));
    const notice = mails.find((m) => m.kind === 'notification' && m.to.includes(OTHER_SENDER));
    expect(notice).toBeDefined();
    const [ticket] = await stack.db
      .select({ ticket: tables.submissionTemplates.ticketNumber })
      .from(tables.submissionTemplates)
      .where(eq(tables.submissionTemplates.submissionId, held.submissionId));
    expect(notice!.raw).toContain(ticket!.ticket!);
    expect(notice!.raw).toContain('OTHERISP-1');
    expect(notice!.raw.replace(/=\r?\n/g, '')).toContain('E_NOT_AUTHORIZED');
  }, 120_000);

  /** The notices to Other ISP's contacts about this submission, their text unwrapped. */
  const noticesToOther = async (submissionId: string) =>
    (
      await stack.db
        .select({
          kind: tables.outbox.kind,
          to: tables.outbox.recipients,
          raw: tables.outbox.raw,
          id: tables.outbox.messageId,
        })
        .from(tables.outbox)
        .where(eq(tables.outbox.submissionId, submissionId))
    )
      .filter((m) => m.kind === 'notification' && m.to.includes(OTHER_SENDER))
      .map((m) => ({ id: m.id, text: m.raw.replace(/=\r?\n/g, '').replace(/\r?\n/g, ' ') }));

  it('tells Other ISP when staff undo such an override: the net it heard of is taken back', async () => {
    const { held, posted } = await overrideInOthersSpace(
      'not ours either',
      '203.0.113.160/29',
      'NOT-OURS-UNDONE',
    );
    expect(await noticesToOther(held.submissionId)).toHaveLength(1);
    const [override] = await stack.db
      .select({ id: tables.auditLog.id })
      .from(tables.auditLog)
      .where(eq(tables.auditLog.action, 'console.override'))
      .orderBy(desc(tables.auditLog.id))
      .limit(1);

    await client.get(`/submissions/${held.submissionId}`);
    const undone = await client.post(`/audit/${override!.id}/undo`, {
      note: 'the call was not from Other ISP',
      message: '',
    });
    expect(undone.status).toBe(303);
    expect(pageText((await client.get(undone.headers.get('location')!)).body)).toContain(
      `Undone: audit row ${override!.id} (override)`,
    );
    expect(await netNamed('NOT-OURS-UNDONE')).toHaveLength(0);
    const notices = await noticesToOther(held.submissionId);
    expect(notices).toHaveLength(2);
    const undoNotice = notices.find((n) => n.id.includes(`.notify.undo-${override!.id}.1.OTHERISP-1@`));
    expect(undoNotice).toBeDefined();
    expect(undoNotice!.text).toContain('Hostmaster staff undid a change they had approved');
    expect(undoNotice!.text).toContain('Undone by hostmaster staff: what was applied was taken back.');
  }, 180_000);

  it('tells Other ISP when staff edit a template refused in its space and apply it over E_NOT_AUTHORIZED', async () => {
    const sent = simpleTemplate('203.0.113.176/29', 'NOT-OURS-TYPO', DEMO_API_KEY);
    const held = await stack.rejectionFor(
      await stack.send({ from: `Demo ISP <${DEMO_SENDER}>`, subject: 'typo too', text: `${sent}\n` }),
    );
    expect(held.reasonCode).toBe('E_NOT_AUTHORIZED');
    const page = (await client.get(`/submissions/${held.submissionId}`)).body;
    const seen = /name="seen" value="([^"]*)"/.exec(page)?.[1] ?? '';
    const posted = await client.post(`/rejections/${held.rejectionId}/edit`, {
      step: 'apply',
      basedOn: '1',
      text: sent.replace('NOT-OURS-TYPO', 'EDITED-NET'),
      waive: 'E_NOT_AUTHORIZED',
      seen: htmlText(seen),
      note: 'name as meant; ok per phone call',
      message: '',
    });
    expect(posted.status).toBe(303);
    const flash = pageText((await client.get(posted.headers.get('location')!)).body);
    expect(flash).toMatch(/Done \(edit-and-apply\): template 1 APPROVED/);
    expect(await netNamed('EDITED-NET')).toHaveLength(1);
    const [notice] = await noticesToOther(held.submissionId);
    expect(notice?.text).toContain('Hostmaster staff approved this change, asked by another account');
  }, 180_000);
});

describe('the look-up finds what was removed', () => {
  it('finds a removed net by its handle and by an address it held, with who removed it and its history', async () => {
    const created = await stack.processed(
      await stack.send({
        from: `Demo ISP <${DEMO_SENDER}>`,
        subject: 'to be removed',
        text: `${simpleTemplate('198.51.100.112/28', 'GONE-NET', DEMO_API_KEY)}\n`,
      }),
    );
    const [net] = await netNamed('GONE-NET');
    expect(net).toBeDefined();
    const remove = simpleTemplate('198.51.100.112/28', 'GONE-NET', DEMO_API_KEY).replace(
      /Registration Action \(N,M, or R\): N/,
      'Registration Action (N,M, or R): R',
    );
    const removedIn = await stack.processed(
      await stack.send({ from: `Demo ISP <${DEMO_SENDER}>`, subject: 'remove it', text: `${remove}\n` }),
    );
    expect(await netNamed('GONE-NET')).toHaveLength(0);

    for (const q of [net!.handle, net!.handle.toLowerCase(), '198.51.100.113', '198.51.100.112/28']) {
      const page = pageText((await client.get(`/lookup?q=${encodeURIComponent(q)}`)).body);
      expect(page, q).toContain('Removed');
      expect(page, q).toContain(net!.handle);
      expect(page, q).toContain('198.51.100.112 - 198.51.100.127');
      expect(page, q).toContain(removedIn);
      expect(page, q).toContain(created);
      expect(page, q).not.toContain('No recorded change');
    }
    // A net that covered nothing asked for is not shown.
    expect(pageText((await client.get('/lookup?q=198.51.100.129')).body)).not.toContain(net!.handle);
  }, 120_000);
});

describe('notes to hostmaster on approved templates', () => {
  it('lists, counts and finds an approved template’s Additional Information, and marks it read once', async () => {
    const text = simpleTemplate('2001:db8:6::/48', 'NOTE-NET', DEMO_API_KEY).replace(
      'END OF TEMPLATE',
      '13. Additional Information: URGENT for hostmaster: our old customer at 198.51.100.64/28 left, please remove that net too\nEND OF TEMPLATE',
    );
    const submissionId = await stack.processed(
      await stack.send({ from: `Demo ISP <${DEMO_SENDER}>`, subject: 'with a note', text: `${text}\n` }),
    );
    const [row] = await stack.db
      .select()
      .from(tables.submissionTemplates)
      .where(eq(tables.submissionTemplates.submissionId, submissionId));
    expect(row!.outcome).toBe('approved');
    const ticket = row!.ticketNumber!;

    // Where staff look the net up, the note is beside its history.
    const lookup = pageText((await client.get('/lookup?q=2001%3Adb8%3A6%3A%3A%2F48')).body);
    expect(lookup).toContain('please remove that net too');

    const list = pageText((await client.get('/notes')).body);
    expect(list).toContain('please remove that net too');
    expect(list).toContain(ticket);
    expect(list).toMatch(/Notes to hostmaster\s*\d+ to read/);
    for (const q of ['old customer', ticket, ticket.toLowerCase()]) {
      expect(pageText((await client.get(`/notes?q=${encodeURIComponent(q)}`)).body), q).toContain(ticket);
    }
    expect(pageText((await client.get('/notes?q=nothing%20like%20it')).body)).not.toContain(ticket);

    const page = await client.get('/notes');
    expect(page.status).toBe(200);
    const posted = await client.post(`/notes/${ticket}/read`, { note: 'removed 198.51.100.64/28 as asked' });
    expect(posted.status).toBe(303);
    const after = pageText((await client.get('/notes')).body);
    expect(after).toContain(`The note of ticket ${ticket} is marked read.`);
    expect(pageText((await client.get(`/notes?q=${ticket}`)).body)).not.toContain(
      'please remove that net too',
    );
    const all = pageText((await client.get(`/notes?state=all&q=${ticket}`)).body);
    expect(all).toContain('removed 198.51.100.64/28 as asked');
    expect(all).toContain(STAFF_EMAIL);
    const again = await client.post(`/notes/${ticket}/read`, { note: 'twice' });
    expect(again.status).toBe(303);
    expect(pageText((await client.get('/notes')).body)).toContain('already marked read');
  }, 120_000);
});
