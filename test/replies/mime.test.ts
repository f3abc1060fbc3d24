/**
 * renderTextMail (src/replies/mime.ts) replaces nodemailer's streaming `build()` for our one-part
 * mails and must give the very same bytes. The oracle is the old way, kept only here:
 * `new MailComposer({..., newline: 'win'}).compile().build()`. Held to it: a corpus of hand-picked
 * shapes, every mail composeReplies and composeNotification write for the shapes their own tests
 * use, and a few hundred seeded random bodies and subjects. renderTextMail writes the usual mail's
 * headers itself (src/replies/mime-headers.ts) and leaves the rest to nodemailer: the tests at the
 * end check that the usual mails do take that path, and hold both paths to build() with seeded
 * random mails at the edges between them.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it, vi } from 'vitest';
import {
  type ComposeOptions,
  composeNotification,
  composeReplies,
  loadReplyTexts,
  type NotificationRequest,
  type ReplyRequest,
} from '../../src/replies/index.ts';
import { renderTextMail, type TextMail, type TextMailHeaders } from '../../src/replies/mime.ts';
import { chooseTransferEncoding, fastHeaders } from '../../src/replies/mime-headers.ts';
import type { ErrorCode } from '../../src/shared/index.ts';
import {
  approvedNet,
  digestOptions,
  FIXED_DATE,
  KEY,
  pendingNet,
  REDACTED_KEY,
  rejectedNet,
  threeTemplates,
} from './support/reports.ts';

// Records what compose.ts and notify.ts hand to the renderer, so their mails can be rebuilt the old way.
vi.mock('../../src/replies/mime.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/replies/mime.ts')>();
  return { ...real, renderTextMail: vi.fn(real.renderTextMail) };
});
const rendered = vi.mocked(renderTextMail);

// Counts nodemailer MailComposers built, so a test can see that renderTextMail really skipped
// nodemailer for a mail fastHeaders takes (the oracle below builds its own, counted apart).
const composers = vi.hoisted(() => ({ built: 0 }));
vi.mock('nodemailer/lib/mail-composer', async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof MailComposer }>()).default;
  class CountedComposer extends real {
    constructor(...args: ConstructorParameters<typeof MailComposer>) {
      super(...args);
      composers.built++;
    }
  }
  return { default: CountedComposer };
});

/** The old way, field for field as compose.ts and notify.ts called it before mime.ts. */
async function built(mail: TextMail): Promise<string> {
  const composer = new MailComposer({
    from: mail.from,
    to: typeof mail.to === 'string' ? mail.to : [...mail.to],
    subject: mail.subject,
    messageId: mail.messageId,
    date: mail.date,
    ...(mail.inReplyTo === undefined ? {} : { inReplyTo: mail.inReplyTo }),
    ...(mail.references === undefined ? {} : { references: [...mail.references] }),
    ...(mail.headers === undefined ? {} : { headers: { ...mail.headers } }),
    text: mail.text,
    newline: 'win',
  });
  return (await composer.compile().build()).toString('utf8');
}

async function expectSameBytes(mail: TextMail): Promise<string> {
  const raw = renderTextMail(mail);
  expect(raw).toBe(await built(mail));
  return raw;
}

const transferEncoding = (raw: string): string =>
  /^Content-Transfer-Encoding: (.*)$/m.exec(raw)?.[1]?.trim() ?? 'none';

const base: TextMail = {
  from: 'Hostmaster <hostmaster@registry.example>',
  to: 'Billing System <billing@isp.example>',
  subject: 'Re: SWIP batch 42',
  messageId: '<S123.reply@registry.example>',
  date: FIXED_DATE,
  inReplyTo: '<billing-42@isp.example>',
  references: ['<thread-1@isp.example>', '<billing-42@isp.example>'],
  headers: {
    'Auto-Submitted': 'auto-replied',
    'X-Auto-Response-Suppress': 'All',
    'X-Hostmaster-Submission': 'S123',
    'X-Hostmaster-Status': 'REJECTED',
  },
  text: 'hostmasterd processed 1 template: 1 APPROVED.\r\n',
};

const SLICE = 64 * 1024;
const letters = (n: number): string => 'abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n);

