/**
 * Nasty mail for the mail + template chain (raw RFC 5322 bytes -> extractMail -> parseSubmission,
 * as src/reading reads a job): MIME trees nested and unclosed, message/rfc822 inside, every
 * transfer encoding (also broken), charsets declared, lying or unknown, encoded-word headers,
 * huge lines, control characters, deep HTML, templates filled and mangled. Shared by the suite's
 * fuzz test (a modest count) and `npm run fuzz` (bench/fuzz.ts, 100,000 inputs); plain code, no
 * test framework, so that both can use `readingViolations`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { MessageReading } from '../../src/reading/index.ts';
import { ERROR_CODES, type ErrorStage, type Problem } from '../../src/shared/index.ts';

const REPO = join(import.meta.dirname, '../..');
const BLANKS = readdirSync(join(REPO, 'templates'))
  .filter((n) => n.endsWith('.txt'))
  .map((n) => readFileSync(join(REPO, 'templates', n), 'utf8'));
const FIXTURES = readdirSync(join(REPO, 'test/fixtures/mail'))
  .filter((n) => n.endsWith('.eml'))
  .map((n) => readFileSync(join(REPO, 'test/fixtures/mail', n)));

const KEY = 'API-1A2B-3C4D-5E6F-7A8B';
const VALUES = [
  'N',
  'M',
  'R',
  'NONE',
  '',
  'DEMO1-ARIN',
  'DEMOISP-1',
  '198.51.100.0/24',
  '2001:db8::/32',
  '999.1.1.1/8',
  'AS64500, 64501',
  'US',
  'noc@demo-isp.example',
  '+1-703-555-0100',
  'Yes',
  KEY,
  'API-12',
  'José Müller GmbH',
  '\u0000\u001b[31m',
  '\uFFFD',
  '=?utf-8?B?QVBJLTFBMkI=?=',
];

export interface FuzzSize {
  /** Longest generated line (a huge line is one of the shapes). */
  readonly maxLine: number;
  /** Deepest generated HTML nesting. */
  readonly maxHtmlDepth: number;
  /** Most junk lines in one template (each one a problem). */
  readonly maxJunkLines: number;
}

/** What the suite runs: every shape, each small enough for a few seconds in all. */
export const SUITE_SIZE: FuzzSize = { maxLine: 5_000, maxHtmlDepth: 400, maxJunkLines: 300 };
/** What `npm run fuzz` runs: shapes up to the sizes that once hurt. */
export const DEEP_SIZE: FuzzSize = { maxLine: 300_000, maxHtmlDepth: 100_000, maxJunkLines: 130_000 };

/**
 * A count up to `max`: past a few thousand, one draw in fifty goes that far, so that a run of
 * 100,000 holds some thousands of huge inputs and still ends in minutes.
 */
function upTo(max: number, min = 1): fc.Arbitrary<number> {
  const small = fc.integer({ min, max: Math.min(max, 2_000) });
  if (max <= 5_000) return fc.integer({ min, max });
  return fc.oneof({ weight: 49, arbitrary: small }, { weight: 1, arbitrary: fc.integer({ min, max }) });
}

function templateText(size: FuzzSize): fc.Arbitrary<string> {
  const filled = fc
    .tuple(fc.constantFrom(...BLANKS), fc.array(fc.constantFrom(...VALUES), { minLength: 40, maxLength: 40 }))
    .map(([blank, values]) => {
      let i = 0;
      return blank.replace(/^(\d+[a-z]?\.[^\n]*:)$/gm, (_m, label: string) => `${label} ${values[i++ % 40]}`);
    });
  const mangled = fc
    .tuple(filled, fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 12 })), { maxLength: 5 }))
    .map(([text, edits]) => {
      const lines = text.split('\n');
      for (const [at, insert] of edits) lines.splice(at % (lines.length + 1), 0, insert);
      return lines.join('\n');
    });
  const junk = upTo(size.maxJunkLines, 0).map(
    (n) => `Template: ARIN-POC-5.1\n${'not a field\n'.repeat(n)}01. Registration Action: M\nEND OF TEMPLATE`,
  );
  const many = fc
    .integer({ min: 9, max: 14 })
    .chain((n) => fc.array(filled, { minLength: n, maxLength: n }))
    .map((ts) => ts.join('\n\n'));
  return fc.oneof(filled, mangled, junk, many);
}

