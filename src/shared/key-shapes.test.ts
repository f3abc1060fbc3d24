import { describe, expect, it } from 'vitest';
import { findKeySpans, mayHoldKey, redactKeyShapes } from './key-shapes.ts';
import { redactApiKeys } from './redact.ts';

/** Every shape the reviewer saw a key echoed in, and a few more a careless customer writes. */
const KEY_SHAPES: readonly [string, string][] = [
  ['canonical', 'API-7F3A-9C2E-B41D-58E6'],
  ['no prefix', '7F3A-9C2E-B41D-58E6'],
  ['blanks', 'API 7F3A 9C2E B41D 58E6'],
  ['blanks, no prefix', '7F3A 9C2E B41D 58E6'],
  ['underscores', 'API_7F3A_9C2E_B41D_58E6'],
  ['a colon after API', 'API:7F3A-9C2E-B41D-58E6'],
  ['no separator at all', 'API7F3A9C2EB41D58E6'],
  ['AP1 for API', 'AP1-7F3A-9C2E-B41D-58E6'],
  ['apl in lower case', 'apl-7f3a-9c2e-b41d-58e6'],
  ['en-dashes', 'API\u20137F3A\u20139C2E\u2013B41D\u201358E6'],
  ['em-dashes, no prefix', '7F3A\u20149C2E\u2014B41D\u201458E6'],
  ['dots', '7F3A.9C2E.B41D.58E6'],
  ['Greek and Cyrillic capitals', '\u0391\u03A1\u0406-7F3A-9C2E-B41D-58E6'],
  ['fullwidth letters', '\uFF21\uFF30\uFF29-7F3A-9C2E-B41D-58E6'],
  ['no-break spaces', '7F3A\u00A09C2E\u00A0B41D\u00A058E6'],
  ['a colon-separated run after API', 'API:7F3A:9C2E:B41D:58E6'],
  ['eight groups', 'API-7F3A-9C2E-B41D-58E6-0000-1111-2222-3333'],
  ['folded over two lines', 'API-7F3A-9C2E\r\n -B41D-58E6'],
  ['partly glued after API', 'API7F3A9C2E-B41D-58E6'],
  ['glued to the word before', 'key7F3A-9C2E-B41D-58E6'],
  ['glued to the word after', '7F3A-9C2E-B41D-58E6please'],
  ['blanks inside the prefix and a group', 'A P I-7F3A-9C2E-B4 1D-58E6'],
];

describe('the key recogniser: what a person reads as a key is hidden', () => {
  for (const [name, key] of KEY_SHAPES) {
    it(`${name}: ${JSON.stringify(key)}`, () => {
      for (const text of [
        key,
        `Re: SWIP key ${key} please`,
        `Template: ARIN-POC-${key}-5.0`,
        `<${key}@isp.example>`,
      ]) {
        const hidden = redactKeyShapes(text);
        expect(hidden.toUpperCase().replace(/[^0-9A-F]/g, '')).not.toContain('7F3A9C2E');
        expect(hidden).toMatch(/API-\*{4}-\*{4}-\*{4}-/);
      }
    });
  }

  it('keeps the rest of the text as written, and is idempotent', () => {
    const text = 'Re: SWIP key 7F3A 9C2E B41D 58E6 -- thanks, Jane';
    expect(redactKeyShapes(text)).toBe('Re: SWIP key API-****-****-****-58E6 -- thanks, Jane');
    expect(redactKeyShapes(redactKeyShapes(text))).toBe(redactKeyShapes(text));
  });

  it('after API, O reads 0 and l or I read 1, as the eye reads them', () => {
    expect(redactKeyShapes('API-DE7O-OOOO-OlOO-OOOl')).toBe('API-****-****-****-0001');
    // Barely a hex digit in the whole text: a key all the same, after API or KEY.
    expect(redactKeyShapes('Customer API-OOOO-OOOO-OOOO-OOOl')).toBe('Customer API-****-****-****-0001');
    expect(redactKeyShapes('our key: OOOO OOOO OOOO OOOl')).toMatch(/API-\*{4}-\*{4}-\*{4}-0001/);
    // Without API, words of such letters stay words.
    expect(redactKeyShapes('FOOD COOL BOLD FILE')).toBe('FOOD COOL BOLD FILE');
  });

  it('a key followed by a number on the next line does not swallow it', () => {
    expect(redactKeyShapes('00. API Key: API-DE70-0000-0000-0001\n2001 is our year')).toBe(
      '00. API Key: API-****-****-****-0001\n2001 is our year',
    );
  });
});

