/**
 * A staff member's day in the console, in Debian's chromium WITH JAVASCRIPT OFF (the core flows
 * must work without it): signed out and redirected, a wrong password, sign in, find a rejection,
 * read it, reprocess after fixing the registry, override a /30, dismiss with an answer, lose a
 * race, a CSRF-less POST refused, bull-board behind the sign-in, a one-time password replaced,
 * and a lock-out. Screenshots of the queue and a submission go to test/artifacts/.
 *
 * The rejections are hand-inserted rows (support/rows.ts) and staff jobs run on the stand-in
 * processor (support/stand-in-worker.ts) until the daemon's worker lands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { ARTIFACTS, launchBrowser, type TestBrowser } from './support/browser.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import {
  addDemoAllocation,
  DEMO_KEY,
  type SeededRejection,
  seedDemoOrg,
  seedRejectedSubmission,
} from './support/rows.ts';

let stack: ConsoleStack;
let browser: TestBrowser;
let page: Page;
let noParent: SeededRejection;
let tooSmall: SeededRejection;
let toDismiss: SeededRejection;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser({ javaScript: false })]);
  const db = stack.db.db;
  await seedDemoOrg(db);
  noParent = await seedRejectedSubmission(db, {
    from: 'billing@cust.example',
    subject: 'SWIP bakery',
    range: '198.51.100.8/29',
    netName: 'BAKERY-NET',
    error: {
      code: 'E_NO_PARENT_NET',
      field: '03',
      line: 5,
      message: 'no net of DEMOISP-1 holds 198.51.100.8/29',
    },
    base64Attachment: true,
  });
  tooSmall = await seedRejectedSubmission(db, {
    from: 'billing@cust.example',
    subject: 'SWIP point-to-point',
    range: '198.51.100.64/30',
    netName: 'P2P-LINK',
    error: {
      code: 'E_PREFIX_TOO_SMALL',
      field: '03',
      line: 5,
      message: '198.51.100.64/30 is smaller than a /29',
    },
  });
  toDismiss = await seedRejectedSubmission(db, {
    from: 'confused@cust.example',
    subject: 'please help',
    range: '203.0.113.0/24',
    netName: 'NOT-OURS',
    error: {
      code: 'E_NOT_AUTHORIZED',
      field: '03',
      line: 5,
      message: '203.0.113.0/24 is held by OTHERISP-1',
    },
  });
  page = await browser.context.newPage();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(p: Page, email: string, password: string): Promise<void> {
  await p.fill('input[name=email]', email);
  await p.fill('input[name=password]', password);
  await p.click('button:has-text("Sign in")');
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
    await signIn(page, STAFF_EMAIL, 'not the password');
    expect(await page.textContent('.flash.error')).toContain('do not match');
    expect(new URL(page.url()).pathname).toBe('/login');
    await signIn(page, STAFF_EMAIL, STAFF_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/rejections');
    expect(await page.textContent('header')).toContain(STAFF_EMAIL);
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'hm_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('finds the rejection in the queue by reason and shows its submission', async () => {
    await page.goto(`${stack.baseUrl}/rejections`);
    expect(await page.textContent('.reasons')).toMatch(/E_NO_PARENT_NET\s*1/);
    await page.click('.reasons a:has-text("E_NO_PARENT_NET")');
    const rows = page.locator('table.queue tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('billing@cust.example');
    expect(await page.content()).not.toContain(DEMO_KEY);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-queue.png'), fullPage: true });

    await page.click(`a:has-text("#${noParent.rejectionId}")`);
    expect(new URL(page.url()).pathname).toBe(`/submissions/${noParent.submissionId}`);
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('ARIN-REASSIGN-SIMPLE-5.3');
    expect(text).toContain('no net of DEMOISP-1 holds 198.51.100.8/29');
    expect(await page.textContent(`#template-1 table.errors`)).toMatch(/03\s*5\s*E_NO_PARENT_NET/);
    expect(text).toContain('MAIL FROM');
    expect(text).toContain('API-****-****-****-7A8B');
    // Not in the headers, the echo, the raw message, nor inside its base64 attachment.
    expect(await page.content()).not.toContain(DEMO_KEY);
    expect(await page.content()).not.toContain(Buffer.from(DEMO_KEY).toString('base64').slice(0, 20));
    expect(text).toContain('base64 part shown decoded');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-submission.png'), fullPage: true });
  });

  it('reprocesses after the registry was fixed: applied, ticketed, answered, audited', async () => {
    await addDemoAllocation(stack.db.db);
    await page.goto(`${stack.baseUrl}/submissions/${noParent.submissionId}`);
    const flash = await act(page, noParent.rejectionId, 'Reprocess', async (form) => {
      await page.fill(`${form} textarea[name=note]`, 'Allocation 198.51.100.0/24 was missing; added.');
    });
    expect(flash).toMatch(
      /Done \(reprocess\): template 1 APPROVED, ticket 20261125-X\d{7} \(NET-198-51-100-8-1\)/,
    );
    expect(flash).toContain('.reply.1.reprocess@localhost> (pending)');
    const main = (await page.textContent('main')) ?? '';
    expect(main).toContain('reprocessed');
    expect(main).toContain('console.reprocess');
    expect(main).toContain(`staff:${STAFF_EMAIL}`);
    const [net] = await stack.db.db
      .select()
      .from(tables.nets)
      .where(eq(tables.nets.handle, 'NET-198-51-100-8-1'));
    expect(net?.parentHandle).toBe('NET-198-51-100-0-1');
  });

  it('approves a /30 with an override of the rule it broke', async () => {
    await page.goto(`${stack.baseUrl}/submissions/${tooSmall.submissionId}`);
    const flash = await act(page, tooSmall.rejectionId, 'Approve with override', async (form) => {
      expect(await page.isChecked(`${form} input[value=E_PREFIX_TOO_SMALL]`)).toBe(true);
      await page.fill(`${form} textarea[name=note]`, 'Point-to-point link, /30 accepted by policy 4.2.');
    });
    expect(flash).toMatch(/Done \(override\): template 1 APPROVED.*NET-198-51-100-64-1/);
    const [audit] = await stack.db.db
      .select()
      .from(tables.auditLog)
      .where(
        and(
          eq(tables.auditLog.action, 'console.override'),
          eq(tables.auditLog.objectHandle, String(tooSmall.rejectionId)),
        ),
      );
    expect(audit).toMatchObject({ actor: `staff:${STAFF_EMAIL}`, after: { waive: ['E_PREFIX_TOO_SMALL'] } });
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
      `Rejection ${toDismiss.rejectionId} dismissed. Your answer to confused@cust.example is in the outbox.`,
    );
    const [answer] = await stack.db.db
      .select()
      .from(tables.outbox)
      .where(and(eq(tables.outbox.submissionId, toDismiss.submissionId), eq(tables.outbox.kind, 'staff')));
    expect(answer?.recipients).toEqual(['confused@cust.example']);
    expect(answer?.raw).toContain('In-Reply-To: <');
    expect(answer?.raw).toContain('is not held by your organisation');
    expect(answer?.raw).not.toContain(DEMO_KEY);

    // The other staff member's page still shows the rejection open: their click loses the race.
    const lost = await act(stale, toDismiss.rejectionId, 'Dismiss', async (form) => {
      await stale.fill(`${form} textarea[name=note]`, 'me too');
    });
    expect(lost).toMatch(
      new RegExp(
        `Rejection ${toDismiss.rejectionId} is already dismissed by ${STAFF_EMAIL} at .* UTC; nothing was done`,
      ),
    );
    await stale.close();
  });

  it('refuses a POST without a CSRF token even with a valid session', async () => {
    const fresh = await seedRejectedSubmission(stack.db.db, {
      from: 'x@cust.example',
      subject: 'csrf',
      range: '198.51.100.128/29',
      netName: 'CSRF',
      error: { code: 'E_NO_PARENT_NET', message: 'x' },
    });
    const response = await browser.context.request.post(
      `${stack.baseUrl}/rejections/${fresh.rejectionId}/dismiss`,
      {
        form: { note: 'forged' },
        maxRedirects: 0,
      },
    );
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('Nothing was changed');
    const [row] = await stack.db.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, fresh.rejectionId));
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
    const created = await createStaffUser(stack.db.db, 'carol@registry.example', 'temp-one-time-1', {
      oneTime: true,
    });
    expect(created.ok).toBe(true);
    const other = await launchBrowser({ javaScript: false });
    try {
      const p = await other.context.newPage();
      await p.goto(`${stack.baseUrl}/login`);
      await signIn(p, 'carol@registry.example', 'temp-one-time-1');
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

  it('locks an address out after five failures, even for the right password', async () => {
    const p = await browser.context.newPage();
    await p.context().clearCookies();
    await p.goto(`${stack.baseUrl}/login`);
    for (let i = 0; i < 5; i++) await signIn(p, STAFF_EMAIL, `wrong ${i}`);
    await signIn(p, STAFF_EMAIL, STAFF_PASSWORD);
    expect(new URL(p.url()).pathname).toBe('/login');
    expect(await p.textContent('.flash.error')).toBe(
      'Too many failed sign-ins for this address: it is locked for 15 minutes after the last attempt.',
    );
    await p.close();
  });
});
