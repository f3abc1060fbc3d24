/**
 * How mail programs shape a template the sender can plainly see, each a fixture of
 * test/fixtures/mail mailed over SMTP to the whole daemon and its reply read as a billing system
 * reads it: invisible characters pasted from a web page or Word, a Notepad "Unicode" (UTF-16)
 * attachment, UTF-32 with its byte order mark, UTF-16 of Cyrillic text without a mark under a
 * utf-8 label (and the same text in real UTF-8), an HTML message whose text alternative is a stub; and what the sender did not
 * write: a template forwarded or quoted in the text itself (Outlook, Gmail, Apple Mail, an
 * unmarked quote), refused as an attached forward is, and an Outlook reply to our reply, whose
 * own template alone is applied; but a line shaped like a quote's inside a template's value is the
 * value continued. Broken MIME a mail program still shows as text (a multipart without a usable
 * boundary, a "base64" body of plain text) is read so, and a template in a multipart's preamble is
 * E_BAD_MIME saying so; a .txt sent as application/text is read, and the attachments not read
 * (Outlook's winmail.dat) are named when no template is found; an unlabelled body mixing UTF-8 and
 * Latin-1 lines, or UTF-8 labelled iso-8859-1, publishes no mojibake. An error of a rule across
 * fields points at the blank field's line. A blank-forms request with its key in the Subject lists
 * no key.
 */
import fs from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { rejectionsOf, replyFor } from './support/outcomes.ts';

interface Case {
  readonly fixture: string;
  /** Each block's form and status, in order; empty for a message refused as a whole. */
  readonly blocks: ReadonlyArray<readonly [string, string]>;
  readonly refusal?: string;
  /** Words the refusal's sentence holds. */
  readonly refusalSays?: readonly string[];
  /** Last names of POCs the message must have created, and of those it must not have. */
  readonly created?: readonly string[];
  readonly notCreated?: readonly string[];
  /** The company the created POC (the first of `created`) holds, as written. */
  readonly company?: string;
}

const APPROVED_POC = [['ARIN-POC-5.1', 'APPROVED']] as const;
const FORWARDED = (line: string): Partial<Case> => ({
  blocks: [],
  refusal: 'E_FORWARDED_TEMPLATE',
  refusalSays: [
    `below the line ${JSON.stringify(line)}`,
    'what someone else wrote is not applied on your authority',
  ],
});

