/**
 * A staff member's day in the console, in Debian's chromium WITH JAVASCRIPT OFF (the core flows
 * must work without it), against the whole daemon: customers' mail goes in over SMTP, the worker
 * refuses what it must, and staff sign in, find the rejections, read them, reprocess after fixing
 * the registry, override a /30, edit and apply, dismiss with an answer, lose a race; a wrong
 * password, a CSRF-less POST, a visitor without a session, bull-board behind the sign-in, a
 * one-time password replaced, and the sign-in back-off. Screenshots of the queue and a submission go to
 * test/artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import { parseReply } from '../support/reply-reader.ts';
import { ARTIFACTS, launchBrowser, signInOnPage, type TestBrowser } from './support/browser.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { insertDemoBigAllocation, simpleTemplate } from './support/rows.ts';

interface Filed {
  readonly submissionId: string;
  readonly rejectionId: number;
  readonly reasonCode: string;
}

let stack: ConsoleStack;
let browser: TestBrowser;
let page: Page;
let noParent: Filed;
let tooSmall: Filed;
let toEdit: Filed;
let toDismiss: Filed;
let forCsrf: Filed;
let unwaivable: Filed;

/** A customer's SWIP as their billing system mails it. */
async function swip(stackRef: ConsoleStack, range: string, netName: string, attach = false): Promise<Filed> {
  const template = simpleTemplate(range, netName, DEMO_API_KEY);
  const messageId = await stackRef.send({
    from: `Demo ISP billing <${DEMO_SENDER}>`,
    subject: `REASSIGN SIMPLE ${range}`,
    text: attach ? 'Our SWIP is attached.\n' : `${template}\n`,
    ...(attach
      ? {
          attachments: [
            { filename: 'swip.txt', content: `${template}\n`, contentTransferEncoding: 'base64' },
          ],
        }
      : {}),
  });
  return await stackRef.rejectionFor(messageId);
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser({ javaScript: false })]);
  // Outside every net the demo ISP holds, until staff add its allocation.
  [noParent, tooSmall, toEdit, toDismiss, forCsrf, unwaivable] = await Promise.all([
    swip(stack, '192.0.2.8/29', 'BAKERY-NET', true),
    swip(stack, '198.51.100.64/30', 'P2P-LINK'),
    swip(stack, '198.51.100.128/30', 'TYPO-NET'),
    // Held by OTHERISP-1: not the demo ISP's to reassign.
    swip(stack, '203.0.113.0/29', 'NOT-OURS'),
    swip(stack, '203.0.113.8/29', 'NOT-OURS-EITHER'),
    // Inside no net anyone holds: no waiver can place it.
    swip(stack, '100.64.9.0/29', 'NOWHERE-NET'),
  ]);
  page = await browser.context.newPage();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function act(
  p: Page,
  rejectionId: number,
  action: string,
  fill: (form: string) => Promise<void>,
): Promise<string> {
  const article = `#rejection-${rejectionId}`;
  await p.click(`${article} summary:has-text("${action}")`);
  const form = `${article} details[open] form`;
  await fill(form);
  await p.click(`${form} button[type=submit]`);
  return (await p.textContent('.flash')) ?? '';
}