/** Bodies, each [name, text]; what the encoders do at line, slice and input ends is the point. */
const bodies: readonly (readonly [string, string])[] = [
  ['plain ASCII, short lines (7bit)', 'Ticket: 20261122-X0000041\r\nStatus: APPROVED\r\n'],
  ['empty', ''],
  ['one CRLF', '\r\n'],
  ['LF-only line ends', 'first\nsecond\n\nfourth\n'],
  ['CR-only line ends', 'first\rsecond\r\rfourth\r'],
  ['mixed CR, LF, CRLF and LFCR', 'a\r\nb\nc\rd\n\re\r\r\nf'],
  ['no final line end', 'no newline at the end'],
  ['ends in a lone CR', 'ends in CR\r'],
  ['ends in LF after text with CRLF', 'one\r\ntwo\n'],
  [
    'lines starting with "From " and "."',
    'From here on\r\nFrom: x\r\n>From quoted\r\n.\r\n..\r\n.hidden\r\n',
  ],
  ['trailing spaces and tabs on lines', 'spaces  \r\ntab\t\r\nmixed \t \r\n \r\n\t\r\nend'],
  ['trailing whitespace at the end', 'words then spaces   '],
  ['trailing tab at the end, non-ASCII', 'Zoë\t'],
  ['only whitespace', '   \t '],
  ['equals signs', 'a=b =3D == =\r\n=?utf-8?q?not-a-word?=\r\n'],
  ['a line of 76', `${letters(76)}\r\n`],
  ['a line of 77', `${letters(77)}\r\n`],
  ['a line of 999 letters', `${letters(999)}\r\n`],
  ['a line of 1200 digits (no letters: base64)', `${'0123456789'.repeat(120)}\r\n`],
  ['long line of words', `${'word '.repeat(300)}\r\nnext line\r\n`],
  ['long line of words with trailing space', `${'word '.repeat(30)}`],
  ['long lines of dots and commas', `${'a.b,c!d?e '.repeat(40)}\r\n${'.'.repeat(200)}\r\n`],
  ['Latin-1 names', 'Contact: Zoë Müller, Ærøskøbing, São Paulo\r\n'],
  ['CJK (base64)', '登记处已处理您的模板。\r\n网络：NET-198-51-100-0-1\r\n'],
  ['emoji and joiners', 'done 🎉 by 👩‍💻 with ❤️\r\n'],
  ['mostly ASCII, one non-ASCII long line', `${'é'.repeat(5)}${letters(300)}\r\n`],
  [
    'multi-byte characters at every wrap position',
    `${'é'.repeat(100)}\r\na${'é'.repeat(100)}\r\nab${'€'.repeat(60)}\r\n`,
  ],
  ['four-byte characters in a long line', `${letters(20)}${'🎉'.repeat(40)}${letters(60)}\r\n`],
  ['lone surrogates', 'high \ud83d alone, low \ude00 alone\r\n'],
  ['control characters', 'nul\x00 bell\x07 vt\x0b ff\x0c esc\x1b del\x7f\r\n'],
  ['no-break space and line separator', 'a\u00a0b\u2028c\u2029d\r\n'],
  ['over 64 KiB of short lines', `${'Status: APPROVED\r\n'.repeat(5000)}`],
  ['space as the last byte of a 64 KiB slice', `${letters(SLICE - 1)} tail\r\n`],
  ['tab as the last byte of a 64 KiB slice, then CRLF', `${letters(SLICE - 1)}\t\r\nnext\r\n`],
  ['whitespace run across the 64 KiB boundary', `${letters(SLICE - 3)}      x\r\n`],
  ['two-byte character across the 64 KiB boundary', `${'é'.repeat(SLICE / 2 + 7)}${letters(100)}Zoë\r\n`],
  ['three-byte character across the boundary, short lines', `${'€ab\r\n'.repeat(14000)}`],
  ['long line across the 64 KiB boundary', `${'word '.repeat(30000)}\r\n`],
  ['over 64 KiB of trailing spaces', `Zoë${' '.repeat(SLICE + 10)}`],
  ['exactly 64 KiB of trailing spaces', `Zoë${' '.repeat(SLICE)}`],
  ['large CJK (base64, over 76 * 1024 characters)', '登记处'.repeat(30000)],
];

