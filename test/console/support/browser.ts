/** Debian's chromium driven by playwright-core (never a downloaded browser), headless, its own profile. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../artifacts');

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(options: { javaScript?: boolean } = {}): Promise<TestBrowser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Debian's chromium is not at ${CHROMIUM}: apt-get install -y chromium (never npx playwright install)`,
    );
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    javaScriptEnabled: options.javaScript ?? true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Fills the sign-in form and waits for the page it leads to (a click's navigation may still be under way when it returns). */
export async function signInOnPage(page: Page, email: string, password: string): Promise<void> {
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForEvent('load'), page.click('button:has-text("Sign in")')]);
}

/** A new 1280x720 page (the screenshots' size), signed in as `email`, on the rejection queue. */
export async function signedInPage(
  browser: TestBrowser,
  baseUrl: string,
  email: string,
  password: string,
): Promise<Page> {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${baseUrl}/login`);
  await signInOnPage(page, email, password);
  await page.waitForURL(/\/rejections/, { timeout: 60_000 });
  return page;
}