describe('the staff console in a browser', () => {
  it('sends a visitor without a session to the sign-in page, bull-board included', async () => {
    await page.goto(`${stack.baseUrl}/rejections?reason=E_NO_PARENT_NET`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.goto(`${stack.baseUrl}/queues`);
    expect(new URL(page.url()).pathname).toBe('/login');
    const api = await browser.context.request.get(`${stack.baseUrl}/queues/api/queues`, { maxRedirects: 0 });
    expect(api.status()).toBe(401);
  });

  it('refuses a wrong password with a sentence, and signs in with the right one', async () => {
    await page.goto(`${stack.baseUrl}/rejections?reason=E_NO_PARENT_NET`);
    await signInOnPage(page, STAFF_EMAIL, 'not the password');
    expect(await page.textContent('.flash.error')).toContain('do not match');
    expect(new URL(page.url()).pathname).toBe('/login');
    await signInOnPage(page, STAFF_EMAIL, STAFF_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/rejections');
    expect(await page.textContent('header')).toContain(STAFF_EMAIL);
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'hm_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('finds the rejection in the queue by reason and shows its submission', async () => {
    await page.goto(`${stack.baseUrl}/rejections`);
    // BAKERY-NET and NOWHERE-NET.
    expect(await page.textContent('.reasons')).toMatch(/E_NOT_WITHIN_PARENT\s*2/);
    expect(await page.textContent('.reasons')).toMatch(/E_PREFIX_TOO_SMALL\s*2/);
    await page.click('.reasons a:has-text("E_NOT_WITHIN_PARENT")');
    const rows = page.locator('table.queue tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain(DEMO_SENDER);
    expect(await page.content()).not.toContain(DEMO_API_KEY);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-queue.png'), fullPage: true });

    await page.click(`a:has-text("#${noParent.rejectionId}")`);
    expect(new URL(page.url()).pathname).toBe(`/submissions/${noParent.submissionId}`);
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('ARIN-REASSIGN-SIMPLE-5.3');
    expect(text).toContain('192.0.2.8/29');
    expect(await page.textContent('#template-1 table.errors')).toMatch(
      /E_NOT_WITHIN_PARENT\s*192\.0\.2\.8\/29 is not inside any network registered with us/,
    );
    expect(text).toContain('MAIL FROM');
    expect(text).toMatch(/No ticket|REJECTED/);
    // The reply that told the customer why is on the page.
    expect(await page.textContent('article.reply')).toContain(DEMO_SENDER);
    // The key is nowhere: not in the headers, the echo, the reply, nor the raw base64 attachment.
    expect(await page.content()).not.toContain(DEMO_API_KEY);
    expect(text).toContain('base64 part shown decoded');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-submission.png'), fullPage: true });
  });

  it('reprocesses after the registry was fixed: applied, ticketed, answered, audited', async () => {
    // Staff fix the registry: the demo ISP's allocation 192.0.2.0/24 was missing.
    await stack.db.insert(tables.nets).values({
      handle: 'NET-192-0-2-0-1',
      name: 'DEMO-ISP-2',
      version: 4,
      startAddress: 0xc0000200n,
      endAddress: 0xc00002ffn,
      cidrs: ['192.0.2.0/24'],
      type: 'direct_allocation',
      orgHandle: 'DEMOISP-1',
    });
    await page.goto(`${stack.baseUrl}/submissions/${noParent.submissionId}`);
    const flash = await act(page, noParent.rejectionId, 'Reprocess', async (form) => {
      await page.fill(`${form} textarea[name=note]`, 'Allocation 192.0.2.0/24 was missing; added.');
    });
    expect(flash).toMatch(/^Done \(reprocess\): template 1 APPROVED, ticket \d{8}-X\d+ \(.*NET-192-0-2-8-/);
    expect(flash).toMatch(/Reply <[^>]+> \((pending|sent)\) to the customer\./);
    const main = (await page.textContent('main')) ?? '';
    expect(main).toContain('reprocessed');
    expect(main).toContain('console.reprocess');
    expect(main).toContain(`staff:${STAFF_EMAIL}`);

    // The outbox sender delivers it (to the outbox folder here): the page then says "sent".
    await waitFor(async () => {
      const replies = await stack.db
        .select()
        .from(tables.outbox)
        .where(eq(tables.outbox.submissionId, noParent.submissionId));
      return replies.length === 2 && replies.every((r) => r.state === 'sent');
    });
    await page.reload();
    const lastReply = page.locator('article.reply').last();
    expect(await lastReply.textContent()).toMatch(/sent\s+reply to noc@demo-isp.example/);
    const eml = fs.readdirSync(path.join(stack.config.dataDir, 'outbox'));
    expect(eml.length).toBeGreaterThanOrEqual(2);
  });

  it('approves a /30 with an override of the rule it broke; the sender reads the message, never the audit note', async () => {
    await page.goto(`${stack.baseUrl}/submissions/${tooSmall.submissionId}`);
    const auditNote = 'Point-to-point link, /30 accepted by policy 4.2. Their CFO was rude on the phone.';
    const message = 'We accepted the /30 for your point-to-point link this once.';
    const flash = await act(page, tooSmall.rejectionId, 'Approve with override', async (form) => {
      expect(await page.isChecked(`${form} input[value=E_PREFIX_TOO_SMALL]`)).toBe(true);
      // Only the rules a waiver can lift are offered.
      expect(await page.locator(`${form} input[name=waive]`).evaluateAll((boxes) => boxes.length)).toBe(1);
      expect(await page.textContent(`${form}`)).toMatch(
        /Note for the audit log \(staff only, never mailed\)/,
      );
      await page.fill(`${form} textarea[name=note]`, auditNote);
      await page.fill(`${form} textarea[name=message]`, message);
    });
    expect(flash).toMatch(/^Done \(override\): template 1 APPROVED, ticket .*NET-198-51-100-64-/);
    const [audit] = await stack.db
      .select()
      .from(tables.auditLog)
      .where(
        and(
          eq(tables.auditLog.action, 'console.override'),
          eq(tables.auditLog.objectHandle, String(tooSmall.rejectionId)),
        ),
      );
    expect(audit).toMatchObject({
      actor: `staff:${STAFF_EMAIL}`,
      note: auditNote,
      after: { waive: ['E_PREFIX_TOO_SMALL'], messageToSender: message },
    });
    const replies = await stack.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, tooSmall.submissionId))
      .orderBy(asc(tables.outbox.id));
    expect(replies).toHaveLength(2);
    const parsed = await parseReply(replies[1]!.raw);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.blocks[0]!.status).toBe('APPROVED');
    expect(parsed.value.blocks[0]!.notes).toContain(`Message from hostmaster staff: ${message}`);
    for (const mail of replies) {
      expect(mail.raw).not.toContain('CFO');
      expect(mail.raw).not.toContain('policy 4.2');
    }
  });

  it('ends work held for review in an answer: no dismissal, a rejection with a reason the sender can parse', async () => {
    await insertDemoBigAllocation(stack.db);
    const held = await swip(stack, '100.66.16.0/20', 'BIG-CUSTOMER');
    expect(held.reasonCode).toBe('E_STAFF_REVIEW');
    await page.goto(`${stack.baseUrl}/submissions/${held.submissionId}`);
    const article = `#rejection-${held.rejectionId}`;
    expect(await page.locator(`${article} summary:has-text("Dismiss")`).count()).toBe(0);
    // A dismissal posted anyway leaves the item open: its sender was promised a decision.
    const csrf = await page.getAttribute(`${article} input[name=_csrf] >> nth=0`, 'value');
    await page.request.post(`${stack.baseUrl}/rejections/${held.rejectionId}/dismiss`, {
      form: { _csrf: csrf ?? '', note: 'too big, ignore' },
      maxRedirects: 0,
    });
    await page.reload();
    expect(await page.textContent('.flash')).toContain(
      'Not dismissed: work held for review ends in an answer',
    );

    const reason = 'A /20 for one customer needs a utilisation plan first.';
    const flash = await act(page, held.rejectionId, 'Reject with a reason', async (form) => {
      await page.fill(`${form} textarea[name=reason]`, reason);
      await page.fill(`${form} textarea[name=note]`, 'Second /20 this month for this customer.');
    });
    expect(flash).toMatch(
      /^Rejected: template 1, ticket \d{8}-X\d+ closed\. Reply <[^>]+> \((pending|sent)\)/,
    );
    const replies = await stack.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, held.submissionId))
      .orderBy(asc(tables.outbox.id));
    expect(replies).toHaveLength(2);
    const [first, second] = await Promise.all(replies.map((r) => parseReply(r.raw)));
    if (!first?.ok || !second?.ok) throw new Error('a reply does not parse');
    expect(second.value.blocks[0]).toMatchObject({
      status: 'REJECTED',
      ticket: first.value.blocks[0]!.ticket,
      errors: [{ code: 'E_REJECTED_BY_STAFF', message: reason }],
    });
    expect(replies[1]!.raw).not.toContain('Second /20');
    const [ticket] = await stack.db
      .select()
      .from(tables.tickets)
      .where(eq(tables.tickets.submissionId, held.submissionId));
    expect(ticket).toMatchObject({ status: 'rejected' });
    expect(ticket!.closedAt).not.toBeNull();
    const [rejection] = await stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, held.rejectionId));
    expect(rejection).toMatchObject({ state: 'rejected', closedBy: `staff:${STAFF_EMAIL}` });
  });

  it('offers no override for a refusal no waiver can lift, and refuses one posted anyway', async () => {
    await page.goto(`${stack.baseUrl}/submissions/${unwaivable.submissionId}`);
    const article = `#rejection-${unwaivable.rejectionId}`;
    expect(await page.locator(`${article} summary:has-text("Approve with override")`).count()).toBe(0);
    expect(await page.textContent(article)).toContain('No rule of this refusal can be waived');
    expect(await page.locator(`${article} input[name=waive]`).count()).toBe(0);
    const csrf = await page.getAttribute(`${article} input[name=_csrf] >> nth=0`, 'value');
    const posted = await page.request.post(`${stack.baseUrl}/rejections/${unwaivable.rejectionId}/override`, {
      form: { _csrf: csrf ?? '', note: 'forcing it', waive: unwaivable.reasonCode },
      maxRedirects: 0,
    });
    expect(posted.status()).toBe(303);
    await page.reload();
    expect(await page.textContent('.flash')).toContain('cannot be waived');
    const [rejection] = await stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, unwaivable.rejectionId));
    expect(rejection!.state).toBe('open');
    const replies = await stack.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, unwaivable.submissionId));
    expect(replies).toHaveLength(1);
  });

  it('corrects the template text, shows the change, and applies it once confirmed', async () => {
    await page.goto(`${stack.baseUrl}/submissions/${toEdit.submissionId}`);
    const article = `#rejection-${toEdit.rejectionId}`;
    await page.click(`${article} summary:has-text("Edit and apply")`);
    const form = `${article} details[open] form`;
    const text = await page.inputValue(`${form} textarea[name=text]`);
    await page.fill(`${form} textarea[name=text]`, text.replace('198.51.100.128/30', '198.51.100.128/29'));
    await page.fill(`${form} textarea[name=note]`, 'Customer confirmed by phone: a /29 was meant.');
    await page.click(`${form} button[type=submit]`);
    expect(await page.textContent('#against-customer')).toContain(
      '+ 03. IP Address and Prefix or Range: 198.51.100.128/29',
    );
    await page.click('form.confirm-edit button[value=apply]');
    const flash = (await page.textContent('.flash')) ?? '';
    expect(flash).toMatch(/^Done \(edit-and-apply\): template 1 APPROVED, ticket .*NET-198-51-100-128-/);
  });

  it('looks up what the pipeline applied, by address and by handle', async () => {
    await page.goto(`${stack.baseUrl}/lookup`);
    await page.fill('input[name=q]', '198.51.100.130');
    await page.click('button:has-text("Search")');
    const nets = (await page.textContent('main')) ?? '';
    expect(nets).toContain('Read as IPv4 address 198.51.100.130');
    expect(nets).toContain('TYPO-NET');
    expect(nets).toContain('198.51.100.128 - 198.51.100.135');
    expect(nets).toContain('DEMO-ISP'); // the covering allocation, listed after the reassignment
    expect(nets).toContain(toEdit.submissionId);
    await page.fill('input[name=q]', 'noc@demo-isp.example');
    await page.click('button:has-text("Search")');
    expect(await page.textContent('main')).toContain('DEMO1-ARIN');
  });

  it('dismisses with a written answer, and a second dismissal of the same rejection is refused', async () => {
    const stale = await browser.context.newPage();
    await stale.goto(`${stack.baseUrl}/submissions/${toDismiss.submissionId}`);
    await page.goto(`${stack.baseUrl}/submissions/${toDismiss.submissionId}`);
    const flash = await act(page, toDismiss.rejectionId, 'Dismiss', async (form) => {
      await page.fill(`${form} textarea[name=note]`, 'Not their space; explained by mail.');
      await page.fill(`${form} textarea[name=answer]`, '203.0.113.0/24 is not held by your organisation.');
    });
    expect(flash).toBe(
      `Rejection ${toDismiss.rejectionId} dismissed. Your answer to ${DEMO_SENDER} is in the outbox.`,
    );
    const [answer] = await stack.db
      .select()
      .from(tables.outbox)
      .where(and(eq(tables.outbox.submissionId, toDismiss.submissionId), eq(tables.outbox.kind, 'staff')));
    expect(answer?.recipients).toEqual([DEMO_SENDER]);
    expect(answer?.raw).toContain('In-Reply-To: <');
    expect(answer?.raw).toContain('is not held by your organisation');
    expect(answer?.raw).not.toContain(DEMO_API_KEY);

    // The other staff member's page still shows the rejection open: their click loses the race.
    const lost = await act(stale, toDismiss.rejectionId, 'Dismiss', async (form) => {
      await stale.fill(`${form} textarea[name=note]`, 'me too');
    });
    expect(lost).toMatch(
      new RegExp(
        `^Rejection ${toDismiss.rejectionId} is already dismissed by ${STAFF_EMAIL} at .* UTC; nothing was done`,
      ),
    );
    await stale.close();
  });

  it('refuses a POST without a CSRF token even with a valid session', async () => {
    const response = await browser.context.request.post(
      `${stack.baseUrl}/rejections/${forCsrf.rejectionId}/dismiss`,
      { form: { note: 'forged' }, maxRedirects: 0 },
    );
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('Nothing was changed');
    const [row] = await stack.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, forCsrf.rejectionId));
    expect(row?.state).toBe('open');
  });

  it('shows bull-board under /queues once signed in', async () => {
    const response = await page.goto(`${stack.baseUrl}/queues`);
    expect(response?.status()).toBe(200);
    expect(await response?.text()).toContain('hostmasterd queues');
    const api = await browser.context.request.get(`${stack.baseUrl}/queues/api/queues`);
    expect(api.status()).toBe(200);
  });

  it('makes a one-time password be replaced at the first sign-in', async () => {
    const created = await createStaffUser(stack.db, 'carol@registry.example', 'temp-one-time-1', {
      oneTime: true,
    });
    expect(created.ok).toBe(true);
    const other = await launchBrowser({ javaScript: false });
    try {
      const p = await other.context.newPage();
      await p.goto(`${stack.baseUrl}/login`);
      await signInOnPage(p, 'carol@registry.example', 'temp-one-time-1');
      expect(new URL(p.url()).pathname).toBe('/password');
      await p.goto(`${stack.baseUrl}/rejections`);
      expect(new URL(p.url()).pathname).toBe('/password');
      await p.fill('input[name=current_password]', 'temp-one-time-1');
      await p.fill('input[name=new_password]', 'a much longer passphrase');
      await p.fill('input[name=repeat_password]', 'a much longer passphrase');
      await p.click('button:has-text("Set password")');
      expect(new URL(p.url()).pathname).toBe('/rejections');
      expect(await p.textContent('.flash.ok')).toBe('Your new password is set.');
    } finally {
      await other.close();
    }
  });

  it('makes an address wait after five failures, even for the right password, and lets it in after the wait', async () => {
    const p = await browser.context.newPage();
    await p.context().clearCookies();
    await p.goto(`${stack.baseUrl}/login`);
    for (let i = 0; i < 7; i++) await signInOnPage(p, STAFF_EMAIL, `wrong ${i}`);
    await signInOnPage(p, STAFF_EMAIL, STAFF_PASSWORD);
    expect(new URL(p.url()).pathname).toBe('/login');
    const refusal = (await p.textContent('.flash.error')) ?? '';
    expect(refusal).toMatch(
      /^Too many failed sign-ins for this address or from your network: wait (\d+) s and try again \(this try was not checked\)\.$/,
    );
    // The wait is bounded: after it, the right password gets in. The stack caps the back-off at
    // 10 s (CONSOLE_SIGN_IN_MAX_WAIT_MS), so the test sits out one wait, not doublings.
    for (let tries = 0; new URL(p.url()).pathname === '/login'; tries++) {
      expect(tries).toBeLessThan(10);
      const seconds = Number(/wait (\d+) s/.exec((await p.textContent('.flash.error')) ?? '')?.[1] ?? 1);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 200));
      await signInOnPage(p, STAFF_EMAIL, STAFF_PASSWORD);
    }
    expect(new URL(p.url()).pathname).toBe('/rejections');
    await p.close();
  });
});
