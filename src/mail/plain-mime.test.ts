/**
 * The plain reader against mailparser: wherever the plain reader reads a message (does not
 * decline), its reading (the headers as MailHeaders, the body text, every attachment's type, name,
 * size, bytes and charset) and extractMail's whole result must be mailparser's, on every mail
 * fixture, the bench's bulk mail, the fuzz corpus (nastyMail, fixed seeds) and generated variants
 * of the shapes it reads (every listed charset over every byte, each transfer encoding,
 * format=flowed, multipart layouts, delimiter quirks, address headers). And it must read the
 * common mail itself: the plain fixtures and the bench's mail are pinned as read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { bulkPlan } from '../../test/ops/support/traffic.ts';
import { nastyMail } from '../../test/support/fuzz-mail.ts';
import { extractMail, readWithMailparser } from './extract.ts';
import { headerBlock } from './header-block.ts';
import { readMailHeaders } from './headers.ts';
import { plainMimeDeclines, readPlainHead, readPlainMime } from './plain-mime.ts';
import type { MailReading } from './reading.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/mail');

const project = (r: MailReading) => ({
  headers: readMailHeaders(r),
  text: r.text,
  html: r.html,
  attachments: r.attachments.map((a) => ({
    contentType: a.contentType,
    filename: a.filename,
    size: a.size,
    content: a.content.toString('hex'),
    charset: a.charset,
  })),
});

/** 'plain' when the plain reader read it (and agreed with mailparser in everything), else 'declined'. */
async function differential(raw: Buffer, label: string): Promise<'plain' | 'declined'> {
  const plain = readPlainMime(raw);
  if (!plain) return 'declined';
  let reference: MailReading;
  try {
    reference = await readWithMailparser(raw);
  } catch (error) {
    throw new Error(`${label}: mailparser fails where the plain reader reads: ${String(error)}`);
  }
  expect(project(plain), label).toEqual(project(reference));
  expect(await extractMail(raw), label).toEqual(await extractMail(raw, readWithMailparser));
  return 'plain';
}

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

function qp(bytes: Buffer): string {
  let out = '';
  let line = '';
  for (const b of bytes) {
    if (b === 0x0a) {
      out += `${line}\n`;
      line = '';
      continue;
    }
    const ch =
      b >= 0x21 && b <= 0x7e && b !== 0x3d
        ? String.fromCharCode(b)
        : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line.length + ch.length > 72) {
      out += `${line}=\n`;
      line = '';
    }
    line += ch;
  }
  return out + line;
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/.{1,76}/g, '$&\n');

/** Every byte but CR and LF, sixteen to a line, then a template line. */
const ALL_BYTES = Buffer.concat([
  ...Array.from({ length: 16 }, (_, row) =>
    Buffer.from([
      ...Array.from({ length: 16 }, (_, col) => row * 16 + col).filter((b) => b !== 0x0a && b !== 0x0d),
      0x0a,
    ]),
  ),
  Buffer.from('Template: ARIN-POC-5.0\nContact Name: Jos\xe9 M\xfcller\n', 'latin1'),
]);

const LABELS = [
  'utf-8',
  'UTF-8',
  'utf8',
  'us-ascii',
  'US-ASCII',
  'ascii',
  'iso-8859-1',
  'ISO-8859-1',
  'windows-1252',
  ...[2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16].map((n) => `iso-8859-${n}`),
  ...[1250, 1251, 1253, 1254, 1255, 1256, 1257, 1258].map((n) => `windows-${n}`),
  'Windows-1250',
  'koi8-r',
  'KOI8-U',
  'latin1',
  'cp1252',
  'utf-7',
  'x-unknown',
];

function message(head: string, body: Buffer | string, eol = '\r\n'): Buffer {
  const top = `From: Ops <ops@isp.example>\nTo: hostmaster@rir.example\nSubject: variant\nMessage-ID: <v@isp.example>\nDate: Mon, 7 Dec 2026 09:00:00 +0000\nMIME-Version: 1.0\n${head}\n`;
  const bytes = Buffer.concat([
    Buffer.from(top, 'latin1'),
    typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
  ]);
  const text = bytes.toString('latin1').replace(/\r?\n/g, eol);
  return Buffer.from(text, 'latin1');
}