describe('the key recogniser: real data that merely looks alike is left alone', () => {
  const NOT_KEYS: readonly [string, string][] = [
    ['an IPv6 address, four 4-digit groups and more', '2001:0DB8:0000:0000:0000:0000:0000:0001'],
    ['an IPv6 /64 written out', '2001:0DB8:0000:0000'],
    ['an IPv6 range', '2001:0DB8:AAAA:0000:: - 2001:0DB8:AAAA:FFFF:FFFF:FFFF:FFFF:FFFF'],
    ['an IPv6 net handle', 'NET6-2001-0DB8-0000-0000-1'],
    ['an IPv4 net handle', 'NET-192-0-2-0-1'],
    ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
    ['dates', '2026-12-07, 07.12.2026, 2026/12/07'],
    ['phone numbers', '+1-703-227-9840, +49 30 1234 5678'],
    ['an IPv4 address', '192.0.2.1/24'],
    ['a hex Message-ID', '<5f3a9c2eb41d58e6a1b2c3d4@mail.example>'],
    ['POC and Org handles', 'JD123-ARIN EXAMPLE-1 C01234567'],
    ['the format spelled out', 'API-XXXX-XXXX-XXXX-XXXX'],
    ['a redacted key', 'API-****-****-****-58E6'],
    ['three groups', '7F3A-9C2E-B41D'],
  ];
  for (const [name, text] of NOT_KEYS) {
    it(`${name}: ${JSON.stringify(text)}`, () => {
      expect(findKeySpans(text)).toEqual([]);
      expect(redactApiKeys(text)).toBe(text);
    });
  }

  it('but API before an address makes it a key', () => {
    expect(redactKeyShapes('API:2001:0DB8:0000:0000')).toBe('API-****-****-****-0000');
  });
});

describe('redactApiKeys', () => {
  it('hides a key cut short whole, and leaves the spelled-out format readable', () => {
    expect(redactApiKeys('key API-7F3A-9C2E sent')).toBe('key [redacted] sent');
    const help = 'write it as API-XXXX-XXXX-XXXX-XXXX: "API", then 4 to 8 groups of 4 hex digits (0-9, A-F)';
    expect(redactApiKeys(help)).toBe(help);
  });
});

describe('the one-pass pre-check (mayHoldKey)', () => {
  it('passes every plain shape of a key, and rules out what real data holds most', () => {
    for (const [, key] of KEY_SHAPES) {
      if (/^[\x20-\x7e\r\n]*$/.test(key)) expect(mayHoldKey(`Customer ${key} Co`), key).toBe(true);
    }
    for (const text of [
      'Customer 151A Networks, 1 Main St',
      '00. API Key: API-****-****-****-58E6',
      '2001:0DB8:AAAA:0000:: - 2001:0DB8:AAAA:FFFF:FFFF:FFFF:FFFF:FFFF',
      '2001:db8:0:0:0:0:0:1 2001:0db8:0000:0000:0000:0000:0000:0001',
      'Reassigned 2001:0DB8:00A0:0000::/64 to Customer 7F3A, ticket 20261207-0001',
      '550e8400-e29b-41d4-a716-446655440000',
    ])
      expect(mayHoldKey(text), text).toBe(false);
  });

  it('never rules out what the full reading would hide (random text of key-like pieces)', () => {
    // A suffix outside ASCII sends the text through the full reading; its "XX" ends any run first.
    const FULL_READING = '\nXX\u2603';
    const KEY_LIKE = /\bAPI-[0-9A-Za-z-]{4,}/i;
    const pieces = [
      '7F3A',
      '9c2e',
      'B41D',
      '58e6',
      '2001',
      '0db8',
      'A',
      'f',
      '12',
      '12345',
      'DE7O',
      'OOOl',
      '-',
      ' ',
      ':',
      '::',
      '_',
      '.',
      '+',
      '/',
      '\n',
      '\r\n ',
      '-\r\n ',
      '\t',
      '  ',
      ' : ',
      '-:',
      'API',
      'api',
      'Ap1',
      'A P I',
      'ap',
      'key',
      'KEY',
      'NET6-',
      'NET-',
      'x',
      'G',
      'Customer ',
      'API-',
      'API Key: ',
      'API_KEY',
      'APIKEY',
      '****',
      'G7',
      'XXXX',
      'o',
      '|',
      'l',
      ' 1',
    ];
    let seed = 19;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    let ruledOut = 0;
    for (let n = 0; n < 30_000; n++) {
      let text = '';
      const count = 3 + Math.floor(next() * 14);
      for (let p = 0; p < count; p++) text += pieces[Math.floor(next() * pieces.length)];
      if (mayHoldKey(text)) continue;
      ruledOut++;
      expect(findKeySpans(text + FULL_READING), JSON.stringify(text)).toEqual([]);
      expect(KEY_LIKE.test(text), JSON.stringify(text)).toBe(false);
      expect(redactApiKeys(text)).toBe(text);
    }
    // The pieces make keys often enough that both sides are exercised.
    expect(ruledOut).toBeGreaterThan(3_000);
    expect(ruledOut).toBeLessThan(27_000);
  });
});
