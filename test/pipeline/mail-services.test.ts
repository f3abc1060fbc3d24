/**
 * The mailbox's services over real SMTP: HELP answered with the guide, blank forms by mail as
 * attachments (named, all, or the nearest names to an unknown one). A message holding a template
 * is processed as one whatever its Subject says.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { quietFor, rejectionsOf, replyFor } from './support/outcomes.ts';

const blank = (name: string) =>
  fs.readFileSync(new URL(`../../templates/${name}.txt`, import.meta.url), 'utf8').replace(/\r\n/g, '\n');

let counter = 0;
/** A DKIM-signed message from the demo ISP's NOC: a verified sender, answered without a key. */
async function signed(
  stack: Stack,
  subject: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<string> {
  counter++;
  const raw = mail({ subject, body, headers, messageId: `<svc${Date.now()}.${counter}@demo-isp.example>` });
  return stack.send(await dkimSignMessage(raw, 'demo-isp.example'));
}

describe('the mailbox services in per-template style', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
      env: { REPLY_STYLE: 'per-template' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers HELP and a forms request with one mail each, as in digest style', async () => {
    const help = await signed(stack, 'HELP', '\n');
    const guide = await replyFor(stack.sink, help);
    expect(guide.parsed.headers?.service).toBe('HELP');
    // Without PUBLIC_URL the guide points to the forms by mail only.
    expect(guide.mail.raw).not.toContain('/templates/');
    const forms = await signed(stack, 'form ARIN-ORG', '\n');
    const sent = await replyFor(stack.sink, forms);
    expect(sent.parsed.headers?.attachments.map((a) => a.filename)).toEqual(['ARIN-ORG-5.2.txt']);
    await quietFor(stack.sink, forms);
  });
});

