/**
 * The mail corpus (test/fixtures/mail) through the whole pipeline: what real clients and
 * billing systems send (attachments, base64, windows-1252, format=flowed, PGP-signed,
 * quoted-printable, HTML only, quoted replies, unknown forms, several mistakes at once) is
 * answered with exactly the outcome each one deserves.
 */
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { stubResolver } from '../support/dkim.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { rejectionsOf, replyFor } from './support/outcomes.ts';

interface Case {
  readonly fixture: string;
  /** Each block's form and status, in order; empty for a message refused as a whole. */
  readonly blocks: ReadonlyArray<readonly [string, string]>;
  readonly refusal?: string;
  /** Error codes of the first block, when it was refused. */
  readonly errors?: readonly string[];
  /** The customer name the registry holds afterwards, as the sender wrote it. */
  readonly customer?: string;
}

const CASES: readonly Case[] = [
  { fixture: 'attachment-octet-stream', blocks: [['ARIN-REASSIGN-SIMPLE-5.3', 'APPROVED']] },
  { fixture: 'attachment-windows-1252', blocks: [['ARIN-REASSIGN-SIMPLE-5.3', 'APPROVED']] },
  { fixture: 'base64-org-create', blocks: [['ARIN-ORG-5.2', 'APPROVED']] },
  { fixture: 'format-flowed', blocks: [['ARIN-REASSIGN-SIMPLE-5.3', 'APPROVED']] },
  { fixture: 'pgp-signed', blocks: [['ARIN-REASSIGN-SIMPLE-5.3', 'APPROVED']] },
  { fixture: 'quoted-printable-soft-breaks', blocks: [['ARIN-REASSIGN-SIMPLE-5.3', 'APPROVED']] },
  { fixture: 'poc-5.0-role', blocks: [['ARIN-POC-5.0', 'APPROVED']] },
  // 8-bit Latin-1 with no charset, or a label nobody knows: read as attachments are (UTF-8, else
  // Windows-1252), so the names are stored as written, not as U+FFFD.
  {
    fixture: 'latin1-no-charset',
    blocks: [['ARIN-REASSIGN-SIMPLE-5.3', 'APPROVED']],
    customer: 'José Müller GmbH',
  },
  // A label nobody decodes on 8-bit bytes: refused naming it, never guessed (a guess read UTF-7
  // as its bytes and registered them).
  { fixture: 'unknown-charset-8bit', blocks: [], refusal: 'E_UNSUPPORTED_CHARSET' },
  // A NUL pasted into a value (and the Subject): that field is refused by name, at once, instead
  // of the job failing in PostgreSQL on every try.
  {
    fixture: 'nul-in-value',
    blocks: [['ARIN-REASSIGN-SIMPLE-5.3', 'REJECTED']],
    errors: ['E_CONTROL_CHARACTER'],
  },
  // HTML only: the template is still read from the HTML part and applied.
  { fixture: 'html-only-poc-modify', blocks: [['ARIN-POC-5.1', 'APPROVED']] },
  {
    fixture: 'unknown-form',
    blocks: [['ARIN-FOOBAR-5.0', 'REJECTED']],
    errors: ['E_UNKNOWN_TEMPLATE'],
  },
  {
    fixture: 'errors-reassign-simple',
    blocks: [['ARIN-REASSIGN-SIMPLE-5.3', 'REJECTED']],
    errors: [
      'E_MISSING_FIELD',
      'E_INVALID_IP',
      'E_INVALID_ORIGIN_AS',
      'E_TOO_MANY_VALUES',
      'E_INVALID_COUNTRY',
    ],
  },
  // A reply that quotes one of ours: quoted templates are never processed again.
  { fixture: 'reply-quoting-template', blocks: [], refusal: 'E_NO_TEMPLATE' },
  // Templates only inside a forwarded message (Forward As Attachment): not applied on the
  // forwarder's authority, and the sender is told exactly that.
  { fixture: 'forwarded-template', blocks: [], refusal: 'E_FORWARDED_TEMPLATE' },
  // The attachment carries another key than the Subject: two keys, refused as a whole.
  { fixture: 'attachment-txt-base64', blocks: [], refusal: 'E_MULTIPLE_API_KEYS' },
];

describe('the mail corpus, end to end (postgres)', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The demo ISP's SPF passes for the test client (127.0.0.1): a From of demo-isp.example that
    // its account does not list (billing@), or a message whose two keys prove no one, is still a
    // verified sender and is answered (docs/reply-format.md, "Whom we answer").
    stack = await startStack({
      backend: 'postgres',
      resolver: stubResolver({ spf: { 'demo-isp.example': 'v=spf1 ip4:127.0.0.1 -all' } }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(CASES)('$fixture', async (c) => {
    // Bytes kept as they are (latin1 maps each byte to one character and back): some are not UTF-8.
    const raw = fs
      .readFileSync(new URL(`../fixtures/mail/${c.fixture}.eml`, import.meta.url), 'latin1')
      .replace(/^Subject: (.*)$/m, `Subject: $1 ${DEMO_API_KEY}`);
    const id = await stack.send(Buffer.from(raw, 'latin1'));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.refusal?.code).toBe(c.refusal);
    expect(parsed.blocks.map((b) => [b.form, b.status])).toEqual(c.blocks);
    if (c.errors) expect(parsed.blocks[0]!.errors.map((e) => e.code)).toEqual(c.errors);
    const refused = c.refusal !== undefined || c.blocks.some(([, status]) => status === 'REJECTED');
    expect((await rejectionsOf(stack.database.db, id)).length > 0).toBe(refused);
    if (c.customer) {
      const stored = await stack.database.db
        .select({ name: tables.customers.name })
        .from(tables.customers)
        .where(eq(tables.customers.name, c.customer));
      expect(stored).toHaveLength(1);
    }
  });
});
