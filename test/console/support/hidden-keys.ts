/**
 * Messages that hide an API key in the ways a person could still read it back (encoded-words,
 * quoted-printable, base64 of any charset, nested messages, escapes, invisible characters), and
 * a reader that tries those decodings on whatever the console shows. The reader is written
 * apart from src/console on purpose: it is what a curious reader of the page would do.
 */
import { simpleTemplate } from './rows.ts';

/** A key used only here, so that its groups appear nowhere else on a page. */
export const HIDDEN_KEY = 'API-5EC2-E7A9-1D4B-77C3';
/** What staff may see of it. */
export const HIDDEN_KEY_REDACTED = 'API-****-****-****-77C3';
/** The secret part: the groups the redaction hides, as they read once separators are gone. */
const SECRET = '5EC2E7A91D4B';

export interface HiddenKeyCase {
  readonly name: string;
  readonly raw: Buffer;
  /** Text staff must still be able to read in the raw view (the rest of the message). */
  readonly readable: readonly string[];
}

const b64 = (text: string | Buffer, encoding: BufferEncoding = 'utf8'): string =>
  (Buffer.isBuffer(text) ? text : Buffer.from(text, encoding)).toString('base64');
const wrap = (base64: string): string => base64.replace(/.{76}/g, '$&\r\n');
const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

function message(headers: readonly string[], body: string | Buffer): Buffer {
  const head = [
    'From: Billing <billing@isp.example>',
    'To: hostmaster@localhost',
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    ...headers,
  ];
  return Buffer.concat([
    Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'),
    Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  ]);
}