function* charsetVariants(): Generator<[string, Buffer]> {
  for (const label of LABELS) {
    for (const eol of ['\r\n', '\n']) {
      yield [
        `${label} 8bit`,
        message(
          `Content-Type: text/plain; charset=${label}\nContent-Transfer-Encoding: 8bit\n`,
          ALL_BYTES,
          eol,
        ),
      ];
      yield [
        `${label} qp`,
        message(
          `Content-Type: text/plain; charset="${label}"\nContent-Transfer-Encoding: quoted-printable\n`,
          qp(ALL_BYTES),
          eol,
        ),
      ];
      yield [
        `${label} base64`,
        message(
          `Content-Type: text/plain; charset=${label}\nContent-Transfer-Encoding: base64\n`,
          b64(ALL_BYTES),
          eol,
        ),
      ];
    }
  }
  const utf8 = Buffer.from('Template: ARIN-POC-5.0\nContact Name: José Müller \u{1F600}\n', 'utf8');
  yield ['no charset, UTF-8 bytes', message('Content-Type: text/plain\n', utf8)];
  yield ['no charset, Latin-1 bytes', message('Content-Type: text/plain\n', ALL_BYTES)];
  yield ['no Content-Type, Latin-1 bytes', message('', ALL_BYTES)];
  yield [
    'us-ascii, Latin-1 bytes, qp',
    message(
      'Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: quoted-printable\n',
      qp(ALL_BYTES),
    ),
  ];
  yield ['utf-8 labelled, Latin-1 bytes', message('Content-Type: text/plain; charset=utf-8\n', ALL_BYTES)];
  yield [
    'BOM',
    message('Content-Type: text/plain\n', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8])),
  ];
}

const FLOWED_BODY =
  'Template: ARIN-POC-5.0 \nContact Name: a very long \nname continued\n> quoted soft \n> continued\n>> deeper \n> back\n \nstuffed\n-- \nsignature line \ncontinued\n\n\ntrailing space \n';

function* flowedVariants(): Generator<[string, Buffer]> {
  for (const params of [
    'format=flowed',
    'format=flowed; delsp=yes',
    'format="Flowed"; DelSp="YES"',
    'format=fixed',
  ]) {
    for (const cte of ['7bit', 'quoted-printable', 'base64']) {
      const body =
        cte === 'base64'
          ? b64(Buffer.from(FLOWED_BODY))
          : cte === 'quoted-printable'
            ? qp(Buffer.from(FLOWED_BODY))
            : FLOWED_BODY;
      yield [
        `flowed ${params} ${cte}`,
        message(
          `Content-Type: text/plain; charset=utf-8; ${params}\nContent-Transfer-Encoding: ${cte}\n`,
          body,
        ),
      ];
    }
  }
}

const TEMPLATE = 'Template: ARIN-NET-MOD-5.0\nNetwork Name: NET-1\nComments: line\n\n';

function multipart(
  subtype: string,
  boundary: string,
  parts: readonly string[],
  opts: { preamble?: string; epilogue?: string; close?: string; delimiterTail?: string } = {},
): string {
  const tail = opts.delimiterTail ?? '';
  return `Content-Type: multipart/${subtype}; boundary="${boundary}"\n\n${opts.preamble ?? ''}${parts.map((p) => `--${boundary}${tail}\n${p}\n`).join('')}${opts.close ?? `--${boundary}--${tail}`}\n${opts.epilogue ?? ''}`;
}