/** Header shapes, each [name, changes to `base`]. */
const headerShapes: readonly (readonly [string, Partial<TextMail>])[] = [
  ['as compose writes it', {}],
  ['non-ASCII subject', { subject: 'Re: SWIP für Zoë Müller — 登记 🎉' }],
  ['very long subject', { subject: `Re: ${'SWIP batch for the northern region '.repeat(12)}--REJECTED` }],
  ['very long subject without spaces', { subject: `Re: ${'X'.repeat(300)}` }],
  ['very long non-ASCII subject', { subject: `Re: ${'Zoë Müller 登记处 🎉 '.repeat(15)}` }],
  ['empty subject (no Subject field)', { subject: '' }],
  ['subject with control characters and an encoded-word look-alike', { subject: 'a\tb\x01c =?utf-8?q?x?=' }],
  ['display name with quotes and commas', { to: '"Müller, Zoë \\"Z\\"" <zoe@isp.example>' }],
  ['display name with a comma, ASCII', { to: '"Smith, John" <john@isp.example>' }],
  [
    'non-ASCII display names',
    { from: 'Zoë Müller <hostmaster@registry.example>', to: '山田 太郎 <yamada@isp.example>' },
  ],
  ['emoji display name', { to: '🎉 Party <party@isp.example>' }],
  ['several recipients', { to: ['noc@demo-isp.example', 'Jane <tech@demo-isp.example>', 'a@b.example'] }],
  ['a group', { to: 'Undisclosed: a@b.example, c@d.example;' }],
  ['internationalised domain and local part', { to: ['user@jõgeva.ee', 'zoë@isp.example'] }],
  ['a lone surrogate in a local part, written unencoded', { to: 'Zoë <z\ud83d@isp.example>' }],
  [
    'many references',
    { references: Array.from({ length: 40 }, (_, i) => `<thread-${i}.${'x'.repeat(i)}@isp.example>`) },
  ],
  [
    'ids without angle brackets',
    { inReplyTo: 'bare@isp.example', references: ['one@isp.example', 'two@isp.example'] },
  ],
  ['no threading, no extra headers', { inReplyTo: undefined, references: undefined, headers: undefined }],
  [
    'long and non-ASCII extra header values',
    { headers: { 'X-Hostmaster-Note': `${'note '.repeat(40)}Zoë`, 'X-Hostmaster-Ticket': '' } },
  ],
];

describe('renderTextMail gives the bytes of nodemailer build()', () => {
  for (const [name, text] of bodies) {
    it(`body: ${name}`, async () => {
      await expectSameBytes({ ...base, text });
    });
  }

  for (const [name, changes] of headerShapes) {
    it(`headers: ${name}`, async () => {
      await expectSameBytes({ ...base, ...changes });
      await expectSameBytes({ ...base, ...changes, text: 'Zoë Müller\r\n' });
    });
  }

  it('covers 7bit, quoted-printable, base64 and no body at all', async () => {
    const seen = new Set<string>();
    for (const [, text] of bodies) seen.add(transferEncoding(renderTextMail({ ...base, text })));
    expect([...seen].sort()).toEqual(['7bit', 'base64', 'none', 'quoted-printable']);
  });

  it('still matches when a Content-* field slips past the type (the text part has the last word)', async () => {
    // @ts-expect-error: the type offers X-* and Auto-Submitted only
    const offered: TextMailHeaders = { 'Content-Type': 'text/html' };
    expect(offered).toBeDefined();
    for (const headers of [
      { 'Content-Type': 'application/octet-stream' },
      { 'Content-Transfer-Encoding': 'base64' },
      { 'Content-Transfer-Encoding': '8bit' },
    ]) {
      await expectSameBytes({
        ...base,
        headers: headers as unknown as TextMailHeaders,
        text: 'Zoë\r\nline\n',
      });
    }
  });
});