function multipart(
  boundary: string,
  parts: readonly (string | Buffer)[],
  preamble = '',
  epilogue = '',
): Buffer {
  const chunks: Buffer[] = [Buffer.from(preamble ? `${preamble}\r\n` : '', 'utf8')];
  for (const part of parts) {
    chunks.push(
      Buffer.from(`--${boundary}\r\n`, 'utf8'),
      Buffer.isBuffer(part) ? part : Buffer.from(part, 'utf8'),
    );
    chunks.push(Buffer.from('\r\n', 'utf8'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n${epilogue}`, 'utf8'));
  return Buffer.concat(chunks);
}

/** uuencode's lines (each up to 45 bytes, backquote for zero), for the body of a begin/end block. */
function uuencode(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const char = (n: number) => (n === 0 ? '`' : String.fromCharCode(n + 32));
  let out = '';
  for (let at = 0; at < bytes.length; at += 45) {
    const line = bytes.subarray(at, at + 45);
    out += char(line.length);
    for (let i = 0; i < line.length; i += 3) {
      const [a = 0, b = 0, c = 0] = line.subarray(i, i + 3);
      out += char(a >> 2) + char(((a & 3) << 4) | (b >> 4)) + char(((b & 15) << 2) | (c >> 6)) + char(c & 63);
    }
    out += '\r\n';
  }
  return out;
}

function uudecode(block: string): Buffer {
  const bytes: number[] = [];
  for (const line of block.split(/\r?\n/)) {
    const count = (line.charCodeAt(0) - 32) & 63;
    const row: number[] = [];
    for (let i = 1; i < line.length; i += 4) {
      const [a, b, c, d] = [0, 1, 2, 3].map((k) => ((line.charCodeAt(i + k) || 32) - 32) & 63) as [
        number,
        number,
        number,
        number,
      ];
      row.push((a << 2) | (b >> 4), ((b & 15) << 4) | (c >> 2), ((c & 3) << 6) | d);
    }
    bytes.push(...row.slice(0, count));
  }
  return Buffer.from(bytes);
}

const template = (name: string) => crlf(simpleTemplate('198.51.100.0/29', name, HIDDEN_KEY));

export function hiddenKeyCases(): HiddenKeyCase[] {
  const [, k1 = '', k2 = '', k3 = '', k4 = ''] = HIDDEN_KEY.split('-');
  const qpSoft = template('NET-QP-SOFT').replace(
    HIDDEN_KEY,
    `${HIDDEN_KEY.slice(0, 13)}=\r\n${HIDDEN_KEY.slice(13)}`,
  );
  const qpDashes = template('NET-QP-DASH').replace(HIDDEN_KEY, `API=2D${k1}=2d${k2}=2D${k3}=2d${k4}`);
  const qpLetters = template('NET-QP-ALL').replace(
    HIDDEN_KEY,
    [...HIDDEN_KEY].map((c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(template('NET-UTF16LE'), 'utf16le')]);
  const utf16be = Buffer.from(template('NET-UTF16BE'), 'utf16le').swap16();
  const inner = message(
    [`Subject: =?utf-8?B?${b64(`inner ${HIDDEN_KEY}`)}?=`, 'Content-Type: multipart/mixed; boundary="in"'],
    multipart('in', [
      `Content-Type: text/plain\r\n\r\nForwarded by the billing robot.\r\n`,
      `Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${wrap(b64(template('NET-NESTED')))}\r\n`,
    ]),
  );
  const html = `<p>Our key: ${HIDDEN_KEY.replace(/-/g, '&#45;').replace('E7A9', 'E7&#x41;9')}</p><p>Springfield office</p>`;
  const invisible = `00. API Key: API-5\u200bEC2\u2011E7A9-\uff11D4B-77C3\r\nSpringfield office\r\n`;
  const utf7 = `00. API Key: ${HIDDEN_KEY.replace(/-/g, '+AC0-')}\r\nSpringfield office\r\n`;
  return [
    {
      name: 'a base64 encoded-word Subject',
      raw: message(
        [`Subject: =?utf-8?B?${b64(`SWIP batch ${HIDDEN_KEY}`)}?=`, 'Content-Type: text/plain'],
        'Springfield office\r\n',
      ),
      readable: [`SWIP batch ${HIDDEN_KEY_REDACTED}`, 'Springfield office'],
    },
    {
      name: 'a Q encoded-word Subject, dashes as =2D, the key split over two words',
      raw: message(
        [
          `Subject: =?utf-8?Q?SWIP_API=2D${k1}=2D${k2.slice(0, 2)}?=\r\n =?utf-8?Q?${k2.slice(2)}=2D${k3}=2D${k4}?=`,
        ],
        'Springfield office\r\n',
      ),
      readable: [`SWIP ${HIDDEN_KEY_REDACTED}`, 'Springfield office'],
    },
    {
      name: 'an encoded-word in UTF-16, and one whose UTF-8 label lies about its UTF-16 bytes',
      raw: message(
        [
          `Subject: =?utf-16le?B?${b64(`SWIP ${HIDDEN_KEY}`, 'utf16le')}?=`,
          `X-Billing-Ref: =?utf-8?B?${b64(`ref ${HIDDEN_KEY}`, 'utf16le')}?=`,
        ],
        'Springfield office\r\n',
      ),
      readable: [`SWIP ${HIDDEN_KEY_REDACTED}`, 'Springfield office'],
    },
    {
      name: 'a key folded across header lines',
      raw: message(
        [`X-Note: our key ${HIDDEN_KEY.slice(0, 13)}\r\n ${HIDDEN_KEY.slice(13)} for SWIP`],
        'Springfield office\r\n',
      ),
      readable: [HIDDEN_KEY_REDACTED, 'for SWIP', 'Springfield office'],
    },
    {
      name: 'an RFC 2231 file name in two sections, percent-encoded',
      raw: message(
        ['Content-Type: multipart/mixed; boundary="b"'],
        multipart('b', [
          'Content-Type: text/plain\r\n\r\nSee the attached form.\r\n',
          `Content-Type: text/plain\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''API%2D${k1}%2D${k2.slice(0, 2)};\r\n filename*1*=${k2.slice(2)}%2D${k3}%2D${k4}.txt\r\n\r\nSpringfield office\r\n`,
        ]),
      ),
      readable: ['See the attached form.', `${HIDDEN_KEY_REDACTED}.txt`, 'Springfield office'],
    },
    {
      name: 'a quoted-printable body with a soft line break inside the key',
      raw: message(
        [
          'Subject: SWIP',
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
        ],
        qpSoft,
      ),
      readable: ['02. Network Name: NET-QP-SOFT', 'Springfield'],
    },
    {
      name: 'a quoted-printable body with the dashes written =2D and =2d',
      raw: message(
        [
          'Subject: SWIP',
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
        ],
        qpDashes,
      ),
      readable: ['02. Network Name: NET-QP-DASH', 'Springfield'],
    },
    {
      name: 'a quoted-printable body with every character of the key escaped',
      raw: message(
        [
          'Subject: SWIP',
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
        ],
        qpLetters,
      ),
      readable: ['02. Network Name: NET-QP-ALL', 'Springfield'],
    },
    {
      name: 'a base64 UTF-16LE text part with a byte order mark',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain; charset=utf-16', 'Content-Transfer-Encoding: base64'],
        `${wrap(b64(utf16le))}\r\n`,
      ),
      readable: ['02. Network Name: NET-UTF16LE', 'Springfield'],
    },
    {
      name: 'a base64 UTF-16BE text part without byte order mark',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain; charset=utf-16be', 'Content-Transfer-Encoding: base64'],
        `${wrap(b64(utf16be))}\r\n`,
      ),
      readable: ['02. Network Name: NET-UTF16BE', 'Springfield'],
    },
    {
      name: 'a binary UTF-16LE text part (NUL bytes in the raw message)',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain; charset=utf-16le', 'Content-Transfer-Encoding: binary'],
        Buffer.from(template('NET-BINARY16'), 'utf16le'),
      ),
      readable: ['02. Network Name: NET-BINARY16', 'Springfield'],
    },
    {
      name: 'a base64 part whose UTF-8 label lies about its UTF-16 bytes',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'],
        `${wrap(b64(Buffer.from(template('NET-LYING'), 'utf16le')))}\r\n`,
      ),
      readable: ['02. Network Name: NET-LYING', 'Springfield'],
    },
    {
      name: 'a forwarded message (message/rfc822) with the key in its Subject and a base64 part',
      raw: message(
        ['Subject: Fwd: SWIP', 'Content-Type: multipart/mixed; boundary="out"'],
        multipart('out', [
          'Content-Type: text/plain\r\n\r\nSee below.\r\n',
          Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), inner]),
        ]),
      ),
      readable: [
        'See below.',
        'Forwarded by the billing robot.',
        `inner ${HIDDEN_KEY_REDACTED}`,
        '02. Network Name: NET-NESTED',
      ],
    },
    {
      name: 'a forwarded message sent base64-encoded as a whole',
      raw: message(
        ['Subject: Fwd: SWIP', 'Content-Type: multipart/mixed; boundary="out"'],
        multipart('out', [
          'Content-Type: text/plain\r\n\r\nSee below.\r\n',
          `Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n${wrap(b64(inner))}\r\n`,
        ]),
      ),
      readable: ['See below.', 'Forwarded by the billing robot.', '02. Network Name: NET-NESTED'],
    },
    {
      name: 'base64 of base64',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain', 'Content-Transfer-Encoding: base64'],
        `${wrap(b64(`${wrap(b64(template('NET-TWICE')))}\r\n`))}\r\n`,
      ),
      readable: ['02. Network Name: NET-TWICE'],
    },
    {
      name: 'an HTML part with the dashes as character references',
      raw: message(['Subject: SWIP', 'Content-Type: text/html; charset=utf-8'], html),
      readable: ['Springfield office'],
    },
    {
      name: 'a zero-width space, a non-breaking hyphen and a fullwidth digit inside the key',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
        invisible,
      ),
      readable: ['Springfield office'],
    },
    {
      name: 'a UTF-7 part with the dashes as +AC0-',
      raw: message(['Subject: SWIP', 'Content-Type: text/plain; charset=utf-7'], utf7),
      readable: ['Springfield office'],
    },
    {
      name: 'a base64 word inside a text line, and a percent-encoded key in a link',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain'],
        `our key, base64: ${b64(HIDDEN_KEY)} (for your records)\r\nportal: https://portal.example/?key=${HIDDEN_KEY.replace(/-/g, '%2D')}\r\nSpringfield office\r\n`,
      ),
      readable: ['(for your records)', 'https://portal.example/?key=', 'Springfield office'],
    },
    {
      name: 'base64 pasted into a text part with 75-character lines',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain'],
        `Please find our form below, encoded:\r\n${b64(template('NET-PASTED')).replace(/.{75}/g, '$&\r\n')}\r\nSpringfield office\r\n`,
      ),
      readable: [
        'Please find our form below, encoded:',
        '02. Network Name: NET-PASTED',
        'Springfield office',
      ],
    },
    {
      name: 'a key split by HTML tags and a comment',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/html; charset=utf-8'],
        `<p>Key: API-${k1}<b>-${k2}</b><!-- x -->-${k3}<span>-${k4}</span></p><p>Springfield office</p>`,
      ),
      readable: ['Springfield office'],
    },
    {
      name: 'a uuencoded block',
      raw: message(
        ['Subject: SWIP', 'Content-Type: text/plain'],
        `Our form:\r\n\r\nbegin 644 swip.txt\r\n${uuencode(template('NET-UU'))}\`\r\nend\r\n\r\nSpringfield office\r\n`,
      ),
      readable: ['Our form:', '02. Network Name: NET-UU', 'Springfield office'],
    },
    {
      name: 'a key in the preamble (quoted-printable style) and in the epilogue',
      raw: message(
        ['Subject: SWIP', 'Content-Type: multipart/mixed; boundary="b"'],
        multipart(
          'b',
          ['Content-Type: text/plain\r\n\r\nSpringfield office\r\n'],
          `preamble ${HIDDEN_KEY.replace(/-/g, '=2D')}`,
          `epilogue ${HIDDEN_KEY}\r\n`,
        ),
      ),
      readable: ['preamble', 'epilogue', 'Springfield office'],
    },
    {
      // It looks like an HTML tag (which the reading skips, for keys split by tags).
      name: 'a key in angle brackets, in the body and as the Message-ID',
      raw: message(
        [`Message-ID: <${HIDDEN_KEY}@isp.example>`, 'Subject: SWIP', 'Content-Type: text/plain'],
        `00. API Key: <${HIDDEN_KEY}>\r\nSpringfield office\r\n`,
      ),
      readable: [`00. API Key: <${HIDDEN_KEY_REDACTED}>`, 'Springfield office'],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The reader

function unescapeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

const hexBytes = (text: string, pattern: RegExp) =>
  text.replace(pattern, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));

