/**
 * What a message's templates are, as the registry counts them: the same request written twice
 * (in the body with a greeting around it, and again as an attachment, re-spaced by the mail
 * program) is one template, processed once and counted once toward the ten a message may carry;
 * our own blank forms riding along (a Forward of our FORMS answer, "reply with attachments") are
 * not requests: skipped, said in a Note, not counted. Real SMTP in, the reply read as a billing
 * system reads it.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { personPoc, simpleReassignment } from './support/forms.ts';
import { replyFor } from './support/outcomes.ts';

const FORMS = new URL('../../templates/', import.meta.url);
/** Our published blank forms as the FORMS answer attaches them: the whole file, notes and all. */
const blankForm = (name: string) => fs.readFileSync(new URL(`${name}.txt`, FORMS), 'utf8');
const NINE_FORMS = [
  'ARIN-REASSIGN-SIMPLE-5.3',
  'ARIN-REASSIGN-DETAILED-5.4',
  'ARIN-REALLOCATE-5.4',
  'ARIN-NET-MOD-5.3',
  'ARIN-IPv6-REASSIGN-5.4',
  'ARIN-IPv6-REALLOCATE-5.4',
  'ARIN-IPv6-NET-MOD-5.3',
  'ARIN-ORG-5.2',
  'ARIN-POC-5.1',
];

