/**
 * A message holding the sender's own template and someone else's beside it: forwarded inline
 * (Outlook's line and its 2010 rule, Gmail, Thunderbird, Apple Mail, Lotus Notes, an unquoted
 * "On ... wrote:"), attached as
 * message/rfc822, or quoted with "> ". Each fixture of test/fixtures/mail is mailed over SMTP to
 * the whole daemon and its reply read as a billing system reads it: the sender's own template is
 * applied, the other one is not, and the reply says so in a `Not-applied:` line naming its form,
 * its line in the part the sender wrote, and the forward's line (E_FORWARDED_TEMPLATE,
 * E_QUOTED_TEMPLATE). Staff see the same on the submission page. Templates not applied do not
 * count against the ten-template limit, and past ten they are counted, not listed.
 */
import fs from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { pageText, type SignedInGet, signIn } from '../console/support/sign-in.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { replyFor } from './support/outcomes.ts';

const STAFF = { email: 'alice@registry.example', password: 'correct horse battery' };

interface Case {
  readonly fixture: string;
  readonly code: 'E_FORWARDED_TEMPLATE' | 'E_QUOTED_TEMPLATE';
  /** The line the forward starts under, as the reply names it; none for an attached or quoted one. */
  readonly separator?: string;
  /** How the reply names where the template stands. */
  readonly part: string;
  /** The sender's own POC (created) and the other one (not created). */
  readonly own: string;
  readonly other: string;
}