function htmlText(size: FuzzSize): fc.Arbitrary<string> {
  const tag = fc.constantFrom(
    'div',
    'span',
    'table',
    'tr',
    'td',
    'p',
    'li',
    'font',
    'b',
    'blockquote',
    'br',
    'x-y',
  );
  const nested = fc
    .tuple(tag, upTo(size.maxHtmlDepth), fc.boolean())
    .map(
      ([t, n, closed]) => `${`<${t}>`.repeat(n)}Template: ARIN-POC-5.1${closed ? `</${t}>`.repeat(n) : ''}`,
    );
  const templateInTable = templateText(size).map(
    (t) =>
      `<html><body><table>${t
        .split('\n')
        .map((l) => `<tr><td>${l.replace(/</g, '&lt;')}</td></tr>`)
        .join('')}</table></body></html>`,
  );
  const odd = fc.constantFrom(
    '<',
    '<!--',
    '<![CDATA[',
    '</>',
    '<a href="x>y">',
    '<script>if(a<b)</script>',
    '<style>',
  );
  return fc.oneof(
    nested,
    templateInTable,
    fc.array(fc.oneof(odd, fc.string()), { maxLength: 20 }).map((a) => a.join('')),
  );
}

function plainText(size: FuzzSize): fc.Arbitrary<string> {
  return fc.oneof(
    templateText(size),
    fc.string({ unit: 'binary', maxLength: 200 }),
    upTo(size.maxLine, 100).map((n) => 'x'.repeat(n)),
    fc.constantFrom(
      '\r\r\r',
      '\0\0',
      '> Template: ARIN-POC-5.1\n> END OF TEMPLATE',
      '-----BEGIN PGP SIGNED MESSAGE-----\n',
    ),
  );
}

type Charset = { readonly label: string; readonly encode: (text: string) => Buffer };
const CHARSETS: readonly Charset[] = [
  { label: 'utf-8', encode: (t) => Buffer.from(t, 'utf8') },
  { label: 'iso-8859-1', encode: (t) => Buffer.from(t, 'latin1') },
  { label: 'windows-1252', encode: (t) => Buffer.from(t, 'latin1') },
  { label: 'utf-16le', encode: (t) => Buffer.from(t, 'utf16le') },
  // Lying or unknown labels: the bytes are something else.
  { label: 'us-ascii', encode: (t) => Buffer.from(t, 'utf8') },
  { label: 'utf-8', encode: (t) => Buffer.from(t, 'latin1') },
  { label: 'x-unknown', encode: (t) => Buffer.from(t, 'latin1') },
  { label: 'iso-2022-jp', encode: (t) => Buffer.from(t, 'utf8') },
  { label: '', encode: (t) => Buffer.from(t, 'latin1') },
];

const ENCODINGS = [
  '7bit',
  '8bit',
  'binary',
  'base64',
  'quoted-printable',
  'BASE64',
  'x-uuencode',
  'bogus',
] as const;

function quotedPrintable(bytes: Buffer, broken: boolean): string {
  let out = '';
  let column = 0;
  for (const b of bytes) {
    const plain = (b >= 33 && b <= 126 && b !== 61) || b === 32;
    const piece =
      b === 10 ? '\n' : plain ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (b === 10) column = 0;
    else if (column + piece.length > 75) {
      out += '=\n';
      column = 0;
    }
    out += piece;
    column += piece.length;
  }
  return broken ? `${out}=Z=` : out;
}

function transferEncode(bytes: Buffer, encoding: string, broken: boolean): Buffer {
  const e = encoding.toLowerCase();
  if (e === 'base64') {
    const b64 = bytes.toString('base64');
    const wrapped = broken ? `${b64.slice(0, -3)}!*` : (b64.match(/.{1,76}/g) ?? []).join('\n');
    return Buffer.from(wrapped);
  }
  if (e === 'quoted-printable') return Buffer.from(quotedPrintable(bytes, broken));
  return bytes;
}

interface Leaf {
  readonly type: string;
  readonly text: string;
  readonly charset: Charset;
  readonly encoding: string;
  readonly broken: boolean;
  readonly disposition?: string;
}
type Node =
  | { readonly kind: 'leaf'; readonly leaf: Leaf }
  | {
      readonly kind: 'multipart';
      readonly subtype: string;
      readonly boundary: string;
      readonly parts: Node[];
      readonly closed: boolean;
    }
  | { readonly kind: 'message'; readonly subject: string; readonly inner: Node };

