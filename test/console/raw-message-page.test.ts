/**
 * The submission page as the console serves it over HTTP (PostgreSQL, a signed-in staff
 * member): a stored message that hides an API key in any form a reader could decode shows no
 * key in the page's HTML, headers table and raw view alike, stays readable, and its stored bytes
 * are left as they came.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createStaffUser, type RunningConsole, startConsole } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { HIDDEN_KEY, HIDDEN_KEY_REDACTED, hiddenKeyCases, revealsHiddenKey } from './support/hidden-keys.ts';
import { storeRawSubmission } from './support/rows.ts';
import { pageText, type SignedInGet, signIn } from './support/sign-in.ts';

const EMAIL = 'carol@registry.example';
const PASSWORD = 'a long enough passphrase';

describe('the submission page over HTTP, keys hidden in every decodable form (PostgreSQL)', () => {
  let handle: TestDatabase;
  let running: RunningConsole;
  let get: SignedInGet;
  beforeAll(async () => {
    handle = await openTestDatabase('postgres');
    const staff = await createStaffUser(handle.db, EMAIL, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    const base = loadConfig({ DATABASE_URL: handle.target.kind === 'postgres' ? handle.target.url : '' });
    running = await startConsole({
      config: { ...base, console: { ...base.console, host: '127.0.0.1', port: 0 } },
      db: handle.db,
    });
    get = await signIn(`http://127.0.0.1:${running.port}`, EMAIL, PASSWORD);
  });
  afterAll(async () => {
    await running?.close();
    await handle?.close();
  });

  it('a key in the columns beside the raw bytes (Message-ID, envelope, subject, echo, rejection) is hidden too', async () => {
    const [c] = hiddenKeyCases();
    const id = await storeRawSubmission(handle.db, c!.raw);
    const [, k1 = '', k2 = '', k3 = '', k4 = ''] = HIDDEN_KEY.split('-');
    await handle.db
      .update(tables.submissions)
      .set({
        messageId: `<${HIDDEN_KEY}@isp.example>`,
        envelopeFrom: `${HIDDEN_KEY}@isp.example`,
        subject: `SWIP API=2D${k1}=2D${k2}=2D${k3}=2D${k4}`,
        refusalMessage: `refused: ${HIDDEN_KEY}`,
      })
      .where(eq(tables.submissions.id, id));
    await handle.db.insert(tables.submissionTemplates).values({
      submissionId: id,
      templateIndex: 1,
      form: 'ARIN-NET-MOD-5.3',
      formVersion: '5.3',
      echo: `Template: ARIN-NET-MOD-5.3\n00. API Key: ${HIDDEN_KEY.toLowerCase()}\nEND OF TEMPLATE`,
      outcome: 'rejected',
      errors: [],
      handles: {},
    });
    await handle.db.insert(tables.rejections).values({
      submissionId: id,
      reasonCode: 'E_NOT_AUTHORIZED',
      reason: `the key ${HIDDEN_KEY} is not linked`,
      sender: `${HIDDEN_KEY}@isp.example`,
    });
    const page = await get(`/submissions/${id}`);
    expect(page.status).toBe(200);
    expect(revealsHiddenKey(page.body), 'the HTML as served').toBe(false);
    expect(revealsHiddenKey(pageText(page.body)), 'the page as read').toBe(false);
  });

  for (const c of hiddenKeyCases()) {
    it(c.name, async () => {
      const id = await storeRawSubmission(handle.db, c.raw);
      const page = await get(`/submissions/${id}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<pre class="raw">');
      expect(revealsHiddenKey(page.body), 'the HTML as served').toBe(false);
      const text = pageText(page.body);
      expect(revealsHiddenKey(text), 'the page as read').toBe(false);
      for (const readable of c.readable) expect(text).toContain(readable);
      expect(text).toContain('From: Billing <billing@isp.example>');
      // The record is kept as it came: only the view is redacted.
      const [row] = await handle.db
        .select({ raw: tables.submissions.raw })
        .from(tables.submissions)
        .where(eq(tables.submissions.id, id));
      expect(Buffer.compare(row!.raw, c.raw)).toBe(0);
      expect(revealsHiddenKey(row!.raw.toString('utf8'))).toBe(true);
    });
  }

  it('stays responsive while it shows a 10 MB message, and shows a bounded part of it', async () => {
    // A text part holding a key, then a base64 attachment: small, and 28 times the size.
    const noise = (size: number) => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
      return bytes;
    };
    const message = (attachmentBytes: number) =>
      Buffer.from(
        [
          'From: Billing <billing@isp.example>',
          'Subject: big',
          'Content-Type: multipart/mixed; boundary="x"',
          '',
          '--x',
          '',
          `00. API Key: ${HIDDEN_KEY}`,
          '--x',
          'Content-Type: application/pdf',
          'Content-Transfer-Encoding: base64',
          '',
          noise(attachmentBytes).toString('base64').replace(/.{76}/g, '$&\r\n'),
          '--x--',
          '',
        ].join('\r\n'),
      );
    /** The longest the event loop went without running a 5 ms timer while `work` ran. */
    const longestStall = async (work: () => Promise<unknown>): Promise<number> => {
      let last = performance.now();
      let longest = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 5);
      try {
        await work();
      } finally {
        clearInterval(ticker);
      }
      return Math.max(longest, performance.now() - last);
    };
    const small = await storeRawSubmission(handle.db, message(256 * 1024));
    const large = await storeRawSubmission(handle.db, message(7 * 1024 * 1024));
    // Warm-up: the first page a console shows loads what it needs once.
    const smallPage = (await get(`/submissions/${small}`)).body;
    // The baseline: reading the same stored row in this process, which any page showing it does.
    const readingStall = await longestStall(() =>
      handle.db.select().from(tables.submissions).where(eq(tables.submissions.id, large)),
    );
    let largePage = '';
    const pageStall = await longestStall(async () => {
      largePage = (await get(`/submissions/${large}`)).body;
    });
    console.log(
      `longest event-loop stall with a 10 MB message: reading its row ${readingStall.toFixed(0)} ms, showing its page ${pageStall.toFixed(0)} ms`,
    );
    for (const page of [smallPage, largePage]) {
      expect(pageText(page)).toContain(`00. API Key: ${HIDDEN_KEY_REDACTED}`);
      expect(revealsHiddenKey(page)).toBe(false);
    }
    expect(pageText(largePage)).toMatch(/\[the rest of the message \([\d,]+ characters\) is not shown here/);
    expect(largePage.length).toBeLessThan(smallPage.length * 4);
    expect(pageStall).toBeLessThan(Math.max(readingStall, 250) * 4);
  }, 300_000);
});
