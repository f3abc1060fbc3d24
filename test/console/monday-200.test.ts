/**
 * The Monday, in Chromium at 1280x720 against the whole daemon: 200 rejections of mixed
 * kinds wait (197 seeded in the database as the worker leaves them, 3 real SWIPs sent over SMTP
 * for the actions that need the worker). Staff clear every one of them with search and filters,
 * bulk dismiss, an edit checked against its diff, an edit that fails again (its refusal shown, the
 * banner in view), a rejection with a reason, and an undo with a message; then the outbox holds
 * exactly the mails those actions promise (none for a dismissal, none for an edit still refused)
 * and the audit log one row per action. Screenshots of the queue and of the edit's diff go to
 * test/artifacts/ (the committed copies are docs/console/).
 */
import path from 'node:path';
import { and, eq, inArray, like, notInArray } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import { parseReply } from '../support/reply-reader.ts';
import { ARTIFACTS, launchBrowser, signedInPage, type TestBrowser } from './support/browser.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import {
  insertDemoBigAllocation,
  type SeededRejection,
  seedRejectedSubmission,
  simpleTemplate,
} from './support/rows.ts';

/** The seeded pile's kinds: what a Monday's refusals look like. */
const KINDS = [
  { code: 'E_OVERLAP', message: 'overlaps NET-198-51-100-0-7, reassigned to another customer' },
  { code: 'E_NOT_WITHIN_PARENT', message: 'is not inside any network registered with us' },
  { code: 'E_PREFIX_TOO_SMALL', message: 'a /30 is smaller than the /29 we register' },
  { code: 'E_NOT_AUTHORIZED', message: 'the key does not speak for the parent net' },
  { code: 'E_INVALID_COUNTRY', message: '"Untied States" is not a country code' },
] as const;

let stack: ConsoleStack;
let browser: TestBrowser;
let page: Page;
const weekly: SeededRejection[] = [];
const assorted: SeededRejection[] = [];
let toEdit: Filed;
let toFail: Filed;
let held: Filed;

interface Filed {
  readonly submissionId: string;
  readonly rejectionId: number;
  readonly reasonCode: string;
}

async function swip(range: string, name: string): Promise<Filed> {
  const messageId = await stack.send({
    from: `Demo ISP billing <${DEMO_SENDER}>`,
    subject: `SWIP ${name} ${range}`,
    text: `${simpleTemplate(range, name, DEMO_API_KEY)}\n`,
  });
  return await stack.rejectionFor(messageId);
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser({ javaScript: true })]);
  // The demo ISP's large allocation, where a /20 is held for review.
  await insertDemoBigAllocation(stack.db);
  [toEdit, toFail, held] = await Promise.all([
    swip('198.51.100.64/30', 'P2P-LINK'),
    swip('198.51.100.72/30', 'P2P-SPARE'),
    swip('100.66.16.0/20', 'BIG-CUSTOMER'),
  ]);
  for (let i = 0; i < 197; i++) {
    const batch = i < 150;
    const seeded = await seedRejectedSubmission(stack.db, {
      from: batch ? `billing@bulk-isp.example` : `ops${i}@assorted${i % 7}.example`,
      subject: batch ? `Weekly SWIP batch ${i}` : `Customer ${i} reassignment`,
      range: `198.51.${100 + (i % 50)}.${(i % 8) * 16}/28`,
      netName: `NET-CUST-${i}`,
      error: KINDS[i % KINDS.length]!,
    });
    (batch ? weekly : assorted).push(seeded);
  }
  page = await signedInPage(browser, stack.baseUrl, STAFF_EMAIL, STAFF_PASSWORD);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const openCount = async () =>
  (
    await stack.db
      .select({ id: tables.rejections.id })
      .from(tables.rejections)
      .where(eq(tables.rejections.state, 'open'))
  ).length;

/** Selects every row of the queue page and dismisses them with one note; the banner's sentence. */
async function dismissPage(note: string): Promise<string> {
  const boxes = page.locator('table.queue tbody input[type=checkbox]');
  const count = await boxes.count();
  await boxes.evaluateAll((all) => {
    for (const box of all) (box as unknown as { checked: boolean }).checked = true;
  });
  await page.fill('form.bulk input[name=note]', note);
  await Promise.all([
    page.waitForURL(/\/rejections/, { timeout: 180_000 }),
    page.click('form.bulk button[value=dismiss]'),
  ]);
  const said = (await page.textContent('main > .flash')) ?? '';
  expect(said).toContain(`${count} of ${count} rejections dismissed.`);
  return said;
}

