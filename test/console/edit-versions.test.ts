/**
 * Edits that build on each other, through the whole daemon: a customer's SWIP comes in over
 * SMTP and is refused; staff edit the whole text in the console (form line to END line), see the
 * changes against what the customer sent and against the current version, confirm, and edit
 * again on top. "As submitted" stays the customer's text; the edits are versions with who and
 * when; an edit written on an old version is refused; only the edit that changed the outcome
 * mails the customer.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { ConsoleClient } from './support/http-client.ts';
import { simpleTemplate } from './support/rows.ts';
import { pageText } from './support/sign-in.ts';

let stack: ConsoleStack;
let client: ConsoleClient;
let filed: { submissionId: string; rejectionId: number; reasonCode: string };

beforeAll(async () => {
  stack = await startConsoleStack();
  const messageId = await stack.send({
    from: `Demo ISP billing <${DEMO_SENDER}>`,
    subject: 'REASSIGN SIMPLE 198.51.100.128/30',
    text: `${simpleTemplate('198.51.100.128/30', 'TYPO-NET', DEMO_API_KEY)}\n`,
  });
  filed = await stack.rejectionFor(messageId);
  client = new ConsoleClient(stack.baseUrl);
  expect((await client.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The text of the textarea named `text` in a page. */
function editorText(html: string): string {
  const m = /<textarea name="text"[^>]*>([\s\S]*?)<\/textarea>/.exec(html);
  if (!m) throw new Error('no template editor on the page');
  return pageText(m[1]!);
}

const submissionPage = () => client.get(`/submissions/${filed.submissionId}`);

async function outbox(): Promise<{ kind: string }[]> {
  return await stack.db
    .select({ kind: tables.outbox.kind })
    .from(tables.outbox)
    .where(eq(tables.outbox.submissionId, filed.submissionId));
}

async function edit(form: Record<string, string>): Promise<string> {
  const posted = await client.post(`/rejections/${filed.rejectionId}/edit`, { step: 'apply', ...form });
  expect(posted.status).toBe(303);
  return pageText((await submissionPage()).body);
}

