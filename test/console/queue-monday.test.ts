/**
 * A Monday in the console, in Chromium at 1280x720: ~60 rejections waiting, with long reasons and
 * most with the sender's Additional Information (of two lines); at least 15 rows are on screen; staff search, select, bulk-dismiss with one note (one claim and one audit row per
 * rejection, no mail to anyone), come back to the same search, and move with the keyboard:
 * j/k, x, d, and "next item" that keeps the filters.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { launchBrowser, signedInPage, type TestBrowser } from './support/browser.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { type SeededRejection, seedRejectedSubmission } from './support/rows.ts';

let stack: ConsoleStack;
let browser: TestBrowser;
let page: Page;
const pile: SeededRejection[] = [];
const others: SeededRejection[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser({ javaScript: true })]);
  for (let i = 0; i < 60; i++) {
    const mine = i % 3 !== 0;
    const seeded = await seedRejectedSubmission(stack.db, {
      from: mine ? `billing${i}@monday.example` : `ops${i}@elsewhere.example`,
      subject: mine ? `Monday-pile ${i}` : `Weekly ${i}`,
      range: `198.51.${100 + (i % 50)}.0/28`,
      netName: `NET-MONDAY-${i}`,
      error: {
        code: 'E_OVERLAP',
        message: `198.51.${100 + (i % 50)}.0/28 overlaps an existing reassignment NET-198-51-${100 + (i % 50)}-0-1 of Demo ISP registered to another customer (${i})`,
      },
    });
    // As billing systems send them: most templates carry a note to the hostmaster, some of lines.
    if (i % 4 !== 3) {
      await stack.db.insert(tables.tickets).values({
        number: `20261207-M${String(i).padStart(7, '0')}`,
        submissionId: seeded.submissionId,
        templateIndex: 1,
        status: 'rejected',
        additionalInfo: `Order ${1000 + i} for the customer's new site; circuit ID CKT-${i}-XYZ.\nPlease call the NOC before changing anything.`,
      });
    }
    (mine ? pile : others).push(seeded);
  }
  page = await signedInPage(browser, stack.baseUrl, STAFF_EMAIL, STAFF_PASSWORD);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Rows wholly inside the viewport, as laid out (nothing scrolled). */
async function visibleRows(p: Page): Promise<number> {
  const height = p.viewportSize()?.height ?? 0;
  let visible = 0;
  for (const row of await p.locator('table.queue tbody tr').all()) {
    const box = await row.boundingBox();
    if (box && box.y >= 0 && box.y + box.height <= height) visible++;
  }
  return visible;
}

describe('clearing a Monday in the console (Chromium, 1280x720)', () => {
  it('shows at least 15 rejections on one screen', async () => {
    await page.goto(`${stack.baseUrl}/rejections`);
    expect(await page.locator('table.queue tbody tr').count()).toBe(50);
    expect(await visibleRows(page)).toBeGreaterThanOrEqual(15);
  });

  it('bulk-dismisses a search with one note: one audit row each, no mail, the search kept', async () => {
    await page.fill('input[name=q]', 'monday-pile');
    await page.click('button:has-text("Filter")');
    await page.waitForURL(/q=monday-pile/);
    const boxes = page.locator('table.queue tbody input[type=checkbox]');
    expect(await boxes.count()).toBe(pile.length);
    for (let i = 0; i < pile.length; i++) await boxes.nth(i).check();
    await page.fill('form.bulk input[name=note]', 'Monday pile: resent by the customer');
    await page.click('form.bulk button[value=dismiss]');
    await page.waitForSelector('.flash', { timeout: 120_000 });
    expect(await page.textContent('.flash')).toContain(
      `${pile.length} of ${pile.length} rejections dismissed.`,
    );
    expect(new URL(page.url()).searchParams.get('q')).toBe('monday-pile');
    expect(await page.locator('table.queue tbody tr').count()).toBe(0);

    const ids = pile.map((p) => p.rejectionId);
    const r = tables.rejections;
    const states = await stack.db
      .select({ state: r.state, by: r.closedBy })
      .from(r)
      .where(inArray(r.id, ids));
    expect(states.every((s) => s.state === 'dismissed' && s.by === `staff:${STAFF_EMAIL}`)).toBe(true);
    const audit = await stack.db
      .select({ handle: tables.auditLog.objectHandle })
      .from(tables.auditLog)
      .where(
        and(eq(tables.auditLog.action, 'console.dismiss'), eq(tables.auditLog.actor, `staff:${STAFF_EMAIL}`)),
      );
    expect(audit).toHaveLength(pile.length);
    expect(await stack.db.select().from(tables.outbox)).toHaveLength(0);
    // The others wait, untouched.
    const open = await stack.db
      .select({ id: r.id })
      .from(r)
      .where(
        and(
          eq(r.state, 'open'),
          inArray(
            r.id,
            others.map((o) => o.rejectionId),
          ),
        ),
      );
    expect(open).toHaveLength(others.length);
  });

  it('moves with the keyboard: j/k, x selects, d dismisses the selection, n is the next item', async () => {
    await page.goto(`${stack.baseUrl}/rejections?q=weekly&sort=oldest`);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await page.keyboard.press('x');
    const first = page.locator('table.queue tbody tr').first();
    expect(await first.getAttribute('class')).toContain('current');
    expect(await first.locator('input[type=checkbox]').isChecked()).toBe(true);
    await page.fill('form.bulk input[name=note]', 'duplicate of a later one');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('d');
    await page.waitForSelector('.flash', { timeout: 60_000 });
    expect(await page.textContent('.flash')).toContain('1 of 1 rejections dismissed.');
    const [oldest] = others;
    const [gone] = await stack.db
      .select({ state: tables.rejections.state })
      .from(tables.rejections)
      .where(eq(tables.rejections.id, oldest!.rejectionId));
    expect(gone!.state).toBe('dismissed');

    // Next item opens the next open rejection of the same search, and its page keeps the search.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('n');
    await page.waitForURL(/\/submissions\//);
    expect(page.url()).toContain(others[1]!.submissionId);
    await page.click('a[data-key=next]');
    await page.waitForURL((url) => url.pathname.includes(others[2]!.submissionId));
    await page.click('a[data-key=queue]');
    await page.waitForURL(/\/rejections\?/);
    expect(new URL(page.url()).searchParams.get('q')).toBe('weekly');
    expect(new URL(page.url()).searchParams.get('sort')).toBe('oldest');
  });
});