function decodeAll(bytes: Buffer): string[] {
  return [
    bytes.toString('utf8'),
    bytes.toString('utf16le'),
    Buffer.from(bytes.subarray(1)).toString('utf16le'),
  ];
}

function encodedWords(text: string): string[] {
  const out: string[] = [];
  const words = [...text.matchAll(/=\?[^?]+\?([BQ])\?([^?]*)\?=/gi)].map((m) =>
    m[1]!.toUpperCase() === 'B'
      ? Buffer.from(m[2]!, 'base64')
      : Buffer.from(hexBytes(m[2]!.replace(/_/g, ' '), /=([0-9A-F]{2})/gi), 'latin1'),
  );
  for (const w of [...words, Buffer.concat(words)]) out.push(...decodeAll(w));
  return out;
}

function base64Runs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/=\s]{16,}/g)) {
    const compact = m[0].replace(/\s+/g, '');
    for (let shift = 0; shift < 4; shift++)
      out.push(...decodeAll(Buffer.from(compact.slice(shift), 'base64')));
  }
  return out;
}

function utf7(text: string): string {
  return text.replace(/\+([A-Za-z0-9+/]+)-?/g, (_, s: string) => {
    const wide = Buffer.from(s, 'base64');
    return Buffer.from(wide.subarray(0, wide.length - (wide.length % 2)))
      .swap16()
      .toString('utf16le');
  });
}

