/**
 * Mail whose template cannot be read, answered with the reason rather than "no template was
 * found": the header block never ended before `Template:` (PHP `mail()` with a header string
 * ending wrong), a uuencoded body (old billing systems), S/MIME- or PGP-encrypted mail. Real SMTP
 * in, the refusal read as a billing system reads it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { personPoc } from './support/forms.ts';
import { replyFor } from './support/outcomes.ts';

const HEAD = () =>
  [
    'From: Demo ISP NOC <noc@demo-isp.example>',
    'To: hostmaster@localhost',
    `Subject: contact ${DEMO_API_KEY}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@demo-isp.example>`,
  ].join('\r\n');
const POC = personPoc('Unreadable', 'Kim', 'kim@demo-isp.example').replace(/\n/g, '\r\n');

/** uuencoding, as `uuencode poc.txt poc.txt` writes it. */
function uuencode(text: string, name: string): string {
  const bytes = Buffer.from(text);
  const lines = [`begin 644 ${name}`];
  const ch = (n: number) => String.fromCharCode(n === 0 ? 96 : n + 32);
  for (let i = 0; i < bytes.length; i += 45) {
    const chunk = bytes.subarray(i, i + 45);
    let line = ch(chunk.length);
    for (let j = 0; j < chunk.length; j += 3) {
      const [a = 0, b = 0, c = 0] = [chunk[j], chunk[j + 1], chunk[j + 2]];
      line += ch(a >> 2) + ch(((a << 4) | (b >> 4)) & 63) + ch(((b << 2) | (c >> 6)) & 63) + ch(c & 63);
    }
    lines.push(line);
  }
  lines.push('`', 'end');
  return lines.join('\r\n');
}

const CASES: ReadonlyArray<readonly [what: string, raw: () => string, reason: string]> = [
  [
    'no empty line after the headers',
    () => `${HEAD()}\r\n${POC}`,
    'the template starts inside the header block',
  ],
  [
    'a body sent Content-Transfer-Encoding: x-uuencode',
    () =>
      `${HEAD()}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n${uuencode(POC, 'poc.txt')}\r\n`,
    'uuencoded data',
  ],
  [
    'an inline "begin 644" block',
    () => `${HEAD()}\r\nContent-Type: text/plain\r\n\r\nThe template:\r\n\r\n${uuencode(POC, 'poc.txt')}\r\n`,
    'uuencoded data ("begin ... poc.txt")',
  ],
  [
    'S/MIME-encrypted (smime.p7m)',
    () =>
      `${HEAD()}\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\nContent-Disposition: attachment; filename="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggFAMIIBPAIBADAkMBgxFjAUBgNVBAMMDWRlbW8taXNwLmV4\r\n`,
    'it is encrypted (S/MIME or PGP)',
  ],
  [
    'PGP/MIME-encrypted',
    () =>
      `${HEAD()}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=E\r\n\r\n--E\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--E\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA0xbJ3d2f1Z1AQf/Yx3p\r\n-----END PGP MESSAGE-----\r\n--E--\r\n`,
    'it is encrypted (S/MIME or PGP)',
  ],
];

describe('mail whose template cannot be read says why (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it.each(CASES)(
    '%s: refused E_BAD_MIME with the reason, not "no template was found"',
    async (_what, raw, reason) => {
      const { parsed } = await replyFor(stack.sink, await stack.send(raw()));
      expect(parsed.refusal?.code).toBe('E_BAD_MIME');
      expect(parsed.refusal?.message).toContain(reason);
    },
  );
});
