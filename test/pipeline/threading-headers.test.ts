/**
 * Our replies' In-Reply-To and References name only real message ids (`<left@right>`), each on a
 * header line within RFC 5322's 998 characters: a 990-character Message-ID (the ingress takes
 * it) is left out rather than written on a 1,010-byte line, and the bare words of a References
 * field (`garbage without brackets <r1@x>`) are not turned into ids. The fixtures are mailed over
 * SMTP and the reply's raw header block is read line by line.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { replyFor } from './support/outcomes.ts';

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../fixtures/mail/${name}.eml`, import.meta.url), 'utf8');

/** The reply's header lines as written (folded lines apart), and its threading fields unfolded. */
function headerLines(raw: string): { lines: string[]; field: (name: string) => string | undefined } {
  const head = raw.split('\r\n\r\n', 1)[0]!;
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  return {
    lines: head.split('\r\n'),
    field: (name) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded)?.[1]?.trim(),
  };
}

/** The longest id one line holds: 998 characters, less `In-Reply-To: `. */
const LONGEST_ID = 998 - 'In-Reply-To: '.length;

describe('threading headers of our replies (pglite)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a 990-character Message-ID is not echoed: no header line over 998 characters', async () => {
    const id = await stack.send(fixture('message-id-990-characters'));
    const reply = await replyFor(stack.sink, id);
    const { lines, field } = headerLines(reply.mail.raw);
    expect(Math.max(...lines.map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(998);
    expect(field('In-Reply-To')).toBeUndefined();
    expect(field('References')).toBeUndefined();
    expect(reply.parsed.headers?.inReplyTo).toBeUndefined();
  });

  it('a Message-ID as long as one line holds is echoed, on lines of at most 998 characters', async () => {
    const long = `<${'y'.repeat(LONGEST_ID - '<@demo-isp.example>'.length)}@demo-isp.example>`;
    expect(long.length).toBe(LONGEST_ID);
    const raw = fixture('message-id-990-characters')
      .replace(/^Message-ID: .*$/m, `Message-ID: ${long}`)
      .replace(
        /^Subject: .*$/m,
        (s) => `${s}\r\nReferences: <r0@demo-isp.example> <${'z'.repeat(990)}@x.example>`,
      );
    const id = await stack.send(raw);
    const reply = await replyFor(stack.sink, id);
    const { lines, field } = headerLines(reply.mail.raw);
    expect(Math.max(...lines.map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(998);
    expect(field('In-Reply-To')).toBe(long);
    // The one too long to write is left out; the rest of the thread stays.
    expect(field('References')?.split(/\s+/)).toEqual(['<r0@demo-isp.example>', long]);
  });

  it('bare words in References are no ids: only the <...> ones are kept', async () => {
    const id = await stack.send(fixture('references-bare-words'));
    const reply = await replyFor(stack.sink, id);
    const { field } = headerLines(reply.mail.raw);
    expect(field('References')?.split(/\s+/)).toEqual(['<r1@x>', '<t09@demo-isp.example>']);
    expect(field('In-Reply-To')).toBe('<t09@demo-isp.example>');
    expect(reply.parsed.headers?.references).toEqual(['<r1@x>', '<t09@demo-isp.example>']);
  });

  it('References are read id by id (comments, quoted words, folded lines): a broken id is dropped whole, never cut into another', async () => {
    const raw = fixture('references-bare-words')
      .replace(
        /^In-Reply-To: .*$/m,
        'In-Reply-To: (our last mail) <a b@demo-isp.example> <p1@demo-isp.example>',
      )
      .replace(
        /^References: .*$/m,
        [
          'References: <r0@demo-isp.example> (a comment (nested) <c@x>) <a b@x>',
          ' "quoted <q@x>" bare@word <r1@demo-isp.example><r2@demo-isp.example>',
          '\t<r3\r\n @x> <@x> <r4@[192.0.2.1]>',
        ].join('\r\n'),
      );
    const id = await stack.send(raw);
    const reply = await replyFor(stack.sink, id);
    const { field } = headerLines(reply.mail.raw);
    const thread = [
      '<r0@demo-isp.example>',
      '<r1@demo-isp.example>',
      '<r2@demo-isp.example>',
      '<r4@[192.0.2.1]>',
      '<t09@demo-isp.example>',
    ];
    expect(field('References')?.split(/\s+/)).toEqual(thread);
    expect(reply.parsed.headers?.references).toEqual(thread);
  });

  /** The reply's threading lines exactly as written, unfolded (nodemailer folds at 76). */
  const threadingLines = (raw: string) =>
    raw
      .split('\r\n\r\n', 1)[0]!
      .replace(/\r\n[ \t]+/g, ' ')
      .split('\r\n')
      .filter((l) => /^(In-Reply-To|References):/i.test(l));

  it('a non-ASCII Message-ID (RFC 6532, or a broken client) is in neither field; the ASCII thread stays, the header block all ASCII', async () => {
    const raw = fixture('references-bare-words')
      .replace(/^Message-ID: .*$/m, 'Message-ID: <t10-\u00e9t\u00e9@demo-isp.example>')
      .replace(/^In-Reply-To: .*$/m, 'In-Reply-To: <p1-\u00fc@demo-isp.example>')
      .replace(
        /^References: .*$/m,
        'References: <r0@demo-isp.example> <p1-\u00fc@demo-isp.example> <r1@demo-isp.example>',
      );
    const id = await stack.send(raw);
    const reply = await replyFor(stack.sink, id);
    const head = reply.mail.raw.split('\r\n\r\n', 1)[0]!;
    expect(head).toMatch(/^[\t\r\n\x20-\x7e]*$/);
    expect(threadingLines(reply.mail.raw)).toEqual([
      'References: <r0@demo-isp.example> <r1@demo-isp.example>',
    ]);
    expect(reply.parsed.headers?.inReplyTo).toBeUndefined();
    expect(reply.parsed.headers?.references).toEqual(['<r0@demo-isp.example>', '<r1@demo-isp.example>']);
  });

  it('a comment after the Message-ID is no part of it: the id threads in both fields', async () => {
    const raw = fixture('references-bare-words')
      .replace(/^Message-ID: .*$/m, 'Message-ID: <t11@demo-isp.example> (sent by Billing 4.2)')
      .replace(/^References: .*$/m, 'References: <r1@demo-isp.example>');
    const id = await stack.send(raw);
    const reply = await replyFor(stack.sink, id);
    expect(threadingLines(reply.mail.raw)).toEqual([
      'In-Reply-To: <t11@demo-isp.example>',
      'References: <r1@demo-isp.example> <t11@demo-isp.example>',
    ]);
    expect(reply.parsed.headers?.inReplyTo).toBe('<t11@demo-isp.example>');
  });
});