const CASES: readonly Case[] = [
  // Zero-width space before "Template:", word joiner, soft hyphen, LRM, BOM, ZWNJ in a number.
  { fixture: 'invisible-characters-poc', blocks: APPROVED_POC, created: ['Invisible'] },
  // Windows Notepad "Unicode" (UTF-16LE, FF FE), text/plain without a charset.
  { fixture: 'utf16le-bom-attachment', blocks: APPROVED_POC, created: ['Sixteenle'] },
  // "Unicode big endian" as application/octet-stream.
  { fixture: 'utf16be-bom-octet-stream', blocks: APPROVED_POC, created: ['Sixteenbe'] },
  // UTF-16LE without a byte order mark.
  { fixture: 'utf16le-no-bom-attachment', blocks: APPROVED_POC, created: ['Sixteennobom'] },
  // UTF-8 with a byte order mark under a us-ascii label.
  { fixture: 'utf8-bom-mislabelled', blocks: APPROVED_POC, created: ['Utfbom'] },
  // UTF-32LE with its byte order mark (FF FE 00 00), a .txt attachment without a charset.
  { fixture: 'utf32le-bom-attachment', blocks: APPROVED_POC, created: ['Thirtytwole'] },
  // UTF-32BE with its byte order mark (00 00 FE FF), the body, without a charset.
  { fixture: 'utf32be-bom-body', blocks: APPROVED_POC, created: ['Thirtytwobe'] },
  // UTF-16LE without a mark under a utf-8 label, a third of it Cyrillic (NULs in 2 pairs of 3 only).
  {
    fixture: 'utf16le-cyrillic-labelled-utf8',
    blocks: APPROVED_POC,
    created: ['Cyrillicsixteen'],
    company: 'ООО Демо Провайдер',
  },
  // The same values in real UTF-8: read as written, not taken for UTF-16.
  { fixture: 'utf8-cyrillic', blocks: APPROVED_POC, created: ['Cyrillicutf'], company: 'ООО Демо Провайдер' },
  // multipart/alternative: "please use an HTML capable mail reader" beside the template in HTML.
  { fixture: 'html-alternative-stub-text', blocks: APPROVED_POC, created: ['Stubalt'] },
  // The same template in both alternatives: applied once.
  { fixture: 'html-alternative-both', blocks: APPROVED_POC, created: ['Bothalt'] },
  {
    fixture: 'forward-outlook-inline',
    ...FORWARDED('-----Original Message-----'),
    notCreated: ['Fwdoutlook'],
  } as Case,
  {
    fixture: 'forward-outlook-rule',
    ...FORWARDED('________________________________'),
    notCreated: ['Fwdrule'],
  } as Case,
  {
    fixture: 'forward-gmail-inline',
    ...FORWARDED('---------- Forwarded message ---------'),
    notCreated: ['Fwdgmail'],
  } as Case,
  {
    fixture: 'forward-apple-inline',
    ...FORWARDED('Begin forwarded message:'),
    notCreated: ['Fwdapple'],
  } as Case,
  {
    fixture: 'reply-unquoted-attribution',
    ...FORWARDED('On Mon, Dec 7, 2026 at 4:05 PM Acme Widgets IT < it@acme-widgets.example> wrote:'),
    notCreated: ['Attribution'],
  } as Case,
  // "On <date>, the customer wrote:" continuing a Public Comments value: a value, not a quote; the
  // template's END and the template after it stay the sender's own.
  {
    fixture: 'wrote-line-in-value',
    blocks: [...APPROVED_POC, ...APPROVED_POC, ...APPROVED_POC],
    created: ['Wrotefirst', 'Wrotesecond', 'Wrotethird'],
  },
  // Broken MIME that mail programs still show as text: read as text (src/mail/broken-mime.ts).
  // multipart/mixed without a boundary, the body a plain template.
  { fixture: 'broken-mime-no-boundary', blocks: APPROVED_POC, created: ['Noboundary'] },
  // boundary="declared", the body delimited by --actual.
  { fixture: 'broken-mime-boundary-mismatch', blocks: APPROVED_POC, created: ['Mismatch'] },
  // Content-Transfer-Encoding: base64 on a body of plain text.
  { fixture: 'broken-mime-base64-label', blocks: APPROVED_POC, created: ['Notbasesixtyfour'] },
  // The same on the second part of a well-formed multipart.
  { fixture: 'broken-mime-nested-base64-label', blocks: APPROVED_POC, created: ['Nestedlabel'] },
  // The template in a multipart's preamble, which no mail program shows: refused, saying where.
  {
    fixture: 'broken-mime-preamble',
    blocks: [],
    refusal: 'E_BAD_MIME',
    refusalSays: ["the message's MIME structure is broken", 'before the first part', '(its preamble)'],
    notCreated: ['Preamble'],
  },
  // A .txt file an old PHP or Perl mailer sends as application/text.
  { fixture: 'attachment-application-text', blocks: APPROVED_POC, created: ['Apptext'] },
  // Outlook's Rich Text: the template inside winmail.dat (TNEF), not decoded, but named.
  {
    fixture: 'attachment-tnef-winmail',
    blocks: [],
    refusal: 'E_NO_TEMPLATE',
    refusalSays: [
      'These attachments were not read for templates: "logo.png" (image/png), "winmail.dat" (application/ms-tnef',
      "Outlook's Rich Text format",
      'send the message as plain text',
    ],
    notCreated: ['Tnef'],
  },
  // 8-bit, no charset: the company's line in UTF-8, the city's in Latin-1 (a billing system's
  // UTF-8 values in a Latin-1 skeleton): each line read as what it is, no mojibake published.
  {
    fixture: 'mixed-8bit-utf8-latin1',
    blocks: APPROVED_POC,
    created: ['Mixedeight'],
    company: 'Café Zürich AG',
  },
  // Labelled iso-8859-1, its bytes UTF-8.
  {
    fixture: 'iso-8859-1-holding-utf8',
    blocks: APPROVED_POC,
    created: ['Labelledlatin'],
    company: 'Café Zürich AG',
  },
  // Outlook's reply to our reply: the sender's own template on top; our mail (its echo quoted)
  // and a template someone else wrote below "-----Original Message-----" without "> ".
  {
    fixture: 'outlook-reply-own-template',
    blocks: APPROVED_POC,
    created: ['Ownreply'],
    notCreated: ['Notmine', 'Ourecho'],
  },
];

