/**
 * Per account and API key, the console shows the messages and templates of the last 30 days by
 * outcome, and when each key was last used; a key shows its last group only. Real mail over
 * SMTP through the whole daemon, the page over HTTP.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { pageText, type SignedInGet, signIn } from './support/sign-in.ts';

describe('usage per account and API key (PostgreSQL)', () => {
  let stack: ConsoleStack;
  let get: SignedInGet;
  let demoKeyId: number;
  let otherKeyId: number;

  /** The cells of a table row, as text. */
  function cells(html: string, rowId: string): string[] {
    const row = new RegExp(`<tr id="${rowId}">([\\s\\S]*?)</tr>`).exec(html)?.[1];
    if (!row) throw new Error(`no row ${rowId}`);
    return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) =>
      pageText(m[1]!).replace(/\s+/g, ' ').trim(),
    );
  }

  beforeAll(async () => {
    stack = await startConsoleStack();
    const keys = await stack.db.select().from(tables.apiKeys);
    demoKeyId = keys.find((k) => k.display.endsWith('0001'))!.id;
    otherKeyId = keys.find((k) => k.display.endsWith('0002'))!.id;
    const send = (subject: string, text: string) =>
      stack.send({ from: 'noc@demo-isp.example', subject, text });
    const demo = (range: string, name: string) => simpleReassignment({ range, name, apiKey: DEMO_API_KEY });
    const old = await stack.processed(
      await send(`SWIP ${DEMO_API_KEY}`, demo('198.51.100.160/29', 'USAGE-OLD')),
    );
    // Forty days ago: outside the counts, still the key's use.
    await stack.db
      .update(tables.submissions)
      .set({ receivedAt: new Date(Date.now() - 40 * 24 * 3600 * 1000) })
      .where(eq(tables.submissions.id, old));
    await stack.processed(await send(`SWIP ${DEMO_API_KEY}`, demo('198.51.100.168/29', 'USAGE-1')));
    const bad = demo('198.51.100.176/29', 'USAGE-BAD').replace(
      /^11\. Customer Country Code:.*$/m,
      '11. Customer Country Code: XX',
    );
    await stack.processed(
      await send(`SWIP ${DEMO_API_KEY}`, `${demo('198.51.100.184/29', 'USAGE-2')}\n${bad}`),
    );
    await stack.processed(await send(`Hello ${DEMO_API_KEY}`, 'No template here, sorry.\n'));
    get = await signIn(stack.baseUrl, STAFF_EMAIL, STAFF_PASSWORD);
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("counts each key's messages and templates of the last 30 days by outcome, and says when it was last used", async () => {
    const page = await get('/accounts');
    expect(page.status).toBe(200);
    const [key, lastUsed, messages, refused, answers, approved, rejected, pending] = cells(
      page.body,
      `key-${demoKeyId}`,
    );
    expect(key).toBe('API-****-****-****-0001');
    expect(lastUsed).not.toBe('never');
    expect([messages, refused, answers, approved, rejected, pending]).toEqual(['3', '1', '0', '2', '1', '0']);
    expect(cells(page.body, `key-${otherKeyId}`).slice(0, 3)).toEqual([
      'API-****-****-****-0002',
      'never',
      '0',
    ]);
  });

  it('shows no key beyond its last group', async () => {
    const page = await get('/accounts');
    expect(page.body).not.toContain('DE70');
    expect(page.body).not.toContain(DEMO_API_KEY);
  });

  it('pages a registry of many accounts fifty at a time, by name, and finds one by part of its name or address', async () => {
    const many = Array.from({ length: 120 }, (_, i) => `zz-paging-${String(i).padStart(3, '0')}`);
    const rows = await stack.db
      .insert(tables.accounts)
      .values(many.map((name) => ({ name })))
      .returning();
    await stack.db
      .insert(tables.accountEmails)
      .values(rows.map((r, i) => ({ accountId: r.id, email: `billing_${i}@isp-${i}.example` })));
    const names = (html: string) =>
      [...html.matchAll(/scope="rowgroup">(zz-paging-\d+)</g)].map((m) => m[1]!);

    const shown: string[] = [];
    let link: string | undefined = '/accounts?q=zz-paging';
    let pages = 0;
    while (link) {
      const page = await get(link);
      expect(page.status).toBe(200);
      expect(page.body).toContain('120 accounts matching');
      shown.push(...names(page.body));
      link = /<a href="([^"]+)" rel="next">/.exec(page.body)?.[1]?.replaceAll('&amp;', '&');
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(shown).toEqual(many);

    // An address's part (with LIKE's own characters taken literally), in any case.
    const found = await get('/accounts?q=BILLING_7%40ISP-7.');
    expect(names(found.body)).toEqual(['zz-paging-007']);
    expect(found.body).toContain('1 account matching');
    expect(names((await get('/accounts?q=billing%25')).body)).toEqual([]);
    // The first page without a search still starts with the seeded accounts, counted.
    const first = await get('/accounts');
    expect(first.body).toMatch(/\d+ accounts</);
    expect(first.body).toContain(`id="key-${demoKeyId}"`);
  });
});
