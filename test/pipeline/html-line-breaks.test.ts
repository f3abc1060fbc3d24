/**
 * HTML-only mail with a newline after each `<br>` (PHP's nl2br, most HTML mailers): in HTML that
 * newline is white space, so a mail program shows the 21-line template with the country on its
 * line 13. The reply's line numbers and echo are the sender's: `E_INVALID_COUNTRY field 12 line
 * 13`, 21 lines echoed, not an empty line after each. A corpus mail in over SMTP, the reply parsed.
 */
import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { replyFor } from './support/outcomes.ts';

const NL2BR = fs.readFileSync(new URL('../fixtures/mail/html-nl2br-poc.eml', import.meta.url));

describe('HTML with a newline after each <br> (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('numbers lines as the sender sees them: the country on line 13, 21 lines echoed', async () => {
    const reply = await replyFor(stack.sink, await stack.send(NL2BR));
    const block = reply.parsed.blocks[0]!;
    expect(block.errors.map((e) => [e.code, e.field, e.line])).toEqual([['E_INVALID_COUNTRY', '12', 13]]);
    const text = (await simpleParser(reply.mail.raw)).text ?? '';
    const echoed = text.split(/\r?\n/).filter((l) => /^> +\d+ \|/.test(l));
    expect(echoed).toHaveLength(21);
    expect(echoed[12]).toMatch(/^> +13 \| 12\. Country Code: USA$/);
    expect(echoed.filter((l) => /^> +\d+ \|\s*$/.test(l))).toEqual([]);
  });

  it('reads the same mail, its <br> newlines gone, as one line per line too (a newline alone still breaks)', async () => {
    const raw = NL2BR.toString('utf8')
      .replace('<html-nl2br-0001@', '<html-nl2br-0002@')
      .replaceAll('<br />', '');
    const reply = await replyFor(stack.sink, await stack.send(raw));
    expect(reply.parsed.blocks[0]?.errors.map((e) => [e.code, e.line])).toEqual([['E_INVALID_COUNTRY', 13]]);
  });
});
