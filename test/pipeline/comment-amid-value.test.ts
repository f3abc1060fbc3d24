/**
 * A `#` line right below a value that takes more lines (`08. Address: 100 Main St` then `#200`,
 * a suite number): a comment, as the forms say, so left aside, but the reply names it in a Note
 * (docs/reply-format.md: what reading left aside comes first), so the sender does not believe it
 * taken. A banner (`## ...`) or a rule of `#` is no such line. Mail in over SMTP, the reply parsed.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { personPoc, simpleReassignment } from './support/forms.ts';
import { pocByHandle } from './support/outcomes.ts';
import { submit } from './support/session.ts';

describe('a # line inside a value is named in the reply (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('an address line #200, a comments line # 5: each named with its line; banners and rules are not', async () => {
    const poc = personPoc('Hashaddr', 'Pat', 'hashaddr@demo-isp.example').replace(
      /^(08\. Address:.*)$/m,
      '$1\n#200',
    );
    const simple = simpleReassignment({ range: '198.51.100.240/29', name: 'HASH-1' })
      .replace(/^(12\. Public Comments:).*$/m, '$1 Rack A\n# 5')
      .replace(/^(13\. Additional Information:.*)$/m, '## Filled by our billing system\n####\n$1');
    const sent = await submit(stack, [poc, simple]);
    const [pocBlock, simpleBlock] = sent.reply.parsed.blocks;
    expect(pocBlock?.status).toBe('APPROVED');
    const pocNote = pocBlock?.notes.find((n) => n.includes('"#200"'));
    expect(pocNote).toMatch(/^line (\d+) "#200" read as a comment .*field 08 \(Address\)/);
    // The line the note names is the echo's line of `#200`.
    const line = Number(/^line (\d+)/.exec(pocNote ?? '')?.[1]);
    const text = (await simpleParser(sent.reply.mail.raw)).text ?? '';
    expect(text).toMatch(new RegExp(`^> +${line} \\| #200$`, 'm'));
    const handle = pocBlock?.handles[0] ?? '';
    expect((await pocByHandle(stack.database.db, handle))?.street).toEqual(['1 Demo Plaza']);

    expect(simpleBlock?.status).toBe('APPROVED');
    const simpleNotes = simpleBlock?.notes.filter((n) => n.includes('read as a comment')) ?? [];
    expect(simpleNotes).toHaveLength(1);
    expect(simpleNotes[0]).toMatch(/"# 5" read as a comment .*field 12 \(Public Comments\)/);
  });
});