function leaf(size: FuzzSize): fc.Arbitrary<Node> {
  const typed = fc.oneof(
    fc.tuple(fc.constant('text/plain'), plainText(size)),
    fc.tuple(fc.constant('text/html'), htmlText(size)),
    fc.tuple(
      fc.constantFrom(
        'application/octet-stream',
        'text/x-template',
        'application/pgp-signature',
        'image/png',
      ),
      plainText(size),
    ),
  );
  return fc
    .record({
      typed,
      charset: fc.constantFrom(...CHARSETS),
      encoding: fc.constantFrom(...ENCODINGS),
      broken: fc.boolean(),
      disposition: fc.option(
        fc.constantFrom(
          'inline',
          'attachment; filename="swip.txt"',
          'attachment; filename=a.pdf',
          "attachment; filename*=utf-8''sw%C3%ADp.txt",
          'attachment',
        ),
        { nil: undefined },
      ),
    })
    .map(({ typed: [type, text], charset, encoding, broken, disposition }) => ({
      kind: 'leaf' as const,
      leaf: { type, text, charset, encoding, broken, ...(disposition ? { disposition } : {}) },
    }));
}

function tree(size: FuzzSize): fc.Arbitrary<Node> {
  const { node } = fc.letrec<{ node: Node; multipart: Node; message: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf(size),
      tie('multipart'),
      tie('message'),
    ),
    multipart: fc
      .record({
        subtype: fc.constantFrom('mixed', 'alternative', 'related', 'signed', 'report'),
        boundary: fc.constantFrom('b', 'b1', '=_x', '----', 'a"b', ''),
        parts: fc.array(tie('node'), { maxLength: 4 }),
        closed: fc.boolean(),
      })
      .map((m) => ({ kind: 'multipart' as const, ...m })),
    message: fc
      .tuple(fc.string({ maxLength: 20 }), tie('node'))
      .map(([subject, inner]) => ({ kind: 'message' as const, subject, inner })),
  }));
  return node;
}

function render(node: Node, depth = 0): Buffer {
  if (node.kind === 'leaf') {
    const { type, text, charset, encoding, broken, disposition } = node.leaf;
    const body = transferEncode(charset.encode(text), encoding, broken);
    const head = [
      `Content-Type: ${type}${charset.label ? `; charset=${charset.label}` : ''}`,
      `Content-Transfer-Encoding: ${encoding}`,
      ...(disposition ? [`Content-Disposition: ${disposition}`] : []),
    ].join('\r\n');
    return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]);
  }
  if (node.kind === 'message') {
    const inner = render(node.inner, depth + 1);
    const head = `Content-Type: message/rfc822\r\n\r\nFrom: other@elsewhere.example\r\nSubject: ${node.subject}\r\n`;
    return Buffer.concat([Buffer.from(head), inner]);
  }
  // Nested parts reuse the boundary now and then: a nasty case of its own.
  const boundary = `${node.boundary}${depth % 2 === 0 ? depth : ''}`;
  const chunks: Buffer[] = [
    Buffer.from(`Content-Type: multipart/${node.subtype}; boundary="${boundary}"\r\n\r\npreamble\r\n`),
  ];
  for (const part of node.parts)
    chunks.push(Buffer.from(`--${boundary}\r\n`), render(part, depth + 1), Buffer.from('\r\n'));
  if (node.closed) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    `SWIP ${KEY}`,
    '=?utf-8?B?w6nDqQ==?=',
    '=?iso-8859-1?Q?Cr=E9ation?= =?utf-8?B?!!?=',
    '=?x-unknown?Q?a?=',
    'a\u0000b',
    'Re: [hostmasterd] --APPROVED',
  ),
  fc.integer({ min: 100, max: 2_000 }).map((n) => `long ${'word '.repeat(n)}`),
);
const fromValue = fc.constantFrom(
  'noc@demo-isp.example',
  '"Demo ISP" <noc@demo-isp.example>',
  '=?utf-8?B?SsOpcsO0bWU=?= <j@isp.example>',
  'not an address',
  '<>',
  'MAILER-DAEMON@isp.example',
  '',
);