/** mulberry32: a fixed seed gives the same strings on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOLS = {
  ascii: [
    'Template:',
    'From ',
    '.',
    '..',
    '>',
    '=',
    '=3D',
    '=\r',
    'hello',
    'NET-198-51-100-0-1',
    'a',
    '42',
    '?',
  ],
  space: [' ', '  ', '\t', ' \t ', '   '],
  eol: ['\r\n', '\n', '\r', '\r\n\r\n', '\n\r'],
  unicode: ['Zoë', 'Müller', 'ñ', '登记处', '漢字かな', '🎉', '👩‍💻', '\u00a0', '\u2028', 'ÿ', 'é', '€'],
  odd: ['\x00', '\x0b', '\x1b', '\x7f', '\ud83d', '\ude00'],
} as const;

function randomText(random: () => number, maxParts: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // Each string leans its own way, so ASCII-only (7bit), mostly Latin (quoted-printable) and
  // mostly non-Latin (base64) bodies all come up.
  const weights = {
    ascii: random() * 6,
    space: random() * 2,
    eol: random() * 2,
    unicode: random() * 3,
    odd: random() * 0.3,
  };
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const parts: string[] = [];
  const count = Math.floor(random() * maxParts);
  for (let i = 0; i < count; i++) {
    if (random() < 0.04) {
      const run = pick(['x', 'é', ' ', '9', 'word ', '登']);
      parts.push(run.repeat(60 + Math.floor(random() * 1100)));
      continue;
    }
    let roll = random() * total;
    for (const [pool, weight] of Object.entries(weights) as [keyof typeof POOLS, number][]) {
      roll -= weight;
      if (roll <= 0) {
        parts.push(pick(POOLS[pool]));
        break;
      }
    }
  }
  return parts.join('');
}

describe('seeded random bodies and subjects', () => {
  it('give the same bytes both ways, in every transfer encoding', async () => {
    const random = prng(20261122);
    const seen = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const text = randomText(random, 120);
      const subject = randomText(random, 12);
      const name = randomText(random, 4).replace(/[\r\n]/g, '');
      const mail: TextMail = {
        ...base,
        subject,
        to: `"${name.replace(/["\\]/g, '')}" <billing@isp.example>`,
      };
      // As given (lone CR and LF included), and as compose.ts hands bodies over (CRLF).
      for (const body of [text, text.replace(/\r?\n/g, '\r\n')]) {
        const raw = await expectSameBytes({ ...mail, text: body });
        const encoding = transferEncoding(raw);
        seen.set(encoding, (seen.get(encoding) ?? 0) + 1);
      }
    }
    for (const encoding of ['7bit', 'quoted-printable', 'base64']) {
      expect(seen.get(encoding) ?? 0).toBeGreaterThan(20);
    }
  });
});

/** Every mail that composeReplies / composeNotification just rendered, rebuilt the old way. */
async function expectComposedSameBytes(compose: () => Promise<readonly { raw: string }[]>): Promise<void> {
  const before = rendered.mock.calls.length;
  const mails = await compose();
  const calls = rendered.mock.calls.slice(before);
  expect(calls).toHaveLength(mails.length);
  for (const [i, [input]] of calls.entries()) {
    expect(mails[i]?.raw).toBe(await built(input));
  }
}

const texts = loadReplyTexts();
const digest = digestOptions(texts);
const perTemplate: ComposeOptions = { ...digest, style: 'per-template' };

const refused = (code: ErrorCode, message: string): ReplyRequest =>
  threeTemplates({ templates: [], refusal: { code, message } });

const awkwardEcho = [
  'Template: ARIN-REASSIGN-SIMPLE-5.0',
  `00. API Key: ${KEY}`,
  'From the billing system, with love',
  '.',
  '.leading dot',
  `03. IP Address and Prefix or Range: 198.51.100.0/29   `,
  `06. Customer Name: Zoë Müller 登记处 🎉\t`,
  `07. Comment: ${'a long comment '.repeat(80)}`,
  `08. Blob: ${'x'.repeat(1200)}`,
  'END OF TEMPLATE',
].join('\n');

