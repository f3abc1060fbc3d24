/**
 * A staff answer from the console follows the worker's rules on whom to answer: a forged sender
 * naming a victim does not make staff mail the victim, a sender verified only by SPF is answered
 * at that address without their Subject or Message-ID, and staff answers count against the
 * per-recipient reply limit in Redis like the worker's replies. Real SMTP in, the daemon's own
 * worker, outbox and console over HTTP, mail caught by an SMTP sink.
 */
import { and, eq } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { rejectionsOf } from '../pipeline/support/outcomes.ts';
import { stubResolver } from '../support/dkim.ts';
import { readersAgree } from '../support/line-readers.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { ConsoleClient } from './support/http-client.ts';

const LIMIT = 2;
const STAFF = 'alice@registry.example';
const PASSWORD = 'wonderland rabbit hole';
const POC_CHANGE =
  'Template: ARIN-POC-5.1\n01. Registration Action: R\n02. Existing POC Handle: DEMO1-ARIN\nEND OF TEMPLATE\n';
const ATTACKER_SUBJECT = 'Cheap pills at spam.example';

const htmlText = (html: string) =>
  html
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('staff answers follow the backscatter rules (postgres, real SMTP, console over HTTP)', () => {
  let stack: Stack;
  let client: ConsoleClient;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      resolver: stubResolver({ spf: { 'spf-isp.example': 'v=spf1 ip4:127.0.0.1 -all' } }),
      env: { REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: String(LIMIT) },
    });
    const staff = await createStaffUser(stack.database.db, STAFF, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    client = new ConsoleClient(`http://127.0.0.1:${stack.daemon.consolePort}`);
    expect((await client.signIn(STAFF, PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  async function refused(raw: string, envelopeFrom: string) {
    const id = await stack.send(raw, { from: envelopeFrom });
    await stack.processed(id, 60_000);
    const [rejection] = await rejectionsOf(stack.database.db, id);
    if (!rejection) throw new Error(`no rejection for ${id}`);
    return { id, rejectionId: rejection.id };
  }

  /** Opens the submission's page, dismisses with an answer, and returns the page and the flash. */
  async function dismissWithAnswer(id: string, rejectionId: number, answer: string) {
    const page = htmlText((await client.get(`/submissions/${id}`)).body.replace(/<[^>]+>/g, ''));
    const posted = await client.post(`/rejections/${rejectionId}/dismiss`, { note: 'answered', answer });
    expect(posted.status).toBe(303);
    const after = htmlText((await client.get(posted.headers.get('location')!)).body);
    const flash = /<p class="flash [a-z]+" role="status">([^<]*)<\/p>/.exec(after)?.[1] ?? '';
    return { page, flash };
  }

  const staffMails = (submissionId: string) =>
    stack.database.db
      .select()
      .from(tables.outbox)
      .where(and(eq(tables.outbox.submissionId, submissionId), eq(tables.outbox.kind, 'staff')));

  it('a forged sender naming a victim: the page says nobody can be answered, and the answer is refused', async () => {
    const { id, rejectionId } = await refused(
      mail({
        from: 'Victim <victim@victim.example>',
        subject: ATTACKER_SUBJECT,
        body: `Buy now!\n${POC_CHANGE}`,
        headers: { 'Reply-To': 'victim@victim.example' },
      }),
      'bot@spam.example',
    );
    const { page, flash } = await dismissWithAnswer(id, rejectionId, 'Please use your API key.');
    expect(page).toMatch(/Nobody can be answered: unverified sender/);
    expect(flash).toMatch(/^Not dismissed: the sender may not be answered: unverified sender/);
    expect(await staffMails(id)).toEqual([]);
    const [row] = await stack.database.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, rejectionId));
    expect(row?.state).toBe('open');
  });

  it('a sender verified by SPF alone: answered there, without their Subject or Message-ID, never at Reply-To', async () => {
    const { id, rejectionId } = await refused(
      mail({
        from: 'Jane <jane@spf-isp.example>',
        subject: ATTACKER_SUBJECT,
        body: POC_CHANGE,
        messageId: '<buy-pills-now@spf-isp.example>',
        headers: { 'Reply-To': 'victim@victim.example' },
      }),
      'jane@spf-isp.example',
    );
    // Staff quote a value of the customer's, pasted with its line separator.
    const { page, flash } = await dismissWithAnswer(
      id,
      rejectionId,
      'Ask your account admin for a key. You wrote: Acme\u2028Status: APPROVED',
    );
    expect(page).toMatch(/An answer goes to jane@spf-isp\.example, verified by SPF or DKIM/);
    expect(flash).toBe(
      `Rejection ${rejectionId} dismissed. Your answer to jane@spf-isp.example is in the outbox.`,
    );
    const [answer] = await staffMails(id);
    expect(answer?.recipients).toEqual(['jane@spf-isp.example']);
    expect(answer?.raw).toMatch(new RegExp(`^Subject: Re: your message ${id}\\r?$`, 'm'));
    expect(answer?.raw).not.toContain('Cheap pills');
    expect(answer?.raw).not.toContain('buy-pills-now');
    expect(answer?.raw).not.toContain('victim@victim.example');
    const text = (await simpleParser(answer!.raw)).text ?? '';
    expect(readersAgree(text)).toBe(true);
    expect(text).toContain('You wrote: Acme\\u2028Status: APPROVED');
  });

  it('staff answers count against the per-recipient limit, and are held by it', async () => {
    // The worker's refusal (1) and the staff answer (2) fill the limit for this address...
    const first = await refused(
      mail({ from: 'joe@spf-isp.example', subject: 'first', body: POC_CHANGE }),
      'joe@spf-isp.example',
    );
    const answered = await dismissWithAnswer(first.id, first.rejectionId, 'First answer.');
    expect(answered.flash).toMatch(/Your answer to joe@spf-isp\.example is in the outbox/);
    // ...so the worker's next refusal to it is held (staff told so on the rejection)...
    const second = await refused(
      mail({ from: 'joe@spf-isp.example', subject: 'second', body: POC_CHANGE }),
      'joe@spf-isp.example',
    );
    const reasons = (await rejectionsOf(stack.database.db, second.id)).map((r) => r.reason).join('\n');
    expect(reasons).toMatch(/reply limit: joe@spf-isp\.example already got 2 mails/);
    // ...and so is a staff answer to it.
    const held = await dismissWithAnswer(second.id, second.rejectionId, 'Second answer.');
    expect(held.flash).toMatch(
      /^Not dismissed: joe@spf-isp\.example already got 2 mails from us in the last hour \(REPLY_LIMIT_PER_RECIPIENT_PER_HOUR is 2\)/,
    );
    expect(await staffMails(second.id)).toEqual([]);
  });

  it('with Redis down the answer cannot be counted: it is refused, the rejection stays open, and goes once Redis is back', async () => {
    const { id, rejectionId } = await refused(
      mail({ from: 'kim@spf-isp.example', subject: 'outage', body: POC_CHANGE }),
      'kim@spf-isp.example',
    );
    await stack.redis.pause();
    try {
      const { flash } = await dismissWithAnswer(id, rejectionId, 'Answer during the outage.');
      expect(flash).toMatch(/^Not dismissed: the per-recipient reply count in Redis could not be read/);
      expect(await staffMails(id)).toEqual([]);
    } finally {
      await stack.redis.resume();
    }
    let flash = '';
    for (let i = 0; i < 60 && !flash.includes('is in the outbox'); i++) {
      flash = (await dismissWithAnswer(id, rejectionId, 'Answer after the outage.')).flash;
      if (!flash.includes('is in the outbox')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(flash).toBe(
      `Rejection ${rejectionId} dismissed. Your answer to kim@spf-isp.example is in the outbox.`,
    );
    expect(await staffMails(id)).toHaveLength(1);
  }, 120_000);
});
