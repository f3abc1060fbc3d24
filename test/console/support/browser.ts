/** Debian's chromium driven by playwright-core (never a downloaded browser), headless, its own profile. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

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
