/** What staff see of a stored message: headers unfolded, every API key hidden, even inside base64. */
import { describe, expect, it } from 'vitest';
import {
  generateOneTimePassword,
  hashPassword,
  passwordWeakness,
  verifyPassword,
} from '../../src/console/passwords.ts';
import { readHeaders, redactRawMessage } from '../../src/console/raw-message.ts';

const KEY = 'API-0A1B-2C3D-4E5F-6071';
const LONG_KEY = 'API-0A1B-2C3D-4E5F-6071-8293-A4B5-C6D7-E8F9';

describe('a stored message shown to staff', () => {
  const raw = Buffer.from(
    [
      'From: ISP <noc@isp.example>',
      `Subject: SWIP ${KEY}`,
      ' (folded)',
      'Content-Type: multipart/mixed; boundary=x',
      '',
      '--x',
      '',
      `00. API Key: ${LONG_KEY}`,
      '--x',
      'Content-Transfer-Encoding: base64',
      '',
      ...Buffer.from(`Template: ARIN-POC-5.1\n00. API Key: ${KEY}\n`)
        .toString('base64')
        .match(/.{1,20}/g)!,
      '--x',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('harmless picture bytes').toString('base64'),
      '--x--',
    ].join('\r\n'),
  );

  it('unfolds headers and hides a key in the Subject', () => {
    expect(readHeaders(raw)).toContainEqual({
      name: 'Subject',
      value: 'SWIP API-****-****-****-6071 (folded)',
    });
  });

  it('hides keys in the text and inside base64 parts, and leaves other base64 alone', () => {
    const shown = redactRawMessage(raw);
    expect(shown).not.toMatch(/API-0A1B/);
    expect(shown).toContain('API-****-****-****-****-****-****-****-E8F9');
    expect(shown).toContain('[base64 part shown decoded: it contained an API key, redacted below]');
    expect(shown).toContain('00. API Key: API-****-****-****-6071');
    expect(shown).toContain(Buffer.from('harmless picture bytes').toString('base64'));
  });
});

describe('staff passwords', () => {
  it('verifies the right password only, with a salt per hash', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('anything', 'garbage')).toBe(false);
  });

  it('prints readable one-time passwords and refuses weak new ones', () => {
    expect(generateOneTimePassword()).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(passwordWeakness('short', 'a@b.example')).toMatch(/12 characters/);
    expect(passwordWeakness('alice-is-the-best', 'alice@b.example')).toMatch(/e-mail name/);
    expect(passwordWeakness('a long enough secret', 'alice@b.example')).toBeUndefined();
  });
});