const requests: readonly (readonly [string, ReplyRequest])[] = [
  ['three templates', threeTemplates()],
  [
    'three templates listed out of order',
    threeTemplates({ templates: [pendingNet, approvedNet, rejectedNet] }),
  ],
  ['one approved', threeTemplates({ templates: [{ ...approvedNet, total: 1 }] })],
  ['no template and no refusal', threeTemplates({ templates: [] })],
  ['refused: no template', refused('E_NO_TEMPLATE', 'no template was found in this message')],
  ['refused: HTML only', refused('E_HTML_ONLY', 'the message has only an HTML part')],
  ['refused: too many', refused('E_TOO_MANY_TEMPLATES', 'this message holds 11 templates; at most 10')],
  ['refused: a code without its own text', refused('E_BAD_MIME', 'a reason')],
  ['refused, no subject', { ...refused('E_NO_TEMPLATE', 'none'), originalSubject: undefined }],
  ['odd submission id', threeTemplates({ submissionId: 'S 1<2>@x' })],
  ['answer to a reply', threeTemplates({ originalSubject: 'RE: Re: SWIP batch 42 --REJECTED' })],
  [
    'non-ASCII everywhere, awkward echo lines',
    threeTemplates({
      to: '"Müller, Zoë" <zoe@isp.example>',
      originalSubject: 'SWIP für Zoë Müller — 登记 🎉',
      templates: [
        {
          ...rejectedNet,
          total: 2,
          notes: ['Zoë Müller is kept', '登记处 note 🎉', `trailing spaces   `],
          errors: [
            { code: 'E_INVALID_NET_NAME', field: '06', message: 'the name “Zoë” is fine; 登记 is not' },
          ],
          echo: awkwardEcho,
        },
        { ...approvedNet, index: 2, total: 2, echo: awkwardEcho.replace(/\n/g, '\r\n') },
      ],
    }),
  ],
  [
    'long subject, many references, a display name with quotes',
    threeTemplates({
      to: '"Billing \\"Prod\\", EU" <billing@isp.example>',
      originalSubject: `SWIP ${'batch for the northern region '.repeat(10)}`,
      originalReferences: Array.from({ length: 30 }, (_, i) => `<thread-${i}@isp.example>`),
    }),
  ],
  [
    'API keys in subject, notes and echo',
    threeTemplates({
      originalSubject: `SWIP ${KEY}`,
      templates: [
        { ...rejectedNet, notes: [`sent with ${KEY}`], echo: rejectedNet.echo.replace(REDACTED_KEY, KEY) },
      ],
    }),
  ],
];

describe('every mail compose.ts writes', () => {
  for (const [name, request] of requests) {
    for (const options of [digest, perTemplate, { ...perTemplate, tag: 'reprocess.t2.1' }]) {
      it(`${name}, ${options.style}${options.tag ? ' tagged' : ''}`, async () => {
        await expectComposedSameBytes(() => composeReplies(request, options));
      });
    }
  }
});

describe('every notice notify.ts writes', () => {
  const notice: NotificationRequest = {
    to: ['noc@demo-isp.example', 'Jane <NOC@demo-isp.example>', 'tech@demo-isp.example'],
    ticket: '20261122-X0000044',
    submissionId: 'S123',
    templateIndex: 2,
    objectType: 'POC',
    handle: 'DEMO1-ARIN',
    summaryLines: ['office phone changed to +1-555-0100', `modified with key ${KEY}`],
  };
  const notices: readonly (readonly [string, NotificationRequest])[] = [
    ['as notify.test.ts sends it', notice],
    [
      'non-ASCII, long and awkward lines',
      {
        ...notice,
        to: ['"Müller, Zoë" <zoe@isp.example>', '山田 太郎 <yamada@isp.example>'],
        handle: 'ZOË-MÜLLER-ARIN',
        summaryLines: [
          'name changed to Zoë Müller 登记处 🎉',
          `comment: ${'a long comment '.repeat(80)}`,
          'From now on',
          '.',
          'trailing tab\t',
        ],
      },
    ],
    ['nothing to summarise', { ...notice, summaryLines: [] }],
  ];
  const options = {
    from: 'hostmaster@registry.example',
    hostname: 'registry.example',
    texts,
    date: FIXED_DATE,
  };
  for (const [name, request] of notices) {
    it(name, async () => {
      await expectComposedSameBytes(async () => [await composeNotification(request, options)]);
    });
  }
});

