/**
 * Text we sent coming back to us is not read as the customer's own words: the template echo of a
 * REJECTED reply, pasted back as the reply invites ("send only those templates again"), carries
 * line 00 as we showed it, `API-****-****-****-0001`. That is no key written there: the key in
 * the Subject serves, and a note says so. Real SMTP in, the reply parsed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { submit } from './support/session.ts';

const hidden = (key: string) =>
  key.replace(
    /^API((?:-[0-9A-F]{4})+)(-[0-9A-F]{4})$/i,
    (_, groups: string, last: string) => `API${groups.replace(/[0-9A-F]{4}/gi, '****')}${last}`,
  );

describe('our own echo pasted back (pglite, real SMTP)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('line 00 with the key hidden as our reply shows it, the real key in the Subject: applied, with a note', async () => {
    const shown = hidden(DEMO_API_KEY);
    expect(shown).toMatch(/^API-\*{4}-\*{4}-\*{4}-[0-9A-F]{4}$/);
    const { reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.64/28', name: 'ECHOED-1', apiKey: shown }),
    ]);
    const block = reply.parsed.blocks[0]!;
    expect(block.status).toBe('APPROVED');
    expect(block.errors).toEqual([]);
    expect(reply.parsed.blocks.flatMap((b) => b.notes).join('\n')).toMatch(/hidden; it was read as blank/);
  });
});