function* multipartVariants(): Generator<[string, Buffer]> {
  const text = `Content-Type: text/plain; charset=utf-8\n\n${TEMPLATE}`;
  const attachment = `Content-Type: text/plain; charset=iso-8859-1; name="t.txt"\nContent-Disposition: attachment; filename="net mod.txt"\nContent-Transfer-Encoding: base64\n\n${b64(Buffer.from(`${TEMPLATE}Jos\xe9\n`, 'latin1'))}`;
  const pdf = `Content-Type: application/pdf; name=x.pdf\nContent-Disposition: attachment; filename=x.pdf\nContent-Transfer-Encoding: base64\n\n${b64(Buffer.from('%PDF-1.4 \x00\x01\x02', 'latin1'))}`;
  const octet = `Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${b64(Buffer.from(TEMPLATE))}`;
  const csv = `Content-Type: text/csv\n\na,b\n1,2\n`;
  const noHeaders = `\n${TEMPLATE}`;
  const inlineNamed = `Content-Type: text/plain\nContent-Disposition: inline; filename=body.txt\n\n${TEMPLATE}`;
  const oddDisposition = `Content-Type: text/plain\nContent-Disposition: form-data; name=x\n\n${TEMPLATE}`;
  const empty = 'Content-Type: text/plain\n\n';
  const blankTail = `Content-Type: text/plain\n\n${TEMPLATE}\n\n\n`;
  const latin1Part = `Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\nContact Name: Jos\xe9\n`;
  const layouts: [string, string][] = [
    ['mixed text+attachment', multipart('mixed', 'b1', [text, attachment])],
    ['mixed text+pdf+octet+csv', multipart('mixed', 'b1', [text, pdf, octet, csv])],
    ['mixed two texts', multipart('mixed', 'b1', [text, text.replace('NET-1', 'NET-2')])],
    ['alternative two texts', multipart('alternative', 'b1', [text, text])],
    ['no headers part', multipart('mixed', 'b1', [noHeaders, attachment])],
    ['inline named', multipart('mixed', 'b1', [inlineNamed])],
    ['odd disposition', multipart('mixed', 'b1', [text, oddDisposition])],
    ['empty part', multipart('mixed', 'b1', [empty, text])],
    ['blank lines before delimiter', multipart('mixed', 'b1', [blankTail, blankTail])],
    ['latin-1 part among UTF-8', multipart('mixed', 'b1', [text, latin1Part])],
    // The Latin-1 body part sets extract.ts's relabelling off, which labels text attachments too.
    [
      'relabelled attachments',
      multipart('mixed', 'b1', [
        latin1Part,
        'Content-Type: text/csv\nContent-Transfer-Encoding: base64\n\n//4AAS0tYjF4Cg==',
        'Content-Type: text/plain; charset=x-unknown\nContent-Disposition: attachment\n\nJos\xe9',
        'Content-Type: text/plain; charset=us-ascii\nContent-Disposition: attachment\n\nplain ascii',
      ]),
    ],
    [
      'undefined windows-1250 byte in the body',
      multipart('mixed', 'b1', [
        `Content-Type: text/plain; charset=windows-1250\n\nx\x81y`,
        'Content-Type: text/csv\n\n\xe9',
      ]),
    ],
    [
      'preamble and epilogue',
      multipart('mixed', 'b1', [text], {
        preamble: 'This is a MIME message.\n\n',
        epilogue: 'epilogue\n--b1\nnot a part\n',
      }),
    ],
    ['delimiter trailing blanks', multipart('mixed', 'b1', [text, attachment], { delimiterTail: ' \t ' })],
    ['close without line end', `${multipart('mixed', 'b1', [text], { close: '--b1--' })}`.replace(/\n$/, '')],
    ['unclosed', multipart('mixed', 'b1', [text], { close: '' })],
    ['lookalike delimiter', multipart('mixed', 'b1', [`${text}--b1x\n--b1-\n-- b1\n`])],
    ['nested', multipart('mixed', 'outer', [multipart('alternative', 'inner', [text, text]), attachment])],
    [
      'nested unclosed',
      multipart('mixed', 'outer', [multipart('alternative', 'inner', [text], { close: '' }), attachment]),
    ],
    [
      'nested, inner boundary a prefix',
      multipart('mixed', 'b', [multipart('alternative', 'b2', [text]), text]),
    ],
    [
      'signed',
      multipart('signed', 'sig', [
        text,
        'Content-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n',
      ]),
    ],
    ['closes at once', 'Content-Type: multipart/mixed; boundary=b1\n\n--b1--\n'],
    ['html alternative', multipart('alternative', 'b1', [text, 'Content-Type: text/html\n\n<p>x</p>'])],
    [
      'forward',
      multipart('mixed', 'b1', [
        text,
        `Content-Type: message/rfc822\n\nFrom: a@b.example\nSubject: fwd\n\n${TEMPLATE}`,
      ]),
    ],
    ['boundary on text', `Content-Type: text/plain; boundary=b1\n\n--b1\n${TEMPLATE}`],
    ['multipart without boundary', `Content-Type: multipart/mixed\n\n--b1\n${text}\n--b1--\n`],
    ['comment in type', `Content-Type: text/plain (comment); charset=utf-8\n\n${TEMPLATE}`],
    [
      'rfc 2231 name',
      multipart('mixed', 'b1', [
        text,
        "Content-Type: text/plain\nContent-Disposition: attachment; filename*=utf-8''a%20b.txt\n\nx\n",
      ]),
    ],
    ['quoted boundary with spaces', multipart('mixed', 'a b:c', [text])],
    [
      'uppercase types',
      `Content-Type: TEXT/PLAIN; CHARSET=UTF-8\nContent-Transfer-Encoding: Quoted-Printable\n\n${qp(Buffer.from(TEMPLATE))}`,
    ],
    [
      'base64 unclean',
      `Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${b64(Buffer.from(TEMPLATE)).replace('\n', ' \n')}=\n`,
    ],
    [
      'qp odd escapes',
      'Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\na=3Db =ZZ c=\nd = \ne=4\nf=\n',
    ],
    ['unknown transfer encoding', `Content-Transfer-Encoding: x-uuencode\n\n${TEMPLATE}`],
  ];
  for (const [name, rest] of layouts) {
    for (const eol of ['\r\n', '\n']) yield [`${name} (${JSON.stringify(eol)})`, message(rest, '', eol)];
  }
  // A lone CR before a delimiter: left to mailparser.
  yield [
    'lone CR',
    Buffer.from(
      message(multipart('mixed', 'b1', [text]), '')
        .toString('latin1')
        .replace('\n--b1--', '\r--b1--'),
      'latin1',
    ),
  ];
}

