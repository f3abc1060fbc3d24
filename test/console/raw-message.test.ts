/**
 * What staff see of a stored message: headers unfolded, every API key hidden in every form a
 * reader could decode (encoded-words, quoted-printable, base64 of any charset, nested messages),
 * the rest still readable, and a message without keys shown exactly as received.
 */
import { describe, expect, it } from 'vitest';
import {
  generateOneTimePassword,
  hashPassword,
  passwordWeakness,
  verifyPassword,
} from '../../src/console/passwords.ts';
import {
  RAW_VIEW_MAX_CHARACTERS,
  readRawHeaderFields,
  redactRawMessage,
  showRawMessage,
} from '../../src/console/raw-message.ts';
import { HIDDEN_KEY, HIDDEN_KEY_REDACTED, hiddenKeyCases, revealsHiddenKey } from './support/hidden-keys.ts';

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
    expect(readRawHeaderFields(raw)).toContainEqual({
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

describe('a key in any form a reader could decode', () => {
  for (const c of hiddenKeyCases()) {
    it(`is hidden: ${c.name}`, () => {
      // The case is a real one: read as received, the key can be put together.
      expect(revealsHiddenKey(c.raw.toString('utf8'))).toBe(true);
      const shown = redactRawMessage(c.raw);
      const headers = readRawHeaderFields(c.raw);
      expect(revealsHiddenKey(shown), shown).toBe(false);
      for (const h of headers) expect(revealsHiddenKey(`${h.name}: ${h.value}`), h.value).toBe(false);
      const everything = [shown, ...headers.map((h) => `${h.name}: ${h.value}`)].join('\n');
      for (const text of c.readable) expect(everything).toContain(text);
      expect(everything).toContain('From: Billing <billing@isp.example>');
    });
  }

  it('shows a header that needed decoding decoded, marked, and in the header table', () => {
    const raw = hiddenKeyCases()[0]!.raw;
    expect(readRawHeaderFields(raw)).toContainEqual({
      name: 'Subject',
      value: `SWIP batch ${HIDDEN_KEY_REDACTED}`,
    });
    expect(redactRawMessage(raw)).toContain(
      `[header shown decoded: it contained an API key, redacted]\r\nSubject: SWIP batch ${HIDDEN_KEY_REDACTED}\r\n`,
    );
  });

  it('redacts a quoted-printable key where it stands, so the part still reads as received', () => {
    const soft = hiddenKeyCases().find((c) => c.name.includes('soft line break'))!;
    const shown = redactRawMessage(soft.raw);
    expect(shown).toContain(`00. API Key: ${HIDDEN_KEY_REDACTED}\r\n01. Registration Action`);
    expect(shown).not.toContain('shown decoded');
  });

  it('shows a UTF-16 part decoded between markers, naming its charset', () => {
    const wide = hiddenKeyCases().find((c) => c.name.includes('UTF-16LE text part'))!;
    const shown = redactRawMessage(wide.raw);
    expect(shown).toContain(
      '[base64 (UTF-16LE) part shown decoded: it contained an API key, redacted below]',
    );
    expect(shown).toContain(`00. API Key: ${HIDDEN_KEY_REDACTED}`);
    expect(shown).toContain('[end of decoded part]');
  });

  it('hides the long eight-group form inside an encoded-word too', () => {
    const raw = Buffer.from(
      `Subject: =?utf-8?B?${Buffer.from(`batch ${LONG_KEY}`).toString('base64')}?=\r\n\r\nbody\r\n`,
    );
    expect(readRawHeaderFields(raw)).toContainEqual({
      name: 'Subject',
      value: 'batch API-****-****-****-****-****-****-****-E8F9',
    });
  });

  it('reads what the mail libraries leave: a soft break before a lone CR, an encoded-word in a quoted parameter', () => {
    const [head, tail] = [HIDDEN_KEY.slice(0, 9), HIDDEN_KEY.slice(9)];
    const word = `=?utf-16le?B?${Buffer.from(HIDDEN_KEY, 'utf16le').toString('base64')}?=`;
    const raw = Buffer.from(
      [
        'From: Billing <billing@isp.example>',
        'Content-Type: multipart/mixed; boundary="x"',
        '',
        '--x',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        `00. API Key: ${head}=\r${tail}`,
        '--x',
        `Content-Disposition: attachment; filename="${word}"`,
        '',
        'see the name',
        '--x--',
        '',
      ].join('\r\n'),
    );
    const shown = redactRawMessage(raw);
    expect(revealsHiddenKey(shown), shown).toBe(false);
    expect(shown).toContain('see the name');
  });

  it('shows a message without keys exactly as received, encodings and all', () => {
    const raw = Buffer.from(
      [
        'From: ISP <noc@isp.example>',
        `Subject: =?utf-8?B?${Buffer.from('Réassignation SWIP').toString('base64')}?=`,
        'Content-Type: multipart/mixed; boundary="x"',
        '',
        '--x',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Price: 10 =E2=82=AC, a long line that goes on and on and on and on and on and =',
        'on.',
        '--x',
        'Content-Type: text/plain; charset=utf-16',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('\ufeffHello from a UTF-16 part', 'utf16le').toString('base64'),
        '--x',
        'Content-Type: image/png',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('harmless picture bytes, quite a few of them').toString('base64'),
        '--x--',
        '',
      ].join('\r\n'),
    );
    expect(redactRawMessage(raw)).toBe(raw.toString('utf8'));
    expect(readRawHeaderFields(raw).find((h) => h.name === 'Subject')?.value).toMatch(/^=\?utf-8\?B\?/);
  });

  it('reads a 10 MB message with a large attachment as fast with a key to hide as without one', () => {
    const noise = Buffer.alloc(7 * 1024 * 1024);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const message = (keyLine: string) =>
      Buffer.from(
        [
          'Subject: big',
          'Content-Type: multipart/mixed; boundary="x"',
          '',
          '--x',
          '',
          keyLine,
          '--x',
          'Content-Type: application/pdf',
          'Content-Transfer-Encoding: base64',
          '',
          noise.toString('base64').replace(/.{76}/g, '$&\r\n'),
          '--x--',
          '',
        ].join('\r\n'),
      );
    const timed = (raw: Buffer) => {
      const started = performance.now();
      const shown = redactRawMessage(raw);
      return { shown, took: performance.now() - started };
    };
    // The baseline: the same message with nothing to hide, measured in the same run.
    const plain = timed(message('00. API Key:'));
    const { shown, took } = timed(message(`00. API Key: ${HIDDEN_KEY}`));
    expect(shown).toContain(`00. API Key: ${HIDDEN_KEY_REDACTED}`);
    expect(shown).not.toContain(HIDDEN_KEY);
    expect(shown).toContain(noise.subarray(0, 57).toString('base64'));
    expect(took).toBeLessThan(Math.max(plain.took, 50) * 5);
  }, 120_000);
});

describe("the page's share of a large message", () => {
  it('is bounded: the header table and the text stop at the limit and say so, keys hidden in the whole first', () => {
    // Short words: text whose every word could be base64 takes the search far longer (not the point here).
    const fields = Array.from(
      { length: 16_000 },
      (_, i) => `X-Filler-${i}: ${'a few short words '.repeat(3)}`,
    );
    const raw = Buffer.from(
      [
        `Subject: SWIP ${HIDDEN_KEY}`,
        ...fields,
        '',
        `00. API Key: ${HIDDEN_KEY}`,
        ...Array.from({ length: 15_000 }, (_, i) => `line ${i} ${'with a few short words '.repeat(3)}`),
        `00. API Key: ${HIDDEN_KEY}`,
        '',
      ].join('\r\n'),
    );
    const view = showRawMessage(raw);
    expect(view.headers[0]).toEqual({ name: 'Subject', value: `SWIP ${HIDDEN_KEY_REDACTED}` });
    const tableSize = view.headers.reduce((n, h) => n + h.name.length + h.value.length, 0);
    expect(tableSize).toBeLessThanOrEqual(RAW_VIEW_MAX_CHARACTERS + 100);
    expect(view.headers.at(-1)?.value).toMatch(/^[\d,]+ more header fields/);
    expect(view.raw.length).toBeLessThanOrEqual(RAW_VIEW_MAX_CHARACTERS + 200);
    expect(view.raw).toMatch(/\[the rest of the message \([\d,]+ characters\) is not shown here/);
    expect(revealsHiddenKey(view.raw)).toBe(false);
    expect(revealsHiddenKey(view.headers.map((h) => `${h.name}: ${h.value}`).join('\n'))).toBe(false);
  }, 120_000);

  it('is the whole message, as before, when it fits', () => {
    const raw = Buffer.from(`Subject: hello\r\n\r\n00. API Key: ${HIDDEN_KEY}\r\n`);
    expect(showRawMessage(raw)).toEqual({
      headers: [{ name: 'Subject', value: 'hello' }],
      raw: `Subject: hello\r\n\r\n00. API Key: ${HIDDEN_KEY_REDACTED}\r\n`,
    });
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