/** One whole message as bytes, sometimes with a few bytes changed or cut afterwards. */
export function nastyMail(size: FuzzSize = SUITE_SIZE): fc.Arbitrary<Buffer> {
  const built = fc
    .tuple(fromValue, headerValue, tree(size), fc.constantFrom('\r\n', '\n'))
    .map(([from, subject, body, eol]) => {
      const head = `From: ${from}\r\nTo: hostmaster@localhost\r\nSubject: ${subject}\r\nMessage-ID: <fuzz@isp.example>\r\nMIME-Version: 1.0\r\n`;
      const raw = Buffer.concat([Buffer.from(head), render(body)]);
      return eol === '\n' ? Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : raw;
    });
  const mutation = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() });
  const mutated = fc
    .tuple(fc.oneof(built, fc.constantFrom(...FIXTURES)), fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([raw, muts]) => {
      let bytes = Buffer.from(raw);
      for (const m of muts) {
        const i = bytes.length === 0 ? 0 : m.at % bytes.length;
        if (m.cut) bytes = bytes.subarray(0, i);
        else if (bytes.length > 0) bytes[i] = m.byte;
      }
      return bytes;
    });
  return fc.oneof({ weight: 4, arbitrary: built }, { weight: 1, arbitrary: mutated });
}

const FULL_KEY = /API(?:-[0-9A-Fa-f]{4}){4,8}/i;
/** The stages of reading a message (src/reading: mail, then templates): its codes, and no other. */
const READING_STAGES: ReadonlySet<ErrorStage> = new Set(['mail', 'message', 'template', 'field']);
export const READING_CODES: ReadonlySet<string> = new Set(
  Object.entries(ERROR_CODES)
    .filter(([, entry]) => READING_STAGES.has(entry.stage))
    .map(([code]) => code),
);
const MESSAGE_REFUSALS = new Set([
  'E_NO_TEMPLATE',
  'E_FORWARDED_TEMPLATE',
  'E_TOO_MANY_TEMPLATES',
  'E_MULTIPLE_API_KEYS',
]);
/** A C0 control other than TAB and LF, or DEL: nothing handed on holds one. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

function problemViolations(p: Problem, lineCount: number, where: string): string[] {
  const out: string[] = [];
  if (!READING_CODES.has(p.code)) out.push(`${where}: undocumented code ${p.code}`);
  if (typeof p.message !== 'string' || p.message.length === 0) out.push(`${where}: empty message`);
  if (p.line !== undefined && (p.line < 1 || p.line > lineCount))
    out.push(`${where}: line ${p.line} of ${lineCount}`);
  if (p.field !== undefined && !/^\d{1,3}[a-zA-Z]?$/.test(p.field)) out.push(`${where}: field ${p.field}`);
  return out;
}

/**
 * What must hold of any reading, whatever came in: documented codes with sentences, plausible
 * lines, at most ten templates of at most 101 problems, no key in any echo, no control
 * character in the text. Empty when all hold.
 */
export function readingViolations(reading: MessageReading, maxTemplates = 10): string[] {
  if (!reading.ok) return problemViolations(reading.problem, Number.POSITIVE_INFINITY, 'refusal');
  const { mail, parsed } = reading;
  const out: string[] = [];
  if (mail.text.includes('\r')) out.push('text holds CR');
  if (CONTROL.test(mail.text)) out.push('text holds a control character');
  const lineCount = mail.text.split('\n').length;
  if (!parsed.ok) {
    out.push(...problemViolations(parsed.problem, lineCount, 'message'));
    if (!MESSAGE_REFUSALS.has(parsed.problem.code)) out.push(`message refused with ${parsed.problem.code}`);
    return out;
  }
  if (parsed.templates.length === 0 || parsed.templates.length > maxTemplates)
    out.push(`${parsed.templates.length} templates`);
  for (const t of parsed.templates) {
    if (FULL_KEY.test(t.echo)) out.push(`template ${t.index}: key in the echo`);
    if (t.result.ok) continue;
    if (t.result.error.length === 0 || t.result.error.length > 101)
      out.push(`template ${t.index}: ${t.result.error.length} problems`);
    for (const p of t.result.error) out.push(...problemViolations(p, lineCount, `template ${t.index}`));
  }
  return out;
}