/** A 10-template digest, the largest reply the worker writes in the usual run. */
const tenTemplates = threeTemplates({
  templates: Array.from({ length: 10 }, (_, i) => ({
    ...(i % 3 === 1 ? rejectedNet : approvedNet),
    index: i + 1,
    total: 10,
    ticket: `20261122-X00000${50 + i}`,
  })),
});

describe('the fast path (mime-headers.ts) is what renders the usual mails', () => {
  /** Composes, checks every mail against build(), and says how many of them fastHeaders wrote. */
  async function fastCount(compose: () => Promise<readonly { raw: string }[]>): Promise<[number, number]> {
    const before = rendered.mock.calls.length;
    let builtWhileComposing = 0;
    await expectComposedSameBytes(async () => {
      const start = composers.built;
      const mails = await compose();
      builtWhileComposing = composers.built - start;
      return mails;
    });
    const inputs = rendered.mock.calls.slice(before).map(([input]) => input);
    const fast = inputs.filter((input) => fastHeaders(input) !== undefined).length;
    // renderTextMail itself took the fast path: nodemailer built a composer only for the others.
    expect(builtWhileComposing).toBe(inputs.length - fast);
    return [fast, inputs.length];
  }

  const usual: readonly (readonly [string, ReplyRequest])[] = [
    ['three templates', threeTemplates()],
    ['ten templates', tenTemplates],
    ['one approved', threeTemplates({ templates: [{ ...approvedNet, total: 1 }] })],
    ['no template and no refusal', threeTemplates({ templates: [] })],
    ['refused: no template', refused('E_NO_TEMPLATE', 'no template was found in this message')],
    ['refused: too many', refused('E_TOO_MANY_TEMPLATES', 'this message holds 11 templates; at most 10')],
    ['answer to a reply', threeTemplates({ originalSubject: 'RE: Re: SWIP batch 42 --REJECTED' })],
    ['no threading', { ...threeTemplates(), originalMessageId: undefined, originalReferences: undefined }],
  ];
  for (const [name, request] of usual) {
    it(`replies: ${name}`, async () => {
      for (const options of [digest, perTemplate, { ...perTemplate, tag: 'reprocess.t2.1' }]) {
        const [fast, all] = await fastCount(() => composeReplies(request, options));
        expect(all).toBeGreaterThan(0);
        expect(fast).toBe(all);
      }
    });
  }

  it('notices', async () => {
    const request: NotificationRequest = {
      to: ['noc@demo-isp.example', 'Jane <NOC@demo-isp.example>', 'tech@demo-isp.example'],
      ticket: '20261122-X0000044',
      submissionId: 'S123',
      templateIndex: 2,
      objectType: 'POC',
      handle: 'DEMO1-ARIN',
      summaryLines: ['office phone changed to +1-555-0100'],
    };
    const options = {
      from: 'hostmaster@registry.example',
      hostname: 'registry.example',
      texts,
      date: FIXED_DATE,
    };
    expect(await fastCount(async () => [await composeNotification(request, options)])).toEqual([1, 1]);
  });

  it('leaves to nodemailer what it does not write itself', async () => {
    const fallBack: readonly Partial<TextMail>[] = [
      { subject: 'Re: SWIP für Zoë' },
      { subject: 'say "hi"' },
      { subject: 'a =?utf-8?q?x?= b' },
      { subject: 'bell\x07' },
      { subject: 'two\r\nlines' },
      { to: '"Smith, John" <john@isp.example>' },
      { to: 'J. Smith <john@isp.example>' },
      { to: 'Two  Spaces <a@isp.example>' },
      { to: 'user@jõgeva.ee' },
      { to: 'user@ISP.example' },
      { to: 'user@xn--jgeva-dua.ee' },
      { to: 'user@10.0.0.1' },
      { to: 'a@b.example, c@d.example' },
      { to: [] },
      { from: '' },
      { messageId: '' },
      { messageId: '<zoë@isp.example>' },
      { inReplyTo: 'tab\there' },
      { references: ['<a@b> <c@d>'] },
      { references: [''] },
      { headers: { 'X-Hostmaster-Id': 'x' } },
      { headers: { 'X-lower': 'x' } },
      { headers: { 'X-Note': 'say "hi"' } },
    ];
    for (const changes of fallBack) {
      const mail = { ...base, ...changes };
      expect(fastHeaders(mail), JSON.stringify(changes)).toBeUndefined();
      // No Message-ID: nodemailer makes one up at random, so only the choice can be compared.
      if (mail.messageId !== '') await expectSameBytes(mail);
    }
  });
});

