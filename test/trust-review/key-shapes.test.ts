/**
 * Re-review of the key classes (issue 14, items 1-2 and 13): shapes a person reads as a key
 * that the first recogniser let through. Each goes in over SMTP from the demo ISP (its own key
 * authorizes the message) in the Subject, the body, the Template: line and line 00; the reply is
 * read whole and the console's submission page over HTTP.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { redactKeyShapes } from '../../src/shared/key-shapes.ts';
import { pageText, type SignedInGet, signIn } from '../console/support/sign-in.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import { replyFor } from '../pipeline/support/outcomes.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';

const SECRET_GROUPS = '7F3A9C2EB41D';
const ATTACKS: ReadonlyArray<readonly [string, string]> = [
  ['mixed separators', '7F3A-9C2E B41D_58E6'],
  ['plus signs', '7F3A+9C2E+B41D+58E6'],
  ['semicolons after API', 'API 7F3A;9C2E;B41D;58E6'],
  ['bullets', '7F3A\u20229C2E\u2022B41D\u202258E6'],
  ['API-KEY then glued digits', 'API-KEY:7F3A9C2EB41D58E6'],
  ['key then glued digits', 'key 7f3a9c2eb41d58e6'],
];
const EMAIL = 'rita@registry.example';
const PASSWORD = 'a long review passphrase';

function revealsKey(text: string): boolean {
  return text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[^0-9A-F]/g, '')
    .includes(SECRET_GROUPS);
}

describe('trust review: the wider recogniser leaves addresses and handles as written', () => {
  it('keeps IPv6 addresses, ranges and handles, with or without the word key before them', () => {
    for (const text of [
      '2001:0db8:0000:0000 - 2001:0db8:ffff:ffff',
      '2001:0db8::abcd:1234',
      '2001:0db8:abcd:1234::/64 and 2001:0db8:abcd:1235::/64',
      'Net range 2001:0DB8:0000:0000:0000:0000:0000:0000-2001:0DB8:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF',
      'fe80::1234:5678:9abc:def0%eth0',
      'NET6-2001-0DB8-0000-0000-1',
      'the key 2001:0db8:0000:0001 route',
      'phone +1-703-227-9840, 2026-12-07, 550e8400-e29b-41d4-a716-446655440000',
    ]) {
      expect(redactKeyShapes(text), text).toBe(text);
    }
  });
});

describe('trust review: keys in shapes the first recogniser missed (PGlite)', () => {
  let stack: Stack;
  let get: SignedInGet;

  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
    const staff = await createStaffUser(stack.database.db, EMAIL, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    get = await signIn(`http://127.0.0.1:${stack.daemon.consolePort}`, EMAIL, PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  for (const [n, [name, shape]] of ATTACKS.entries()) {
    it(`hides ${name}: ${JSON.stringify(shape)}`, async () => {
      const body = [
        `Hello, our key is ${shape} (as always).`,
        '',
        simpleReassignment({ range: `198.51.100.${8 * n}/29`, name: `REVIEW-SHAPE-${n}`, apiKey: shape }),
        `Template: ARIN-${shape}-5.0`,
        `00. API Key: ${shape}`,
        'END OF TEMPLATE',
        '',
      ].join('\n');
      const id = await stack.send(
        mail({
          subject: `SWIP ${DEMO_API_KEY} key ${shape}`,
          body,
          messageId: `<review-shape-${n}-${Date.now()}@demo-isp.example>`,
        }),
      );
      const { mail: caught } = await replyFor(stack.sink, id);
      const read = await simpleParser(caught.raw);
      for (const h of read.headerLines) expect(revealsKey(h.line), `header ${h.line}`).toBe(false);
      expect(revealsKey(read.subject ?? ''), 'the subject').toBe(false);
      expect(revealsKey(read.text ?? ''), 'the decoded body').toBe(false);
      expect(revealsKey(caught.raw), 'the raw reply').toBe(false);

      const page = await get(`/submissions/${encodeURIComponent(id)}`);
      expect(page.status).toBe(200);
      expect(revealsKey(pageText(page.body)), 'the submission page').toBe(false);
    }, 120_000);
  }
});