describe.each(BACKENDS)('the mailbox services (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend,
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
      env: { PUBLIC_URL: 'https://registry.example/', DRY_RUN_ADDRESS: 'hostmaster-test@localhost' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('passes a question answering our HELP or forms mail ("Re: help", "Re: forms") to staff; a first line asking again is served', async () => {
    for (const subject of ['help', 'forms']) {
      const asked = await signed(stack, subject, '\n');
      const answer = await replyFor(stack.sink, asked);
      const ours = answer.parsed.headers!.messageId!;
      const thread = { 'In-Reply-To': ours, References: ours };
      const question = await signed(
        stack,
        `Re: ${subject}`,
        'Which form is for a /24 a customer of ours uses?\n',
        thread,
      );
      const ack = await replyFor(stack.sink, question);
      expect(ack.parsed.headers?.status, subject).toBe('RECEIVED');
      expect((await rejectionsOf(stack.database.db, question)).map((r) => r.reasonCode)).toEqual([
        'E_ANSWER_TO_OUR_MAIL',
      ]);
    }
    const guide = await replyFor(stack.sink, await signed(stack, 'help', '\n'));
    const ours = guide.parsed.headers!.messageId!;
    const again = await signed(stack, 'Re: help', 'help\n', { 'In-Reply-To': ours, References: ours });
    expect((await replyFor(stack.sink, again)).parsed.headers?.service).toBe('HELP');
  });

  it('answers a Subject "help" with the guide: HELP status, forms, URL, keys, limits, dry runs', async () => {
    const id = await signed(stack, 'help', 'How do I send you things?\n');
    const reply = await replyFor(stack.sink, id);
    expect(reply.mail.rcptTo).toEqual(['noc@demo-isp.example']);
    expect(reply.parsed.headers?.service).toBe('HELP');
    expect(reply.mail.raw).toMatch(/^X-Hostmaster-Status: HELP\r$/m);
    expect(reply.parsed.blocks).toEqual([]);
    expect(reply.parsed.submissionId).toBe(id);
    expect(reply.parsed.summary).toBe('hostmasterd help: how to send us templates.');
    const text = (await import('mailparser')).simpleParser(reply.mail.raw);
    const body = (await text).text ?? '';
    expect(body).toContain('https://registry.example/templates/');
    expect(body).toContain('ARIN-REASSIGN-SIMPLE-5.3');
    expect(body).toContain('00. API Key:');
    expect(body).toContain('DKIM');
    expect(body).toContain('At most 10 templates');
    expect(body).toContain('hostmaster-test@localhost');
    // Answered, not refused: nothing for staff.
    expect(await rejectionsOf(stack.database.db, id)).toEqual([]);
  });

  it('answers "?" or "HELP" as the first line of the body too, with a key instead of DKIM', async () => {
    for (const first of ['?', 'HELP']) {
      const id = await stack.send(
        mail({
          subject: `question ${DEMO_API_KEY}`,
          body: `${first}\n\nThanks\n`,
          messageId: `<q${first}${Date.now()}@x>`,
        }),
      );
      const reply = await replyFor(stack.sink, id);
      expect(reply.parsed.headers?.service).toBe('HELP');
      expect(reply.mail.raw).not.toContain(DEMO_API_KEY);
    }
  });

  it('answers "help" with the key in the Subject, as the guide says to authorize, on either side of it and beside DRY-RUN', async () => {
    for (const subject of [
      `help ${DEMO_API_KEY}`,
      `Help - ${DEMO_API_KEY}`,
      `${DEMO_API_KEY} help DRY-RUN`,
    ]) {
      const id = await stack.send(
        mail({ subject, body: 'Hello\n', messageId: `<hk${counter++}.${Date.now()}@demo-isp.example>` }),
      );
      const reply = await replyFor(stack.sink, id);
      expect(reply.parsed.headers?.service, subject).toBe('HELP');
      expect(reply.mail.raw).toMatch(/^X-Hostmaster-Status: HELP\r$/m);
      expect(reply.mail.rcptTo).toEqual(['noc@demo-isp.example']);
      expect(reply.mail.raw).not.toContain(DEMO_API_KEY);
      expect(await rejectionsOf(stack.database.db, id)).toEqual([]);
    }
  });

  it('sends a named blank form as a text/plain attachment, the current version, byte for byte', async () => {
    const id = await signed(stack, 'form ARIN-POC', 'please\n');
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.headers?.service).toBe('FORMS');
    expect(reply.parsed.forms).toEqual(['ARIN-POC-5.1']);
    expect(reply.parsed.headers?.attachments).toEqual([
      { filename: 'ARIN-POC-5.1.txt', text: blank('ARIN-POC-5.1').replace(/\n/g, '\r\n') },
    ]);
    expect(reply.mail.raw).toMatch(
      /Content-Type: text\/plain; charset=utf-8; name=ARIN-POC-5\.1\.txt|name="?ARIN-POC-5\.1\.txt/,
    );
  });

  it('"forms" and "send templates" send every current form; an old version named exactly is sent as named', async () => {
    for (const subject of ['forms', 'Send templates']) {
      const id = await signed(stack, subject, '\n');
      const reply = await replyFor(stack.sink, id);
      const names = reply.parsed.headers?.attachments.map((a) => a.filename);
      expect(names).toEqual([
        'ARIN-POC-5.1.txt',
        'ARIN-ORG-5.2.txt',
        'ARIN-REASSIGN-SIMPLE-5.3.txt',
        'ARIN-REASSIGN-DETAILED-5.4.txt',
        'ARIN-REALLOCATE-5.4.txt',
        'ARIN-NET-MOD-5.3.txt',
        'ARIN-IPv6-REASSIGN-5.4.txt',
        'ARIN-IPv6-REALLOCATE-5.4.txt',
        'ARIN-IPv6-NET-MOD-5.3.txt',
      ]);
    }
    const id = await signed(stack, 'form reassign-simple-4.1, ARIN-ORG', '\n');
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.forms).toEqual(['ARIN-REASSIGN-SIMPLE-4.1', 'ARIN-ORG-5.2']);
  });

  it('mails the very forms /templates/ lists, with the text it serves (one reading of templates/)', async () => {
    const base = `http://127.0.0.1:${stack.daemon.rdapPort}`;
    const listed = (await (await fetch(`${base}/templates/`)).text())
      .split('\n')
      .filter((l) => /^ARIN-.*\.txt$/.test(l));
    expect(listed.length).toBeGreaterThan(0);
    const served = new Map<string, string>();
    for (const file of listed) served.set(file, await (await fetch(`${base}/templates/${file}`)).text());
    const id = await signed(
      stack,
      `forms ${listed.map((file) => file.replace(/\.txt$/, '')).join(' ')}`,
      '\n',
    );
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.unknownForms ?? []).toEqual([]);
    const mailed = new Map(
      (reply.parsed.headers?.attachments ?? []).map((a) => [a.filename, a.text.replace(/\r\n/g, '\n')]),
    );
    expect(mailed).toEqual(served);
  });

  it('answers an unknown name with the nearest names, and sends the known ones beside it', async () => {
    // With a key: a sender proven only by DKIM gets nothing they wrote back, not even a name.
    const id = await stack.send(
      mail({
        subject: 'form ARIN-PCO ARIN-NET-MOD',
        body: `${DEMO_API_KEY}\n`,
        messageId: `<pco${Date.now()}@x>`,
      }),
    );
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.forms).toEqual(['ARIN-NET-MOD-5.3']);
    expect(reply.parsed.unknownForms).toEqual([
      { asked: 'ARIN-PCO', nearest: expect.arrayContaining(['ARIN-POC-5.1']) },
    ]);
    expect(reply.parsed.unknownForms?.[0]?.nearest[0]).toBe('ARIN-POC-5.1');

    const none = await signed(stack, 'form WHATEVER-THIS-IS', '\n');
    const nothing = await replyFor(stack.sink, none);
    expect(nothing.parsed.forms).toBeUndefined();
    expect(nothing.parsed.headers?.attachments).toEqual([]);
    // Proven by DKIM only, without a key: the name it wrote is not sent back (whom we answer).
    expect(nothing.parsed.summary).toBe('hostmasterd has no blank form named (not shown).');
    expect(nothing.mail.raw).not.toContain('WHATEVER');
    expect(nothing.mail.raw).toContain('ARIN-REASSIGN-SIMPLE-5.3');
  });

  it('"Templates for <customer>" with the templates forgotten is E_NO_TEMPLATE, not a request for forms', async () => {
    const id = await signed(stack, 'Templates for Acme Widgets', 'See attached.\n');
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.headers?.service).toBeUndefined();
    expect(reply.parsed.refusal?.code).toBe('E_NO_TEMPLATE');
  });

  it('processes a template under a Subject "help" or "forms" as a template, not a service', async () => {
    for (const [i, subject] of ['help', 'forms'].entries()) {
      counter++;
      const raw = mail({
        subject,
        body: `${simpleReassignment({ range: `198.51.100.${160 + 8 * i}/29`, name: `DEMO-SVC-${counter}`, apiKey: DEMO_API_KEY })}`,
        messageId: `<tpl${Date.now()}.${counter}@demo-isp.example>`,
      });
      const id = await stack.send(raw);
      const reply = await replyFor(stack.sink, id);
      expect(reply.parsed.headers?.service).toBeUndefined();
      expect(reply.parsed.blocks).toHaveLength(1);
      expect(reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', errors: [] });
    }
  });

  it('answers an unverified sender asking for help nobody: staff see it was not answered', async () => {
    const id = await stack.send(mail({ subject: 'help', body: '\n', from: 'someone@elsewhere.example' }), {
      from: 'someone@elsewhere.example',
    });
    await stack.processed(id);
    expect(await rejectionsOf(stack.database.db, id)).toEqual([
      expect.objectContaining({
        reasonCode: 'E_NOT_ANSWERED',
        reason: expect.stringContaining('asked for help'),
      }),
    ]);
  });
});