/** Whether an element lies wholly inside the viewport as the page is scrolled now. */
async function inView(selector: string): Promise<boolean> {
  const box = await page.locator(selector).boundingBox();
  return box !== null && box.y >= 0 && box.y + box.height <= (page.viewportSize()?.height ?? 0);
}

/** Mails of the outbox for these submissions, by kind. */
async function mailsOf(ids: readonly string[]): Promise<{ kind: string; raw: string; messageId: string }[]> {
  return await stack.db
    .select({ kind: tables.outbox.kind, raw: tables.outbox.raw, messageId: tables.outbox.messageId })
    .from(tables.outbox)
    .where(
      and(inArray(tables.outbox.submissionId, [...ids]), notInArray(tables.outbox.kind, ['notification'])),
    );
}

describe('clearing 200 rejections on a Monday (Chromium, 1280x720)', () => {
  it('shows the pile: 200 open, a compact screen of them', async () => {
    await page.goto(`${stack.baseUrl}/rejections`);
    expect(await openCount()).toBe(200);
    expect(await page.textContent('h1')).toContain('200 open');
    expect(await page.locator('table.queue tbody tr').count()).toBe(50);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-queue-monday.png') });
  });

  it('bulk-dismisses a search page by page (150 rows, 3 pages), mailing nobody', async () => {
    await page.fill('input[name=q]', 'weekly swip');
    await Promise.all([page.waitForURL(/q=weekly/), page.click('button:has-text("Filter")')]);
    expect(await page.textContent('h1')).toContain('150 open');
    for (let round = 0; round < 3; round++) await dismissPage('weekly batch resent on Tuesday');
    expect(new URL(page.url()).searchParams.get('q')).toBe('weekly swip');
    expect(await page.locator('table.queue tbody tr').count()).toBe(0);
    expect(await openCount()).toBe(50);
  });

  it('clears the assorted rest by reason, then by sender', async () => {
    await page.goto(`${stack.baseUrl}/rejections?reason=overlap`);
    const overlaps = assorted.filter((_, i) => KINDS[(150 + i) % KINDS.length]!.code === 'E_OVERLAP');
    expect(await page.locator('table.queue tbody tr').count()).toBe(overlaps.length);
    await dismissPage('overlaps: the customers were told by their ISP');
    await page.goto(`${stack.baseUrl}/rejections?sender=assorted`);
    expect(await page.locator('table.queue tbody tr').count()).toBe(assorted.length - overlaps.length);
    await dismissPage('old forms, answered by the account manager');
    expect(await openCount()).toBe(3);
  });

  it('edits a template against its diff, applies it, and the customer is answered APPROVED', async () => {
    await page.goto(`${stack.baseUrl}/rejections?q=P2P-LINK`);
    await Promise.all([page.waitForURL(/\/submissions\//), page.click('table.queue tbody tr a')]);
    const article = `#rejection-${toEdit.rejectionId}`;
    await page.click(`${article} summary:has-text("Edit and apply")`);
    const form = `${article} details[open] form`;
    const text = await page.inputValue(`${form} textarea[name=text]`);
    expect(text).toMatch(/^Template: ARIN-REASSIGN-SIMPLE-5\.3\n[\s\S]*END OF TEMPLATE$/);
    await page.fill(`${form} textarea[name=text]`, text.replace('198.51.100.64/30', '198.51.100.64/29'));
    await page.fill(`${form} textarea[name=note]`, 'Customer confirmed a /29 by phone.');
    await page.fill(`${form} textarea[name=message]`, 'We registered the /29 your engineer confirmed.');
    await Promise.all([page.waitForURL(/\/edit$/), page.click(`${form} button[value=preview]`)]);
    expect(await page.textContent('#against-customer')).toMatch(
      /- 03\. IP Address and Prefix or Range: 198\.51\.100\.64\/30\s*\+ 03\. IP Address and Prefix or Range: 198\.51\.100\.64\/29/,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-edit-diff.png') });
    const before = await mailsOf([toEdit.submissionId]);
    await Promise.all([
      page.waitForURL(/\/submissions\//),
      page.click('form.confirm-edit button[value=apply]'),
    ]);
    expect(await page.textContent('main > .flash')).toMatch(/^Done \(edit-and-apply\): template 1 APPROVED/);
    expect(await inView('main > .flash')).toBe(true);
    const added = (await mailsOf([toEdit.submissionId])).filter(
      (m) => !before.some((b) => b.messageId === m.messageId),
    );
    expect(added.map((m) => m.kind)).toEqual(['reply']);
    const reply = await parseReply(added[0]!.raw);
    if (!reply.ok) throw new Error(reply.error.message);
    expect(reply.value.blocks[0]!.status).toBe('APPROVED');
    // The message to the sender is in the reply; the audit note is not.
    expect(JSON.stringify(reply.value)).toContain('We registered the /29 your engineer confirmed.');
    expect(JSON.stringify(reply.value)).not.toContain('by phone');
  });

  it('shows an edit refused again as not applied, with the banner in view, and mails nobody', async () => {
    await page.goto(`${stack.baseUrl}/submissions/${toFail.submissionId}`);
    const article = `#rejection-${toFail.rejectionId}`;
    await page.click(`${article} summary:has-text("Edit and apply")`);
    const form = `${article} details[open] form`;
    const text = await page.inputValue(`${form} textarea[name=text]`);
    await page.fill(`${form} textarea[name=text]`, text.replace('198.51.100.72/30', '192.0.2.8/29'));
    await page.fill(`${form} textarea[name=note]`, 'the range on their invoice');
    await Promise.all([page.waitForURL(/\/edit$/), page.click(`${form} button[value=preview]`)]);
    const before = await mailsOf([toFail.submissionId]);
    await Promise.all([
      page.waitForURL(/\/submissions\//),
      page.click('form.confirm-edit button[value=apply]'),
    ]);
    expect(page.url()).toContain(`#rejection-${toFail.rejectionId}`);
    expect(await page.textContent('main > .flash')).toMatch(/^Still refused after edit-and-apply: E_/);
    expect(await inView('main > .flash')).toBe(true);
    expect(await page.textContent(`${article} h3 .state`)).toBe('refiled');
    expect(await page.textContent(`${article} p.refusal`)).toMatch(/It is queued again as rejection #\d+\./);
    expect(await mailsOf([toFail.submissionId])).toEqual(before);
    // The re-filed rejection is dismissed without an answer.
    const refiled = Number(
      (await page.getAttribute(`${article} p.refusal a`, 'href'))!.replace('#rejection-', ''),
    );
    await page.click(`#rejection-${refiled} summary:has-text("Dismiss")`);
    await page.fill(
      `#rejection-${refiled} details[open] textarea[name=note]`,
      'they will send the right range',
    );
    await Promise.all([
      page.waitForURL(/\/submissions\//),
      page.click(`#rejection-${refiled} details[open] button[type=submit]`),
    ]);
    expect(await page.textContent('main > .flash')).toBe(`Rejection ${refiled} dismissed.`);
    expect(await mailsOf([toFail.submissionId])).toEqual(before);
  });

  it('rejects work held for review with a reason the sender can parse', async () => {
    expect(held.reasonCode).toBe('E_STAFF_REVIEW');
    await page.goto(`${stack.baseUrl}/submissions/${held.submissionId}`);
    const article = `#rejection-${held.rejectionId}`;
    await page.click(`${article} summary:has-text("Reject with a reason")`);
    await page.fill(
      `${article} details[open] textarea[name=reason]`,
      'A /20 for one customer needs a usage plan.',
    );
    await page.fill(`${article} details[open] textarea[name=note]`, 'no justification on file');
    const before = await mailsOf([held.submissionId]);
    await Promise.all([
      page.waitForURL(/\/submissions\//),
      page.click(`${article} details[open] button[type=submit]`),
    ]);
    expect(await page.textContent('main > .flash')).toMatch(/^Rejected: template 1/);
    const added = (await mailsOf([held.submissionId])).filter(
      (m) => !before.some((b) => b.messageId === m.messageId),
    );
    expect(added.map((m) => m.kind)).toEqual(['reply']);
    const reply = await parseReply(added[0]!.raw);
    expect(reply.ok && reply.value.blocks[0]).toMatchObject({
      status: 'REJECTED',
      errors: [expect.objectContaining({ code: 'E_REJECTED_BY_STAFF' })],
    });
  });

  it('undoes the edit from its audit row with a message, then dismisses the reopened rejection', async () => {
    await page.goto(`${stack.baseUrl}/submissions/${toEdit.submissionId}`);
    const undo = page.locator('table.audit details.undo');
    expect(await undo.count()).toBe(1);
    await undo.locator('summary').click();
    await undo.locator('textarea[name=note]').fill('the customer withdrew the /29 by phone');
    await undo.locator('textarea[name=message]').fill('As agreed, 198.51.100.64/29 is not registered.');
    const before = await mailsOf([toEdit.submissionId]);
    await Promise.all([page.waitForURL(/\/submissions\//), undo.locator('button[type=submit]').click()]);
    expect(await page.textContent('main > .flash')).toMatch(
      /^Undone: audit row \d+ \(edit-and-apply\); taken back: net NET-198-51-100-64-\d+, customer C\d+\. Rejection \d+ is open again\. The sender is answered: reply <\S+> \(\w+\), superseding the approval\.$/,
    );
    expect(await inView('main > .flash')).toBe(true);
    const added = (await mailsOf([toEdit.submissionId])).filter(
      (m) => !before.some((b) => b.messageId === m.messageId),
    );
    expect(added.map((m) => m.kind)).toEqual(['reply']);
    const superseding = await parseReply(added[0]!.raw);
    expect(superseding.ok && superseding.value.blocks[0]).toMatchObject({
      status: 'REJECTED',
      notes: expect.arrayContaining([
        'Message from hostmaster staff: As agreed, 198.51.100.64/29 is not registered.',
      ]),
    });
    expect(await stack.db.select().from(tables.nets).where(eq(tables.nets.name, 'P2P-LINK'))).toHaveLength(0);

    const article = `#rejection-${toEdit.rejectionId}`;
    await page.click(`${article} summary:has-text("Dismiss")`);
    await page.fill(`${article} details[open] textarea[name=note]`, 'withdrawn by the customer');
    await Promise.all([
      page.waitForURL(/\/submissions\//),
      page.click(`${article} details[open] button[type=submit]`),
    ]);
    expect(await page.textContent('main > .flash')).toBe(`Rejection ${toEdit.rejectionId} dismissed.`);
  });

  it('ends with nothing open, the mails the actions promised and one audit row per action', async () => {
    expect(await openCount()).toBe(0);
    await page.goto(`${stack.baseUrl}/rejections`);
    expect(await page.textContent('h1')).toContain('0 open');
    // Dismissals mail nobody.
    const seeded = [...weekly, ...assorted].map((s) => s.submissionId);
    expect(await mailsOf(seeded)).toEqual([]);
    // Each SWIP: its first reply, then only what changed an outcome or staff wrote.
    const kinds = async (id: string) => (await mailsOf([id])).map((m) => m.kind).sort();
    expect(await kinds(toEdit.submissionId)).toEqual(['reply', 'reply', 'reply']);
    expect(await kinds(toFail.submissionId)).toEqual(['reply']);
    expect(await kinds(held.submissionId)).toEqual(['reply', 'reply']);

    const a = tables.auditLog;
    const actions = await stack.db
      .select({ action: a.action, actor: a.actor })
      .from(a)
      .where(like(a.action, 'console.%'));
    const count = (action: string) => actions.filter((r) => r.action === action).length;
    expect(count('console.dismiss')).toBe(197 + 2);
    expect(count('console.edit-and-apply')).toBe(2);
    expect(count('console.reject')).toBe(1);
    expect(count('console.undo')).toBe(1);
    expect(actions.every((r) => r.actor === `staff:${STAFF_EMAIL}`)).toBe(true);
    // The undo's registry steps: the net and the customer removed, each naming the row undone.
    const undoSteps = await stack.db
      .select({ action: a.action, type: a.objectType, note: a.note })
      .from(a)
      .where(and(eq(a.submissionId, toEdit.submissionId), like(a.note, 'undo of audit #%')));
    expect(undoSteps.map((s) => `${s.action} ${s.type}`).sort()).toEqual(['remove customer', 'remove net']);
  });
});
