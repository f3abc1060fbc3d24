import { describe, expect, it } from 'vitest';
import { readBrokenMime } from './broken-mime.ts';

const TEMPLATE = 'Template: ARIN-POC-5.1\n04. Last Name or Role Account: Broken\nEND OF TEMPLATE\n';
const mail = (contentType: string, body: string, extra = '') =>
  Buffer.from(`From: a@b.example\nContent-Type: ${contentType}\n${extra}\n${body}`, 'latin1');

describe('a template plainly in the bytes of broken MIME', () => {
  it('reads a multipart without a boundary, or whose boundary never occurs, as its raw text', () => {
    const none = readBrokenMime(mail('multipart/mixed', TEMPLATE));
    expect(none).toMatchObject({ kind: 'text', broken: 'multipart/mixed without a boundary' });
    if (none?.kind === 'text') expect(none.text).toContain(TEMPLATE);
    const mismatch = readBrokenMime(
      mail('multipart/mixed; boundary="declared"', `--actual\n\n${TEMPLATE}--actual--\n`),
    );
    expect(mismatch).toMatchObject({
      kind: 'text',
      broken: expect.stringContaining('"declared" never occurs'),
    });
  });

  it('reads a part labelled base64 whose body is not base64 as its text, nested or not', () => {
    expect(readBrokenMime(mail('text/plain', TEMPLATE, 'Content-Transfer-Encoding: base64\n'))).toMatchObject(
      {
        kind: 'text',
      },
    );
    const nested = `--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: BASE64\n\n${TEMPLATE}--b--\n`;
    expect(readBrokenMime(mail('multipart/mixed; boundary=b', nested))).toMatchObject({ kind: 'text' });
  });

  it('refuses a template in the preamble, or in a part it cannot say is broken, E_BAD_MIME naming it', () => {
    const preamble = readBrokenMime(mail('multipart/mixed; boundary=b', `${TEMPLATE}--b\n\nhi\n--b--\n`));
    expect(preamble).toMatchObject({ kind: 'refused', problem: { code: 'E_BAD_MIME' } });
    if (preamble?.kind === 'refused') expect(preamble.problem.message).toContain('(its preamble)');
    const other = readBrokenMime(
      mail(
        'multipart/mixed; boundary=b',
        `--b\n\nhi\n--b\nContent-Type: application/x-thing; name="t.dat"\n\n${TEMPLATE}--b--\n`,
      ),
    );
    expect(other).toMatchObject({ kind: 'refused', problem: { code: 'E_BAD_MIME' } });
    if (other?.kind === 'refused')
      expect(other.problem.message).toContain(
        'stands in an application/x-thing part ("t.dat"), which was not read for templates',
      );
  });

  it('says nothing of a template in a forwarded message, a quoted one, or a message without one', () => {
    const forwarded = `--b\n\nsee the attached\n--b\nContent-Type: message/rfc822\n\nFrom: c@d.example\n\n${TEMPLATE}--b--\n`;
    expect(readBrokenMime(mail('multipart/mixed; boundary=b', forwarded))).toBeUndefined();
    expect(readBrokenMime(mail('multipart/mixed', `> ${TEMPLATE}`))).toBeUndefined();
    expect(readBrokenMime(mail('multipart/mixed', 'no template here\n'))).toBeUndefined();
  });
});