describe('editing a refused template in the console', () => {
  it('offers the whole current text, keys hidden, form line and END line included', async () => {
    expect(filed.reasonCode).toBe('E_PREFIX_TOO_SMALL');
    const page = await submissionPage();
    const text = editorText(page.body);
    expect(text.split('\n')[0]).toBe('Template: ARIN-REASSIGN-SIMPLE-5.3');
    expect(text).toContain('03. IP Address and Prefix or Range: 198.51.100.128/30');
    expect(text.trimEnd().endsWith('END OF TEMPLATE')).toBe(true);
    expect(text).toContain('API-****-****-****-0001');
    expect(text).not.toContain(DEMO_API_KEY);
    expect(page.body).toContain('name="basedOn" value="1"');
    // The old field/value slots are gone.
    expect(page.body).not.toContain('name="field"');
  });

  it('shows the changes against what the customer sent before anything is applied', async () => {
    const text = editorText((await submissionPage()).body).replace('TYPO-NET', 'BAKERY-NET');
    const preview = await client.post(`/rejections/${filed.rejectionId}/edit`, {
      step: 'preview',
      basedOn: '1',
      text,
      note: 'name as the customer meant it',
      message: '',
    });
    expect(preview.status).toBe(200);
    const shown = pageText(preview.body);
    expect(shown).toContain('Against what the customer sent (version 1)');
    expect(shown).toContain('- 02. Network Name: TYPO-NET');
    expect(shown).toContain('+ 02. Network Name: BAKERY-NET');
    expect(shown).not.toContain('Against the current version');
    expect(preview.body).toContain('name="step" value="apply"');
    // Previewing claims nothing and queues nothing.
    const [rejection] = await stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, filed.rejectionId));
    expect(rejection!.state).toBe('open');
    expect(await stack.db.select().from(tables.templateVersions)).toHaveLength(0);
  });

  it('applies an edit still refused as version 2, mailing nobody, and the next edit builds on it', async () => {
    const first = editorText((await submissionPage()).body).replace('TYPO-NET', 'BAKERY-NET');
    const after = await edit({ basedOn: '1', text: first, note: 'name as the customer meant it' });
    expect(after).toContain('Still refused after edit-and-apply: E_PREFIX_TOO_SMALL');
    expect(await outbox()).toHaveLength(1);

    const page = await submissionPage();
    // The editor holds version 2 now: the first edit is kept.
    const current = editorText(page.body);
    expect(current).toContain('02. Network Name: BAKERY-NET');
    expect(page.body).toContain('name="basedOn" value="2"');

    // A page from before the first edit (version 1) is refused: the edit would lose version 2.
    const stale = await client.post(`/rejections/${filed.rejectionId}/edit`, {
      step: 'preview',
      basedOn: '1',
      text: current.replace('BAKERY-NET', 'OTHER-NET'),
      note: 'from an old tab',
    });
    expect(stale.status).toBe(303);
    expect(pageText((await submissionPage()).body)).toContain(
      `Nothing to show: the template is at version 2 (by ${STAFF_EMAIL}), not version 1 that this edit was written on`,
    );
    // Blank lines after END are no change: nothing is claimed.
    const same = await edit({ basedOn: '2', text: `${current}\n\n`, note: 'no change' });
    expect(same).toContain('Nothing done: the text is the same as the current version');

    const second = current.replace('198.51.100.128/30', '198.51.100.128/29');
    const preview = pageText(
      (
        await client.post(`/rejections/${filed.rejectionId}/edit`, {
          step: 'preview',
          basedOn: '2',
          text: second,
          note: 'a /29 was meant',
        })
      ).body,
    );
    expect(preview).toContain(`Against the current version (version 2, by staff:${STAFF_EMAIL}`);
    // Against the customer's: both edits; against the current: only the range.
    const [customerPart, currentPart] = preview.split('Against the current version');
    expect(customerPart).toContain('+ 02. Network Name: BAKERY-NET');
    expect(currentPart).not.toContain('+ 02. Network Name: BAKERY-NET');
    expect(currentPart).toContain('+ 03. IP Address and Prefix or Range: 198.51.100.128/29');

    const done = await edit({
      basedOn: '2',
      text: second,
      note: 'a /29 was meant',
      message: 'We registered the /29.',
    });
    expect(done).toMatch(/Done \(edit-and-apply\): template 1 APPROVED/);
    const [net] = await stack.db.select().from(tables.nets).where(eq(tables.nets.name, 'BAKERY-NET'));
    expect(net?.cidrs).toEqual(['198.51.100.128/29']);
    expect((await outbox()).filter((m) => m.kind === 'reply')).toHaveLength(2);
  });

  it('keeps "As submitted" as the customer sent it, and lists the versions with who and when', async () => {
    const page = (await submissionPage()).body;
    const asSubmitted = pageText(/<pre class="echo as-submitted">([\s\S]*?)<\/pre>/.exec(page)![1]!);
    expect(asSubmitted).toContain('02. Network Name: TYPO-NET');
    expect(asSubmitted).toContain('198.51.100.128/30');
    const versions = pageText(/<ol class="versions">([\s\S]*?)<\/ol>/.exec(page)![1]!);
    expect(versions).toMatch(/v1 customer noc@demo-isp\.example at \d{4}-\d\d-\d\d/);
    expect(versions).toMatch(new RegExp(`v2 staff ${STAFF_EMAIL} at \\d{4}`));
    expect(versions).toMatch(new RegExp(`v3 staff ${STAFF_EMAIL} at .*\\(current\\)`));
    const rows = await stack.db
      .select({ version: tables.templateVersions.version, author: tables.templateVersions.author })
      .from(tables.templateVersions)
      .where(eq(tables.templateVersions.submissionId, filed.submissionId))
      .orderBy(asc(tables.templateVersions.version));
    expect(rows).toEqual([
      { version: 1, author: 'customer' },
      { version: 2, author: `staff:${STAFF_EMAIL}` },
      { version: 3, author: `staff:${STAFF_EMAIL}` },
    ]);
  });

  it('refuses an edit written on an old version, claiming nothing', async () => {
    const stale = await client.post(`/rejections/${filed.rejectionId}/edit`, {
      step: 'preview',
      basedOn: '1',
      text: 'Template: ARIN-REASSIGN-SIMPLE-5.3\nEND OF TEMPLATE',
      note: 'late',
    });
    expect(stale.status).toBe(303);
    // Closed meanwhile (the edit on version 2 was approved): nothing to preview.
    expect(pageText((await submissionPage()).body)).toContain(
      `Nothing to show: rejection ${filed.rejectionId} is already overridden; reload the page to see the current state.`,
    );
    const applied = await edit({ basedOn: '1', text: 'Template: X-1.0\nEND OF TEMPLATE', note: 'late' });
    expect(applied).toContain('Nothing done: the template is at version 3');
    const audit = await stack.db
      .select({ action: tables.auditLog.action })
      .from(tables.auditLog)
      .where(
        and(
          eq(tables.auditLog.objectType, 'rejection'),
          eq(tables.auditLog.objectHandle, String(filed.rejectionId)),
        ),
      );
    expect(audit.map((a) => a.action)).toEqual(['console.edit-and-apply', 'console.edit-and-apply']);
  });

  it('shows an edit refused again for another reason as refiled, with the refusal, not OVERRIDDEN, on its page and in the queue', async () => {
    const messageId = await stack.send({
      from: `Demo ISP billing <${DEMO_SENDER}>`,
      subject: 'REASSIGN SIMPLE 198.51.100.64/30',
      text: `${simpleTemplate('198.51.100.64/30', 'P2P-LINK', DEMO_API_KEY)}\n`,
    });
    const p2p = await stack.rejectionFor(messageId);
    const at = `/submissions/${p2p.submissionId}`;
    const text = editorText((await client.get(at)).body).replace('198.51.100.64/30', '192.0.2.8/29');
    const posted = await client.post(`/rejections/${p2p.rejectionId}/edit`, {
      step: 'apply',
      basedOn: '1',
      text,
      note: 'moved to the range on the invoice',
    });
    expect(posted.headers.get('location')).toBe(`${at}#rejection-${p2p.rejectionId}`);
    const page = (await client.get(at)).body;
    const article = /<article class="rejection" id="rejection-(\d+)">([\s\S]*?)<\/article>/g;
    const articles = new Map([...page.matchAll(article)].map((m) => [Number(m[1]), m[2]!]));
    const edited = articles.get(p2p.rejectionId)!;
    expect(edited).toContain('<span class="state rejected">refiled</span>');
    expect(edited).not.toContain('state overridden');
    const reopened = [...articles.keys()].find((id) => id !== p2p.rejectionId)!;
    expect(pageText(edited)).toMatch(
      new RegExp(
        `The staff action did not apply: template 1 is rejected, E_\\w+: .*It is queued again as rejection #${reopened}\\.`,
      ),
    );
    expect(articles.get(reopened)).toContain('<span class="state open">open</span>');

    // The queue counts it as what happened: refiled, never among what staff approved.
    const rowOf = async (state: string) => {
      const queue = (await client.get(`/rejections?state=${state}&q=${p2p.submissionId}`)).body;
      return [...queue.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
        .map((m) => m[1]!)
        .find((row) => row.includes(`#${p2p.rejectionId}<`));
    };
    expect(await rowOf('overridden')).toBeUndefined();
    expect(await rowOf('refiled')).toContain('<span class="state refiled">refiled</span>');
    expect(await rowOf('all')).toContain('<span class="state refiled">refiled</span>');
    const [row] = await stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, p2p.rejectionId));
    expect(row).toMatchObject({ state: 'refiled' });
    expect(row!.staffNotes).toContain(`queued again as rejection ${reopened}`);
  });

  it('audits every change old -> new, customers by their account name and address, handles as links', async () => {
    const page = (await submissionPage()).body;
    const rows = [...page.matchAll(/<tr id="audit-(\d+)">([\s\S]*?)<\/tr>/g)].map((m) => m[2]!);
    // The edit that applied: the text it replaced and the new one, as the lines that changed.
    const applied = rows.filter((r) => r.includes('console.edit-and-apply')).at(-1)!;
    expect(pageText(applied)).toContain('- 03. IP Address and Prefix or Range: 198.51.100.128/30');
    expect(pageText(applied)).toContain('+ 03. IP Address and Prefix or Range: 198.51.100.128/29');
    // The net staff's edit created: a link to its look-up, and its values.
    const created = rows.find((r) => r.includes('<code>create</code>') && r.includes('net <a'))!;
    expect(created).toMatch(
      /<a href="\/lookup\?q=NET-198-51-100-128-\d+"><code>NET-198-51-100-128-\d+<\/code><\/a>/,
    );
    expect(pageText(created)).toContain('Network Name: — → BAKERY-NET');
    expect(pageText(created)).toContain(`staff:${STAFF_EMAIL}`);

    // A customer's own change: by account name and address, never `account:1`.
    const messageId = await stack.send({
      from: `Demo ISP billing <${DEMO_SENDER}>`,
      subject: 'REASSIGN SIMPLE 198.51.100.192/29',
      text: `${simpleTemplate('198.51.100.192/29', 'GOOD-NET', DEMO_API_KEY)}\n`,
    });
    let own: { submissionId: string | null }[] = [];
    for (let i = 0; i < 300 && own.length === 0; i++) {
      own = await stack.db
        .select({ submissionId: tables.auditLog.submissionId })
        .from(tables.auditLog)
        .innerJoin(tables.submissions, eq(tables.submissions.id, tables.auditLog.submissionId))
        .where(inArray(tables.submissions.messageId, [messageId, `<${messageId}>`]));
      if (own.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const customerPage = pageText((await client.get(`/submissions/${own[0]!.submissionId}`)).body);
    expect(customerPage).toContain('account demo-isp (noc@demo-isp.example)');
    expect(customerPage).not.toContain('account:');
    // Named as the form names it (Network Name), not by our column (name).
    expect(customerPage).toContain('Network Name: — → GOOD-NET');
    // The look-up's history reads alike.
    const lookup = (await client.get('/lookup?q=GOOD-NET')).body;
    expect(pageText(lookup)).toContain('account demo-isp (noc@demo-isp.example)');
    expect(lookup).toMatch(
      /<a href="\/lookup\?q=NET-198-51-100-192-\d+"><code>NET-198-51-100-192-\d+<\/code><\/a>/,
    );
  });

  it('runs an override after an edit on the edited text, not on what the customer sent', async () => {
    const messageId = await stack.send({
      from: `Demo ISP billing <${DEMO_SENDER}>`,
      subject: 'REASSIGN SIMPLE 198.51.100.240/30',
      text: `${simpleTemplate('198.51.100.240/30', 'CUSTOMER-NAME', DEMO_API_KEY)}\n`,
    });
    const link = await stack.rejectionFor(messageId);
    const at = `/submissions/${link.submissionId}`;
    const text = editorText((await client.get(at)).body).replace('CUSTOMER-NAME', 'STAFF-NAME');
    await client.post(`/rejections/${link.rejectionId}/edit`, {
      step: 'apply',
      basedOn: '1',
      text,
      note: 'the name the customer meant',
    });
    expect(pageText((await client.get(at)).body)).toContain(
      'Still refused after edit-and-apply: E_PREFIX_TOO_SMALL',
    );
    await client.post(`/rejections/${link.rejectionId}/override`, {
      waive: 'E_PREFIX_TOO_SMALL',
      note: 'a /30 for a link is fine',
    });
    expect(pageText((await client.get(at)).body)).toMatch(/Done \(override\): template 1 APPROVED/);
    expect(await stack.db.select().from(tables.nets).where(eq(tables.nets.name, 'STAFF-NAME'))).toHaveLength(
      1,
    );
    expect(
      await stack.db.select().from(tables.nets).where(eq(tables.nets.name, 'CUSTOMER-NAME')),
    ).toHaveLength(0);
  });
});