/** A multipart/mixed message: the body text, then each attachment as a text/plain file. */
function withAttachments(
  subject: string,
  body: string,
  files: readonly (readonly [string, string])[],
): string {
  const parts = [
    `--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
    ...files.map(
      ([name, text]) =>
        `--B\r\nContent-Type: text/plain; charset=utf-8; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\n\r\n${text}\r\n`,
    ),
  ];
  return mail({
    subject: `${subject} ${DEMO_API_KEY}`,
    headers: { 'Content-Type': 'multipart/mixed; boundary=B' },
    body: `${parts.join('')}--B--\r\n`,
  }).replace('Content-Type: text/plain; charset=utf-8\r\nContent-Type: multipart', 'Content-Type: multipart');
}

/** The template as a mail program re-spaces it: indented, blanks doubled after the colons. */
const respaced = (template: string) =>
  template
    .split('\n')
    .map((l) => (l.trim() === '' ? l : `  ${l.replace(/: /, ':   ')}`))
    .join('\n');

describe('the same template twice, and our blank forms sent back (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('a removal in the body (with a greeting) and as remove.txt is applied once: one block, APPROVED, a Note', async () => {
    const range = '198.51.100.200/29';
    const created = await stack.send(
      mail({ subject: `SWIP ${DEMO_API_KEY}`, body: simpleReassignment({ range, name: 'TWICE-NET' }) }),
    );
    expect((await replyFor(stack.sink, created)).parsed.status).toBe('APPROVED');
    const removal = simpleReassignment({ action: 'R', range, name: 'TWICE-NET' });
    const body = `Hello hostmaster,\n\nplease remove the net below (also attached):\n\n${respaced(removal)}\nRegards\n`;
    const id = await stack.send(withAttachments('remove', body, [['remove.txt', removal]]));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.summary).toBe('hostmasterd processed 1 template: 1 APPROVED.');
    expect(parsed.status).toBe('APPROVED');
    expect(parsed.blocks).toHaveLength(1);
    expect(parsed.blocks[0]!.notes[0]).toBe(
      'the same template (the same form, fields and values) stands again at line 1 of the attachment "remove.txt": read once, processed once',
    );
  });

  it('ten distinct templates, one of them in the body and in the attachment, are ten: none refused', async () => {
    const pocs = Array.from({ length: 10 }, (_, i) =>
      personPoc(`Counted${String.fromCharCode(97 + i)}`, 'Pat', `pat${i}@demo-isp.example`),
    );
    const id = await stack.send(
      withAttachments('DRY-RUN contacts', pocs.slice(0, 6).join('\n'), [
        ['more.txt', pocs.slice(5).join('\n')],
      ]),
    );
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.refusal).toBeUndefined();
    expect(parsed.blocks.map((b) => b.status)).toEqual(Array(10).fill('APPROVED'));
  });

  it('the same template twice in one body is processed once', async () => {
    const poc = personPoc('Twiceinbody', 'Sam', 'sam@demo-isp.example');
    const id = await stack.send(
      mail({ subject: `SWIP ${DEMO_API_KEY}`, body: `${poc}\n\n${respaced(poc)}` }),
    );
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.blocks).toHaveLength(1);
    expect(parsed.blocks[0]!.notes[0]).toMatch(
      /^the same template .* stands again at line \d+ of the message body/,
    );
  });

  it('two templates that differ in one value are two', async () => {
    const a = personPoc('Differ', 'Sam', 'sam@demo-isp.example');
    const b = personPoc('Differ', 'Sam', 'sam2@demo-isp.example');
    const id = await stack.send(withAttachments('DRY-RUN two', a, [['b.txt', b]]));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.blocks).toHaveLength(2);
  });

  it('one filled form and our nine blank forms attached: the filled one alone, APPROVED, a Note on the blank ones', async () => {
    const files = NINE_FORMS.map((f) => [`${f}.txt`, blankForm(f)] as const);
    const filled = personPoc('Fwdforms', 'Kim', 'kim@demo-isp.example');
    const id = await stack.send(
      withAttachments('Fwd: forms', `Here is the filled form.\n\n${filled}`, files),
    );
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.summary).toBe('hostmasterd processed 1 template: 1 APPROVED.');
    expect(parsed.status).toBe('APPROVED');
    expect(parsed.blocks[0]!.notes[0]).toBe(
      '9 blank forms (every field empty, as we publish the forms) are not a request and were not processed: ' +
        'ARIN-REASSIGN-SIMPLE-5.3 at line 1 of the attachment "ARIN-REASSIGN-SIMPLE-5.3.txt", ' +
        'ARIN-REASSIGN-DETAILED-5.4 at line 1 of the attachment "ARIN-REASSIGN-DETAILED-5.4.txt", ' +
        'ARIN-REALLOCATE-5.4 at line 1 of the attachment "ARIN-REALLOCATE-5.4.txt", ' +
        'ARIN-NET-MOD-5.3 at line 1 of the attachment "ARIN-NET-MOD-5.3.txt", ' +
        'ARIN-IPv6-REASSIGN-5.4 at line 1 of the attachment "ARIN-IPv6-REASSIGN-5.4.txt" and 4 more; ' +
        'blank forms do not count toward the templates a message may carry',
    );
  });

  it('two filled forms and the nine blank ones: both processed, none refused for the count', async () => {
    const files = NINE_FORMS.map((f) => [`${f}.txt`, blankForm(f)] as const);
    const a = personPoc('Fwdformsa', 'Kim', 'kima@demo-isp.example');
    const b = personPoc('Fwdformsb', 'Kim', 'kimb@demo-isp.example');
    const id = await stack.send(withAttachments('DRY-RUN Fwd: forms', `${a}\n${b}`, files));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.refusal).toBeUndefined();
    expect(parsed.blocks.map((x) => x.status)).toEqual(['APPROVED', 'APPROVED']);
  });

  it('a blank form in the body with blanks after its colons, alone: refused naming it as blank, not REJECTED', async () => {
    const blank = blankForm('ARIN-POC-5.1')
      .split('\n')
      .map((l) => (/^\d\d\./.test(l) ? `${l}   ` : l))
      .join('\n');
    const id = await stack.send(mail({ subject: `our contact ${DEMO_API_KEY}`, body: blank }));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.refusal?.code).toBe('E_NO_TEMPLATE');
    expect(parsed.refusal?.message).toContain(
      'no filled-in template was found in this message: the only template in it is a blank form',
    );
    expect(parsed.refusal?.message).toContain('ARIN-POC-5.1 at line 1 of the message body');
  });

  it('a form with only its action filled is no blank form: processed, and its missing fields named', async () => {
    const form = blankForm('ARIN-POC-5.1').replace(
      '01. Registration Action (N, M or R):',
      '01. Registration Action (N, M or R): N',
    );
    const id = await stack.send(mail({ subject: `DRY-RUN ${DEMO_API_KEY}`, body: form }));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.blocks).toHaveLength(1);
    expect(parsed.blocks[0]!.status).toBe('REJECTED');
  });
});