describe('what mail programs make of a template, end to end (postgres)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'postgres' });
  });
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

  it.each(CASES)('$fixture', async (c) => {
    const raw = fs
      .readFileSync(new URL(`../fixtures/mail/${c.fixture}.eml`, import.meta.url), 'latin1')
      .replace(/^Subject: (.*)$/m, `Subject: $1 ${DEMO_API_KEY}`);
    const id = await stack.send(Buffer.from(raw, 'latin1'));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.refusal?.code).toBe(c.refusal);
    for (const words of c.refusalSays ?? []) expect(parsed.refusal?.message).toContain(words);
    expect(parsed.blocks.map((b) => [b.form, b.status])).toEqual(c.blocks);
    expect(parsed.blocks.flatMap((b) => b.errors.map((e) => e.code))).toEqual([]);
    expect((await rejectionsOf(stack.database.db, id)).length > 0).toBe(c.refusal !== undefined);
    for (const name of c.created ?? []) expect(await pocsNamed(name)).toBe(1);
    for (const name of c.notCreated ?? []) expect(await pocsNamed(name)).toBe(0);
    if (c.company !== undefined) {
      const [poc] = await stack.database.db
        .select({ company: tables.pocs.company })
        .from(tables.pocs)
        .where(eq(sql`lower(${tables.pocs.lastName})`, c.created![0]!.toLowerCase()));
      expect(poc?.company).toBe(c.company);
    }
  });

  it("points an error of a rule across fields (a US address's state and postal code, a person's first name) at the blank field's own line", async () => {
    const raw = fs
      .readFileSync(new URL('../fixtures/mail/poc-blank-address-fields.eml', import.meta.url), 'latin1')
      .replace(/^Subject: (.*)$/m, `Subject: $1 ${DEMO_API_KEY}`);
    const templateLines = raw.slice(raw.indexOf('Template:')).split('\n');
    const lineOf = (field: string) => templateLines.findIndex((l) => l.startsWith(`${field}. `)) + 1;
    const id = await stack.send(Buffer.from(raw, 'latin1'));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.blocks.map((b) => [b.form, b.status])).toEqual([['ARIN-POC-5.1', 'REJECTED']]);
    expect(parsed.blocks[0]!.errors.map(({ code, field, line }) => ({ code, field, line }))).toEqual(
      ['05', '10', '11'].map((field) => ({ code: 'E_MISSING_FIELD', field, line: lineOf(field) })),
    );
    expect(await pocsNamed('Blankpostal')).toBe(0);
  });

  it('a blank-forms request with the API key in the Subject lists only the names that are no form', async () => {
    const id = await stack.send(
      mail({
        subject: `forms POC, net-mod, ARIN-PCO ${DEMO_API_KEY}`,
        body: '\n',
        messageId: `<forms-key-${Date.now()}@demo-isp.example>`,
      }),
    );
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.forms).toEqual(['ARIN-POC-5.1', 'ARIN-NET-MOD-5.3']);
    expect(parsed.unknownForms).toEqual([
      { asked: 'ARIN-PCO', nearest: expect.arrayContaining(['ARIN-POC-5.1']) },
    ]);
  });
});