function* headerVariants(): Generator<[string, Buffer]> {
  const heads = [
    'From: "Ops, Team" <OPS@ISP.example>, other@isp.example\nTo: hostmaster@rir.example,\n  "B" <b@isp.example>\nTo: second@rir.example\nCc: Group: a@x.example, b@x.example;, c@x.example\n',
    'From: ops@isp.example (Ops Dept)\nReply-To: <Reply@ISP.example>\nSubject:\nSubject: second subject\n',
    'From: <ops@isp.example>\nMessage-ID: abc@isp\nIn-Reply-To: <x@y>\n <z@w>\nReferences: <a@b> <c@d>\nReferences: e@f\n\t<g@h>\n',
    'From: ops@isp.example\nReferences:\nDate: not a date\nMessage-ID:\n',
    'From:\nTo: undisclosed-recipients:;\nDate: Mon, 7 Dec 2026 09:00:00 +0100 (CET)\n',
    'From: =?utf-8?q?Jos=C3=A9?= <j@isp.example>\n',
    'From: ops@xn--mnchen-3ya.example\n',
    'Subject: caf\xe9\nFrom: a@b.example\n',
    ' folded first line\nFrom: a@b.example\n',
    'From a@b.example Mon Dec  7\nSubject: mbox\n',
  ];
  for (const head of heads) {
    const raw = Buffer.from(
      `${head}MIME-Version: 1.0\nContent-Type: text/plain\n\n${TEMPLATE}`.replace(/\n/g, '\r\n'),
      'latin1',
    );
    yield [JSON.stringify(head.slice(0, 40)), raw];
  }
}

/** Text of `length` bytes in lines of 70 (the last one shorter), ending in a line end. */
function filler(length: number, eol: string): string {
  let out = '';
  while (out.length + 70 + eol.length <= length) out += `${'a'.repeat(70)}${eol}`;
  const rest = length - out.length - eol.length;
  return rest >= 0 ? `${out}${'b'.repeat(rest)}${eol}` : out;
}

/** Messages past mailparser's 64 KiB input chunks, a delimiter or a line end at each offset around a chunk's end. */
function* largeVariants(): Generator<[string, Buffer]> {
  for (const eol of ['\r\n', '\n']) {
    const head = crlf(
      'From: a@isp.example\nTo: hostmaster@rir.example\nSubject: large\nMessage-ID: <l@isp.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/plain\n\n',
    ).replace(/\r\n/g, eol);
    for (let k = -6; k <= 6; k++) {
      const body = filler(65536 + k - head.length, eol);
      const tail = `--b1${eol}Content-Type: text/plain${eol}${eol}${TEMPLATE.replace(/\n/g, eol)}--b1--${eol}`;
      yield [
        `delimiter at 65536${k >= 0 ? '+' : ''}${k} (${JSON.stringify(eol)})`,
        Buffer.from(head + body + tail),
      ];
      // The same, without a delimiter there: the line end at the chunk's end is body.
      yield [
        `line end at 65536${k >= 0 ? '+' : ''}${k} (${JSON.stringify(eol)})`,
        Buffer.from(head + body + `x${eol}` + tail),
      ];
      // One part over several chunks, and the root's own single-part body.
      const single = head.replace(/Content-Type: multipart[\s\S]*$/, `Content-Type: text/plain${eol}${eol}`);
      yield [
        `single part to 65536${k >= 0 ? '+' : ''}${k} (${JSON.stringify(eol)})`,
        Buffer.from(single + filler(65536 * 2 + k - single.length, eol)),
      ];
    }
  }
}