describe('seeded random mails at the edges of the fast path', () => {
  const random = prng(20261125);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const WORDS = [
    'Re:',
    'SWIP',
    'batch',
    '42',
    'NET-198-51-100-0-1',
    '--REJECTED',
    'a',
    'x_y',
    'S123',
    '(1/3)',
  ];
  // Whitespace the fast path keeps (foldLines folds at it).
  const SPACES = [' ', ' ', ' ', ' ', ' ', ' ', '  ', '\t', ' \t'];
  const ODD = [
    '"',
    ',',
    '=?',
    '?=',
    '=',
    '\t',
    '  ',
    ';',
    ':',
    '<',
    '>',
    '.',
    '\\',
    '(',
    'é',
    '登',
    '\x01',
    '\x7f',
  ];

  /** ASCII words, single spaces, at about `length` characters; now and then one odd piece in it. */
  function words(length: number, odd: number): string {
    let out = pick(WORDS);
    while (out.length < length) out += `${random() < odd ? pick(ODD) : pick(SPACES)}${pick(WORDS)}`;
    return out.slice(0, length);
  }
  const subjectLength = (): number =>
    pick([int(20), 55 + int(30), 55 + int(30), 985 + int(20), 985 + int(20), 140 + int(200)]);
  // Each piece is one the fast path takes, or now and then (`rare`) one it leaves to nodemailer.
  const rare = (): boolean => random() < 0.012;
  const name = (): string =>
    rare()
      ? pick([words(5 + int(30), 0.3), 'Two  Spaces', ' Lead', 'Zoë', 'J. Smith', '"Smith, John"'])
      : pick([
          '',
          'Billing System',
          'Jane',
          'X_1 y_2 z_3',
          words(5 + int(30), 0)
            .replace(/[^\w ]/g, '')
            .replace(/ +/g, ' ')
            .trim(),
          `${'Long Name '.repeat(1 + int(10))}End`,
        ]);
  const address = (): string =>
    !rare()
      ? pick([
          'billing@isp.example',
          'NOC@demo-isp.example',
          'first.last+tag@mail.isp.example',
          `${'l'.repeat(1 + int(70))}@${'d'.repeat(1 + int(60))}.example`,
          'a@localhost',
          `x@${'sub.'.repeat(1 + int(80))}example`,
        ])
      : pick([
          'user@ISP.Example',
          'user@jõgeva.ee',
          'zoë@isp.example',
          'user@xn--jgeva-dua.ee',
          'user@1.2.3.4',
          'a..b@isp.example',
          '"quoted"@isp.example',
        ]);
  const mailbox = (): string => {
    const n = name();
    const a = address();
    return n === '' ? a : `${n} <${a}>`;
  };
  const id = (): string =>
    rare()
      ? pick(['<a b@isp.example>', '<zoë@isp.example>', '', 'tab\tid'])
      : pick([
          `<${words(5 + int(40), 0).replace(/\s+/g, '.')}@isp.example>`,
          `${words(5 + int(20), 0).replace(/\s+/g, '-')}@isp.example`,
          `<${'r'.repeat(60 + int(40))}@isp.example>`,
          `<${'r'.repeat(60 + int(40))}@isp.example`,
          `<x@y.example>`,
        ]);
  const headerValue = (): string =>
    rare()
      ? pick([words(60 + int(40), 0.2), 'see =?utf-8?q?x?= here', 'say "hi"', 'Zoë'])
      : pick([
          '',
          '   ',
          'All',
          words(1 + int(60), 0),
          words(55 + int(30), 0),
          words(900 + int(200), 0),
          `a\tb  c   d${' '.repeat(int(3))}`,
          '\tleading tab',
          'x = y ?= z',
        ]);

  const LINES = [75, 76, 77, 997, 998, 999, 1000];
  const EOLS = ['\r\n', '\r\n', '\r\n', '\n', '\r'];
  /** Mostly ASCII lines at the 76 and 998 line limits, with the characters the encoders look at. */
  function body(): string {
    const eol = random() < 0.8 ? '\r\n' : pick(EOLS);
    const lines: string[] = [];
    const count = int(30);
    for (let i = 0; i < count; i++) {
      const length = random() < 0.5 ? pick(LINES) : int(80);
      let line = random() < 0.7 ? words(length, 0.02).replace(/[^\x20-\x7e]/g, 'q') : 'x'.repeat(length);
      if (random() < 0.1) line = `.${line.slice(1)}`;
      if (random() < 0.1) line = `From ${line}`.slice(0, Math.max(length, 5));
      if (random() < 0.1) line = `${line}${' '.repeat(1 + int(3))}`;
      if (random() < 0.1) line = line.replace(/ /g, '=');
      if (random() < 0.05) line = `${'9'.repeat(length)}`;
      lines.push(line);
    }
    let text = lines.join(random() < 0.9 ? eol : pick(EOLS));
    // No letters at all: base64 once a line is too long (nothing for `_getTextEncoding` to count).
    if (random() < 0.05) text = text.replace(/[A-Za-z]/g, '7');
    if (random() < 0.5) text += eol;
    if (random() < 0.15) {
      const at = int(text.length + 1);
      text = `${text.slice(0, at)}${pick(['é', '€', '🎉', '\x00', '\x1b', '\u2028'])}${text.slice(at)}`;
    }
    return text;
  }

  it('give the same bytes as build(), most of them through the fast path', async () => {
    let fast = 0;
    const encodings = new Map<string, number>();
    for (let i = 0; i < 1200; i++) {
      const references = random() < 0.2 ? undefined : Array.from({ length: int(40) }, id);
      const mail: TextMail = {
        from: random() < 0.7 ? base.from : mailbox(),
        to: random() < 0.5 ? mailbox() : Array.from({ length: 1 + int(8) }, mailbox),
        subject: random() < 0.1 ? '' : words(subjectLength(), rare() ? 0.05 : 0),
        // Never empty: nodemailer would make one up at random.
        messageId: random() < 0.7 ? `<S${i}.reply@registry.example>` : id() || '<x@y.example>',
        date:
          random() < 0.9 ? new Date(Date.UTC(2026, 10, 22) + int(4e11) - 2e11) : new Date(int(4e14) - 3e14),
        ...(random() < 0.2 ? {} : { inReplyTo: random() < 0.5 ? '<billing-42@isp.example>' : id() }),
        ...(references === undefined ? {} : { references }),
        headers:
          random() < 0.5
            ? base.headers
            : {
                'Auto-Submitted': 'auto-replied',
                'X-Hostmaster-Note': headerValue(),
                [`X-${pick(['Hostmaster-Status', 'A', 'B1', 'Hostmaster-Ticket'])}`]: headerValue(),
              },
        text: body(),
      };
      if (fastHeaders(mail) !== undefined) fast++;
      const raw = await expectSameBytes(mail);
      const encoding = transferEncoding(raw);
      encodings.set(encoding, (encodings.get(encoding) ?? 0) + 1);
    }
    // Both paths, and every transfer encoding, come up often.
    expect(fast).toBeGreaterThan(600);
    expect(fast).toBeLessThan(1150);
    for (const encoding of ['7bit', 'quoted-printable', 'base64', 'none']) {
      expect(encodings.get(encoding) ?? 0, encoding).toBeGreaterThan(10);
    }
  });

  it('chooseTransferEncoding agrees with getTransferEncoding() on bodies of every kind', () => {
    const kinds = [body, () => randomText(random, 120), () => randomText(random, 12)];
    for (let i = 0; i < 1500; i++) {
      const text = pick(kinds)();
      const node = new MailComposer({ text }).compile();
      expect(chooseTransferEncoding(text), JSON.stringify(text)).toBe(node.getTransferEncoding());
    }
  });
});
