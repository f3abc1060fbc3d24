/**
 * Bidirectional overrides in a value (`Acme <U+202E>etaivirP<U+202C> Inc` displays "Acme Private
 * Inc"): refused by name, and nowhere in our reply written as themselves (the echo, the error,
 * the Subject show `\u202e`, as WHOIS does), so the registry's own mail never displays the spoof.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { replyFor } from './support/outcomes.ts';

describe('bidirectional controls in values (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it.each([
    ['RIGHT-TO-LEFT OVERRIDE', '\u202e', '\u202c'],
    ['RIGHT-TO-LEFT ISOLATE', '\u2067', '\u2069'],
    ['LEFT-TO-RIGHT EMBEDDING', '\u202a', '\u202c'],
  ])('%s in a customer name: refused, and shown escaped in the reply', async (name, open, close) => {
    const template = simpleReassignment({
      range: '198.51.100.208/29',
      name: 'BIDI-NET',
      customer: `Acme ${open}etaivirP${close} Inc`,
    });
    const { mail: caught, parsed } = await replyFor(
      stack.sink,
      await stack.send(mail({ subject: `bidi ${open}gnp.exe ${DEMO_API_KEY}`, body: template })),
    );
    expect(parsed.blocks[0]!.status).toBe('REJECTED');
    const [error] = parsed.blocks[0]!.errors;
    expect(error?.code).toBe('E_CONTROL_CHARACTER');
    expect(error?.field).toBe('06');
    expect(error?.message).toContain(`the bidirectional control ${name}`);
    const read = await simpleParser(caught.raw);
    const written = `${read.subject ?? ''}\n${read.text ?? ''}`;
    expect(written).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(read.text).toContain(`Acme \\u${open.charCodeAt(0).toString(16)}etaivirP`);
    // The Subject's is left out as the mail room reads the Subject, or shown escaped: never itself.
    expect(read.subject).toMatch(/bidi (\\u[0-9a-f]{4})?gnp\.exe/);
  });
});