/** The ingress's look at a header block alone (src/ingress/message-head.ts): the plain reader's, else mailparser's. */
async function headDifferential(raw: Buffer, label: string): Promise<'plain' | 'declined'> {
  const head = headerBlock(raw);
  const plain = readPlainHead(head);
  if (!plain) return 'declined';
  const reference = await simpleParser(Buffer.concat([head, Buffer.from('\r\n\r\n')]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
  });
  const values = (r: typeof plain) => ({
    messageId: r.messageId,
    subject: r.subject,
    from: r.from?.value.find((a) => a.address)?.address,
    headers: readMailHeaders(r),
  });
  expect(values(plain), label).toEqual(values(reference));
  return 'plain';
}

/** Random MIME trees of the shapes the plain reader reads (a seeded generator: the same every run). */
function* randomTrees(seed: number, count: number): Generator<[string, Buffer]> {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)]!;
  const bodies = [
    'Template: ARIN-POC-5.0\nName: Jos\xe9\n',
    '',
    '\n',
    '\n\n',
    'x',
    '.\n..\n',
    '--b\n',
    'a \nb  \n',
    '> q \n>> r\n-- \n',
    'l=\n=3D=41\n',
    '\xff\xfe\x00\x01',
  ];
  const part = (depth: number): string => {
    if (depth < 3 && random() < 0.3) {
      const b = `${pick(['b', 'b1', 'a b', '==_x', 'b-'])}${depth}`;
      const parts = Array.from({ length: Math.floor(random() * 3) }, () => part(depth + 1));
      const tail = pick(['', ' ', '\t']);
      return `Content-Type: multipart/${pick(['mixed', 'alternative', 'signed'])}; boundary="${b}"\n\n${random() < 0.3 ? 'preamble\n' : ''}${parts.map((p) => `--${b}${tail}\n${p}\n`).join('')}${random() < 0.9 ? `--${b}--${tail}\n` : ''}${random() < 0.3 ? 'epilogue\n' : ''}`;
    }
    const cte = pick(['', '7bit', '8bit', 'quoted-printable', 'base64']);
    const type = pick([
      'text/plain',
      'text/plain; charset=utf-8',
      'text/plain; charset=iso-8859-2',
      'text/plain; format=flowed',
      'text/plain; format=flowed; delsp=yes',
      'text/csv',
      'application/pdf',
      'application/octet-stream',
      '',
    ]);
    const disposition = pick([
      '',
      'inline',
      'attachment',
      'attachment; filename="t.txt"',
      'inline; filename=x.txt',
      'form-data',
    ]);
    let body = pick(bodies) + (random() < 0.5 ? pick(bodies) : '');
    if (cte === 'base64') body = b64(Buffer.from(body, 'latin1'));
    return `${type ? `Content-Type: ${type}\n` : ''}${disposition ? `Content-Disposition: ${disposition}\n` : ''}${cte ? `Content-Transfer-Encoding: ${cte}\n` : ''}\n${body}`;
  };
  for (let i = 0; i < count; i++) {
    const eol = pick(['\r\n', '\n']);
    const text = `From: a@b.example\nTo: h@r.example\nSubject: s\nMessage-ID: <m${i}@x>\n${part(0)}`;
    yield [`tree ${seed}/${i}`, Buffer.from(text.replace(/\r?\n/g, eol), 'latin1')];
  }
}

