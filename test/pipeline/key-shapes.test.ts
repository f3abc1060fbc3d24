/**
 * An API key written in any shape a customer types it in (no prefix, blanks, underscores, a
 * colon, no separator, AP1, en-dashes) reaches no reply, no reply header, no console page and no
 * metric: each shape goes in over SMTP in the Subject, the body, line 00, the Template: line and
 * the Reply-To address; the reply is parsed and read whole (headers and decoded body), the
 * console is read over HTTP by a signed-in staff member, /metrics is scraped. Metric labels come
 * from a closed set: 50 messages naming junk forms add no series.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { formVersionNames } from '../../src/templates/index.ts';
import { pageText, type SignedInGet, signIn } from '../console/support/sign-in.ts';
import { get as getOps, parseExposition } from '../ops/support/ops-http.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import { replyFor } from './support/outcomes.ts';

/** The key of the reviewer's report; its first three groups must never show again. */
const SECRET_GROUPS = '7F3A9C2EB41D';
const SHAPES: readonly string[] = [
  '7F3A-9C2E-B41D-58E6',
  'API 7F3A 9C2E B41D 58E6',
  'API_7F3A_9C2E_B41D_58E6',
  'API:7F3A-9C2E-B41D-58E6',
  'API7F3A9C2EB41D58E6',
  'AP1-7F3A-9C2E-B41D-58E6',
  'API\u20137F3A\u20139C2E\u2013B41D\u201358E6',
];
const EMAIL = 'dana@registry.example';
const PASSWORD = 'another long passphrase';

/** Whether text shows the key: what is left once every separator and look-alike is gone. */
function revealsKey(text: string): boolean {
  const folded = text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[^0-9A-F]/g, '');
  return folded.includes(SECRET_GROUPS);
}

/** A Reply-To local part made of the shape (atext only: other separators become dots). */
const localPart = (shape: string) => shape.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+/g, '.');

describe('a key in any shape is hidden in replies, the console and metrics (PostgreSQL)', () => {
  let stack: Stack;
  let get: SignedInGet;
  const submissions: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ backend: 'postgres' });
    const staff = await createStaffUser(stack.database.db, EMAIL, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    get = await signIn(`http://127.0.0.1:${stack.daemon.consolePort}`, EMAIL, PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  for (const [n, shape] of SHAPES.entries()) {
    it(`is hidden everywhere: ${JSON.stringify(shape)}`, async () => {
      const replyTo = `${localPart(shape)}@demo-isp.example`;
      const body = [
        `Hello, our key is ${shape} (as always).`,
        '',
        simpleReassignment({ range: `198.51.100.${8 * n}/29`, name: `DEMO-SHAPE-${n}`, apiKey: shape }),
        `Template: ARIN-${shape}-5.0`,
        `00. API Key: ${shape}`,
        'END OF TEMPLATE',
        '',
      ].join('\n');
      const id = await stack.send(
        mail({
          // The demo ISP's own key authorizes the message; the shape is the careless copy beside it.
          subject: `SWIP ${DEMO_API_KEY} key ${shape}`,
          body,
          messageId: `<shape-${n}-${Date.now()}@demo-isp.example>`,
          headers: { 'Reply-To': replyTo },
        }),
      );
      submissions.push(id);
      const { mail: caught, parsed } = await replyFor(stack.sink, id);

      // The reply reaches the Reply-To mailbox (the envelope), but no header or line names it.
      expect(caught.rcptTo.map((a) => a.toLowerCase())).toEqual([replyTo.toLowerCase()]);
      const read = await simpleParser(caught.raw);
      const headerText = [
        ...read.headerLines.map((h) => h.line),
        read.subject ?? '',
        read.to ? JSON.stringify(read.to) : '',
      ];
      for (const line of headerText) expect(revealsKey(line), `header ${line}`).toBe(false);
      expect(revealsKey(read.text ?? ''), 'the decoded body').toBe(false);
      expect(revealsKey(caught.raw), 'the raw reply').toBe(false);
      expect(read.subject).toContain('API-****-****-****-58E6');

      // Line 00 says what is wrong and how a key is written, the format spelled out.
      expect(parsed.refusal).toBeUndefined();
      expect(parsed.blocks).toHaveLength(2);
      const keyProblem = parsed.blocks[0]!.errors.find((e) => e.code === 'E_INVALID_API_KEY');
      expect(keyProblem?.message).toContain('malformed');
      expect(keyProblem?.message).toContain('API-****-****-****-58E6');
      expect(keyProblem?.message).toContain('API-XXXX-XXXX-XXXX-XXXX');
      expect(keyProblem?.message).toContain('4 to 8 groups of 4 hex digits');
      expect(parsed.blocks[1]!.errors.map((e) => e.code)).toContain('E_UNKNOWN_TEMPLATE');
      for (const block of parsed.blocks) expect(revealsKey(JSON.stringify(block))).toBe(false);

      // The console: the submission page (template headings, reply recipients, raw view) and the queue.
      const page = await get(`/submissions/${encodeURIComponent(id)}`);
      expect(page.status).toBe(200);
      expect(revealsKey(pageText(page.body)), 'the submission page').toBe(false);
      expect(pageText(page.body)).toContain('ARIN-API-****-****-****-58E6');
      const queue = await get('/rejections');
      expect(queue.status).toBe(200);
      expect(revealsKey(pageText(queue.body)), 'the rejection queue').toBe(false);
    }, 120_000);
  }

  it('counts the templates under closed form labels; /metrics shows no key', async () => {
    const scraped = await getOps(stack.daemon.opsPort!, '/metrics');
    expect(scraped.status).toBe(200);
    expect(revealsKey(scraped.body)).toBe(false);
    const known = new Set([...formVersionNames(), 'unknown']);
    const forms = parseExposition(scraped.body)
      .filter((s) => s.name === 'hostmasterd_templates_total')
      .map((s) => s.labels['form'] ?? '');
    expect(forms.length).toBeGreaterThan(0);
    for (const form of forms) expect(known).toContain(form);
  });
});

describe('junk form names make no new series (PostgreSQL)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'postgres' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  const junk = (i: number, k: number) =>
    fillForm('ARIN-REASSIGN-SIMPLE-5.3', { '01': 'N', '03': `198.51.100.${i % 32}/32` }).replace(
      'ARIN-REASSIGN-SIMPLE-5.3',
      `ARIN-JUNK-${i}-${k}-${'X'.repeat(40)}-5.0`,
    );

  it('50 messages of junk forms: a bounded number of series, a bounded /metrics', async () => {
    // Our own series only: the process metrics come and go with the runtime (GC kinds).
    const series = async () => {
      const scraped = await getOps(stack.daemon.opsPort!, '/metrics');
      expect(scraped.status).toBe(200);
      const ours = scraped.body.split('\n').filter((line) => line.startsWith('hostmasterd_'));
      return {
        body: scraped.body,
        count: parseExposition(scraped.body).filter((s) => s.name.startsWith('hostmasterd_')).length,
        bytes: ours.join('\n').length,
      };
    };
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = await stack.send(
          mail({ subject: `SWIP junk ${i} ${DEMO_API_KEY}`, body: `${junk(i, 0)}\n${junk(i, 1)}\n` }),
        );
        await stack.processed(id, 60_000);
      }
    };
    await send(0, 5);
    const few = await series();
    await send(5, 50);
    const many = await series();
    expect(many.body).not.toContain('ARIN-JUNK');
    // Ten times the messages, the same series (counts grow, names do not).
    expect(many.count).toBe(few.count);
    expect(many.bytes).toBeLessThan(few.bytes * 1.1);
  }, 600_000);
});
