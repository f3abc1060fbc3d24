/**
 * A template under a charset label the mail readers would take as bytes: UTF-7 (Outlook Express,
 * old Windows mailers) and EBCDIC (mainframe billing output) are decoded, so the values registered
 * are the ones written (`Grüße`, `+1-703-...`); a label nobody decodes, on bytes that are not
 * plain ASCII, is refused naming it, never read as some other charset. Real SMTP in, the reply
 * read, the registry looked at.
 */
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEbcdic } from '../../src/mail/ebcdic.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { personPoc } from './support/forms.ts';
import { pocByHandle, replyFor } from './support/outcomes.ts';

/** A message whose one text part (body or attachment) is `bytes` under `label`. */
function labelled(label: string, bytes: Buffer, options: { attached?: boolean; cte?: string } = {}): Buffer {
  const cte = options.cte ?? 'base64';
  const content = cte === 'base64' ? `${bytes.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n` : bytes;
  const head = [
    'From: Demo ISP NOC <noc@demo-isp.example>',
    'To: hostmaster@localhost',
    `Subject: contact ${DEMO_API_KEY}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@demo-isp.example>`,
    'MIME-Version: 1.0',
  ];
  const part = `Content-Type: text/plain; charset=${label}${options.attached ? '; name="poc.txt"\r\nContent-Disposition: attachment; filename="poc.txt"' : ''}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`;
  if (!options.attached)
    return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n${part}`), Buffer.from(content)]);
  return Buffer.concat([
    Buffer.from(
      `${head.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe contact is attached.\r\n--B\r\n${part}`,
    ),
    Buffer.from(content),
    Buffer.from('\r\n--B--\r\n'),
  ]);
}

/** EBCDIC page 037 as mainframes write it: the table read backwards (an encoder of our own decoder). */
function cp037(text: string): Buffer {
  const table = new Map<string, number>();
  for (let b = 255; b >= 0; b--) table.set(decodeEbcdic(Uint8Array.of(b), 'cp037'), b);
  return Buffer.from([...text].map((c) => table.get(c) ?? 0x6f));
}

describe('charset labels the readers would take as bytes (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  const created = async (raw: Buffer) => {
    const { parsed } = await replyFor(stack.sink, await stack.send(raw));
    expect(parsed.refusal).toBeUndefined();
    expect(parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    const handle = parsed.blocks[0]!.handles[0]!;
    return pocByHandle(stack.database.db, handle);
  };

  type Options = { attached?: boolean; cte?: string };
  it.each<readonly [string, string, Options]>([
    ['a UTF-7 body', 'utf-7', {}],
    ['a UTF-7 body in quoted-printable', 'UTF-7', { cte: 'quoted-printable' }],
    ['a UTF-7 attachment', 'utf-7', { attached: true }],
  ])('%s: the values as written, + signs and all', async (_what, label, options) => {
    const template = personPoc('Grüße', 'Tom', 'tom@demo-isp.example');
    const bytes = iconv.encode(template, 'utf-7');
    const raw = labelled(
      label,
      options.cte === 'quoted-printable' ? Buffer.from(bytes.toString('latin1').replace(/=/g, '=3D')) : bytes,
      options,
    );
    const poc = await created(raw);
    expect(poc?.lastName).toBe('Grüße');
    expect(JSON.stringify(poc)).toContain('+1-703-555-0100');
  });

  it.each(['ibm037', 'cp037', 'ebcdic-cp-us'])('an EBCDIC body labelled %s: read', async (label) => {
    const poc = await created(labelled(label, cp037(personPoc('Müller', 'Eva', 'eva@demo-isp.example'))));
    expect(poc?.lastName).toBe('Müller');
  });

  it('a label nobody decodes, on bytes that are not ASCII: refused naming the label, nothing registered', async () => {
    const raw = labelled(
      'x-mac-klingon',
      Buffer.from(personPoc('Jos\u00e9', 'Ana', 'ana@demo-isp.example'), 'latin1'),
    );
    const { parsed } = await replyFor(stack.sink, await stack.send(raw));
    expect(parsed.refusal?.code).toBe('E_UNSUPPORTED_CHARSET');
    expect(parsed.refusal?.message).toContain('"x-mac-klingon"');
    expect(parsed.blocks).toEqual([]);
  });

  it('a label nobody decodes on plain ASCII: read (every ASCII-based charset reads it alike)', async () => {
    const poc = await created(
      labelled('x-mac-klingon', Buffer.from(personPoc('Plain', 'Ann', 'ann@demo-isp.example'))),
    );
    expect(poc?.lastName).toBe('Plain');
  });
});