/** What a reader can make of the text with a little effort, two decodings deep. */
export function readableForms(text: string, depth = 0): string[] {
  // Twice: the page escapes what an HTML part escaped already (`&amp;#45;`).
  const html = unescapeHtml(unescapeHtml(text));
  const qp = hexBytes(html.replace(/=\r?\n/g, ''), /=([0-9A-F]{2})/gi);
  // RFC 2231 sections joined (`; filename*1*=` dropped), then percent-decoded.
  const sections = html.replace(/"?;\s*[A-Za-z-]+\*\d+\*?="?/g, '');
  const uu = [...html.matchAll(/^begin \d+ .*\r?\n([\s\S]*?)^end/gm)].map((m) =>
    uudecode(m[1]!).toString('utf8'),
  );
  const forms = [
    html,
    qp,
    html.replace(/<[^>]*>/g, ''),
    hexBytes(sections, /%([0-9A-F]{2})/gi),
    utf7(html),
    ...encodedWords(html),
    ...uu,
  ];
  if (depth < 2) {
    for (const f of [...base64Runs(html)]) forms.push(...readableForms(f, depth + 1));
  }
  return forms;
}

/** Whether the text, in any of those forms, lets a reader put the hidden key's secret groups together. */
export function revealsHiddenKey(text: string): boolean {
  return readableForms(text).some((form) =>
    form
      .normalize('NFKC')
      .toUpperCase()
      .replace(/[^0-9A-Z]/g, '')
      .includes(SECRET),
  );
}