const CASES: readonly Case[] = [
  {
    fixture: 'beside-outlook-inline',
    code: 'E_FORWARDED_TEMPLATE',
    separator: '-----Original Message-----',
    part: 'the message body',
    own: 'Besideoutlook',
    other: 'Fwdbesideoutlook',
  },
  {
    fixture: 'beside-gmail-inline',
    code: 'E_FORWARDED_TEMPLATE',
    separator: '---------- Forwarded message ---------',
    part: 'the message body',
    own: 'Besidegmail',
    other: 'Fwdbesidegmail',
  },
  {
    fixture: 'beside-thunderbird-inline',
    code: 'E_FORWARDED_TEMPLATE',
    separator: '-------- Forwarded Message --------',
    part: 'the message body',
    own: 'Besidethunderbird',
    other: 'Fwdbesidethunderbird',
  },
  {
    fixture: 'beside-outlook-rule',
    code: 'E_FORWARDED_TEMPLATE',
    separator: '________________________________',
    part: 'the message body',
    own: 'Besiderule',
    other: 'Fwdbesiderule',
  },
  {
    fixture: 'beside-apple-inline',
    code: 'E_FORWARDED_TEMPLATE',
    separator: 'Begin forwarded message:',
    part: 'the message body',
    own: 'Besideapple',
    other: 'Fwdbesideapple',
  },
  {
    fixture: 'beside-notes-inline',
    code: 'E_FORWARDED_TEMPLATE',
    separator: '----- Forwarded by Jane Operator/DemoISP on 12/07/2026 03:05 PM -----',
    part: 'the message body',
    own: 'Besidenotes',
    other: 'Fwdbesidenotes',
  },
  {
    fixture: 'beside-unquoted-attribution',
    code: 'E_FORWARDED_TEMPLATE',
    separator: 'On Mon, Dec 7, 2026 at 3:00 PM Acme Widgets IT <it@acme-widgets.example> wrote:',
    part: 'the message body',
    own: 'Besideattribution',
    other: 'Fwdbesideattribution',
  },
  {
    fixture: 'beside-rfc822-attached',
    code: 'E_FORWARDED_TEMPLATE',
    part: 'the attached message "our new contact" (message/rfc822)',
    own: 'Besideattached',
    other: 'Fwdbesideattached',
  },
  {
    fixture: 'beside-quoted',
    code: 'E_QUOTED_TEMPLATE',
    part: 'the message body',
    own: 'Besidequoted',
    other: 'Quotedbeside',
  },
];

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../fixtures/mail/${name}.eml`, import.meta.url), 'latin1');

/** 1-based line of the part's text (after the header block) where `search` is found the `nth` time. */
function lineOf(text: string, search: (line: string) => boolean, nth = 1): number {
  const lines = text.split(/\r?\n/);
  let seen = 0;
  for (let i = 0; i < lines.length; i++) if (search(lines[i]!) && ++seen === nth) return i + 1;
  throw new Error(`not found (${nth})`);
}

const body = (raw: string) => raw.slice(raw.search(/\r?\n\r?\n/)).replace(/^\r?\n\r?\n/, '');

describe('templates someone else wrote beside the sender own, end to end (postgres)', () => {
  let stack: Stack;
  let get: SignedInGet;
  beforeAll(async () => {
    stack = await startStack({ backend: 'postgres' });
    const staff = await createStaffUser(stack.database.db, STAFF.email, STAFF.password, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    get = await signIn(`http://127.0.0.1:${stack.daemon.consolePort}`, STAFF.email, STAFF.password);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  const pocsNamed = async (lastName: string) =>
    (
      await stack.database.db
        .select({ handle: tables.pocs.handle })
        .from(tables.pocs)
        .where(eq(sql`lower(${tables.pocs.lastName})`, lastName.toLowerCase()))
    ).length;

  const send = (raw: string) =>
    stack.send(Buffer.from(raw.replace(/^Subject: (.*)$/m, `Subject: $1 ${DEMO_API_KEY}`), 'latin1'));

  it.each(CASES)('$fixture: the own template applied, the other named in a Not-applied line', async (c) => {
    const raw = fixture(c.fixture);
    const id = await send(raw);
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.refusal).toBeUndefined();
    expect(parsed.blocks.map((b) => [b.form, b.status])).toEqual([['ARIN-POC-5.1', 'APPROVED']]);
    expect(parsed.notApplied).toHaveLength(1);
    const [skipped] = parsed.notApplied!;
    expect(skipped!.code).toBe(c.code);
    // The line a sender finds it at: in the body as their mail program shows it, or in the attached message.
    const text =
      c.fixture === 'beside-rfc822-attached'
        ? body(body(body(raw).split('message/rfc822')[1]!)) // the part's headers, then the message's
        : body(raw);
    const templateLine = lineOf(
      text,
      (l) => /^(> )?Template: ARIN-POC-5\.1$/.test(l),
      c.fixture.endsWith('attached') ? 1 : 2,
    );
    expect(skipped!.message).toContain(`template ARIN-POC-5.1 at line ${templateLine} of ${c.part}`);
    if (c.separator !== undefined)
      expect(skipped!.message).toContain(
        `below the line ${JSON.stringify(c.separator)} (line ${lineOf(text, (l) => l === c.separator)})`,
      );
    expect(skipped!.message).toContain(': not applied; ');
    expect(await pocsNamed(c.own)).toBe(1);
    expect(await pocsNamed(c.other)).toBe(0);
    // Staff read the same on the submission page.
    const page = await get(`/submissions/${id}`);
    expect(page.status).toBe(200);
    const shown = pageText(page.body);
    expect(shown).toContain('Not applied');
    expect(shown).toContain(`${c.code} ${skipped!.message}`);
  });

  it('an Outlook reply to our reply: the template someone else wrote is named, our quoted echo is not', async () => {
    const raw = fixture('outlook-reply-own-template');
    const id = await send(raw);
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.blocks.map((b) => [b.form, b.status])).toEqual([['ARIN-POC-5.1', 'APPROVED']]);
    const notMine = lineOf(body(raw), (l) => l === 'Template: ARIN-POC-5.1', 2);
    expect(parsed.notApplied?.map((p) => p.code)).toEqual(['E_FORWARDED_TEMPLATE']);
    expect(parsed.notApplied![0]!.message).toContain(
      `template ARIN-POC-5.1 at line ${notMine} of the message body`,
    );
  });

  /** An Outlook forward of `count` POC templates, written below the sender's text. */
  const forwardOf = (count: number) =>
    [
      '-----Original Message-----',
      'From: Acme Widgets IT <it@acme-widgets.example>',
      'Sent: Monday, December 7, 2026 3:00 PM',
      'To: noc@demo-isp.example',
      'Subject: contacts',
      '',
      ...Array.from({ length: count }, (_, i) =>
        [
          'Template: ARIN-POC-5.1',
          '01. Registration Action (N, M or R): N',
          `04. Last Name or Role Account: Countfwd${i}`,
          'END OF TEMPLATE',
          '',
        ].join('\n'),
      ),
    ].join('\n');

  it('ten templates of the sender and one forwarded: all ten run, the forwarded one is named and not counted', async () => {
    const ten = body(fixture('ten-templates'));
    const id = await stack.send(
      mail({ subject: `Batch and a forward ${DEMO_API_KEY}`, body: `${ten}\n${forwardOf(1)}` }),
    );
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.refusal).toBeUndefined();
    expect(parsed.blocks).toHaveLength(10);
    expect(parsed.notApplied?.map((p) => p.code)).toEqual(['E_FORWARDED_TEMPLATE']);
  });

  it('twelve forwarded beside one of the sender: the own one runs, ten are named and the last line counts two more', async () => {
    const own = body(fixture('beside-outlook-inline')).split('-----Original Message-----')[0]!;
    const id = await stack.send(
      mail({
        subject: `one and twelve ${DEMO_API_KEY}`,
        body: `${own.replace(/Besideoutlook/g, 'Countown')}\n${forwardOf(12)}`,
      }),
    );
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.blocks.map((b) => [b.form, b.status])).toEqual([['ARIN-POC-5.1', 'APPROVED']]);
    expect(parsed.notApplied).toHaveLength(11);
    expect(parsed.notApplied!.every((p) => p.code === 'E_FORWARDED_TEMPLATE')).toBe(true);
    expect(parsed.notApplied![10]!.message).toMatch(/^and 2 more templates in forwarded or quoted text/);
    expect(await pocsNamed('Countown')).toBe(1);
    for (let i = 0; i < 12; i++) expect(await pocsNamed(`Countfwd${i}`)).toBe(0);
  });
});