describe('the plain reader reads what mailparser reads, or declines', () => {
  it('every mail fixture: the plain ones are read, alike', async () => {
    const read: string[] = [];
    for (const name of readdirSync(FIXTURES)
      .filter((n) => n.endsWith('.eml'))
      .sort()) {
      if ((await differential(readFileSync(join(FIXTURES, name)), name)) === 'plain') read.push(name);
    }
    // The common mail of the fixtures: plain text, text attachments, Latin-1, quoted-printable,
    // base64, format=flowed, PGP-signed. Declined: HTML, forwards, encoded-word headers.
    for (const name of [
      'plain-reassign-simple-5.0.eml',
      'crlf-net-mod-5.0.eml',
      'attachment-txt-base64.eml',
      'attachment-windows-1252.eml',
      'base64-org-create.eml',
      'format-flowed.eml',
      'latin1-no-charset.eml',
      'quoted-printable-soft-breaks.eml',
      'mta-pipe-reassign-simple.eml',
      'pgp-signed.eml',
      'ten-templates.eml',
      'eleven-templates.eml',
    ]) {
      expect(read, name).toContain(name);
    }
    for (const name of ['html-only-poc-modify.eml', 'forwarded-template.eml'])
      expect(read).not.toContain(name);
  });

  it("the bench's bulk mail, all read", async () => {
    for (const m of bulkPlan(40, { run: 7 }).messages) {
      expect(await differential(Buffer.from(m.raw, 'latin1'), m.messageId)).toBe('plain');
    }
  });

  it('every listed charset over every byte, in each transfer encoding; the others declined', async () => {
    for (const [label, raw] of charsetVariants()) {
      const outcome = await differential(raw, label);
      if (/utf-?7|x-unknown|latin1|cp1252|iso-8859-16|windows-1255/i.test(label)) {
        expect(outcome, label).toBe('declined');
      } else {
        expect(outcome, `${label}: ${plainMimeDeclines(raw)}`).toBe('plain');
      }
    }
  });

  it('format=flowed, delsp, quoting and signatures', async () => {
    for (const [label, raw] of flowedVariants()) expect(await differential(raw, label), label).toBe('plain');
  });

  it('multipart layouts and delimiter quirks', async () => {
    const outcomes: Record<string, string> = {};
    for (const [label, raw] of multipartVariants()) outcomes[label] = await differential(raw, label);
    const read = Object.entries(outcomes)
      .filter(([, o]) => o === 'plain')
      .map(([l]) => l);
    for (const name of [
      'mixed text+attachment',
      'nested',
      'delimiter trailing blanks',
      'signed',
      'preamble and epilogue',
    ]) {
      expect(
        read.some((l) => l.startsWith(`${name} `)),
        name,
      ).toBe(true);
    }
  });

  it('messages larger than mailparser reads at once', async () => {
    for (const [label, raw] of largeVariants()) expect(await differential(raw, label), label).toBe('plain');
  });

  it('address, id and date headers', async () => {
    let read = 0;
    for (const [label, raw] of headerVariants()) if ((await differential(raw, label)) === 'plain') read++;
    expect(read).toBeGreaterThanOrEqual(5);
  });

  it('a header block alone, as the ingress reads it before storing', async () => {
    const corpus: [string, Buffer][] = [
      ...readdirSync(FIXTURES).map((n): [string, Buffer] => [n, readFileSync(join(FIXTURES, n))]),
      ...headerVariants(),
      ...bulkPlan(10, { run: 3 }).messages.map((m): [string, Buffer] => [m.messageId, Buffer.from(m.raw)]),
      ...fc
        .sample(nastyMail(), { seed: 7, numRuns: 300 })
        .map((raw, i): [string, Buffer] => [`fuzz #${i}`, raw]),
    ];
    let read = 0;
    for (const [label, raw] of corpus) if ((await headDifferential(raw, label)) === 'plain') read++;
    expect(read).toBeGreaterThan(corpus.length / 2);
  });

  it('random MIME trees of text parts, attachments, encodings and delimiters (fixed seeds)', async () => {
    let read = 0;
    for (const [label, raw] of randomTrees(11, 600)) if ((await differential(raw, label)) === 'plain') read++;
    expect(read).toBeGreaterThan(300);
  });

  it('the fuzz corpus (fixed seeds)', async () => {
    let read = 0;
    const samples = fc.sample(nastyMail(), { seed: 19, numRuns: 400 });
    for (const [i, raw] of samples.entries()) if ((await differential(raw, `fuzz #${i}`)) === 'plain') read++;
    // Enough of the corpus is read for the comparison to mean something.
    expect(read).toBeGreaterThan(20);
  });
});
