/**
 * The header block and transfer encoding of renderTextMail's common case, written without
 * nodemailer's MailComposer/MimeNode. Building those cost most of a render (random boundary bytes
 * it never uses, header key normalisation, address parsing, domainToASCII, text-encoding scans).
 *
 * Mirrors nodemailer 10.6, dist/esm:
 *  - mail-composer `compile()`: custom headers first (`addHeader`, in key order), then From, To,
 *    In-Reply-To, References, Subject, Message-ID, Date (`setHeader`, when truthy), and
 *    `getAlternatives()`: a non-empty text is 'text/plain; charset=utf-8', an empty one 'text/plain';
 *  - mime-node `buildHeaders()`: then Content-Transfer-Encoding (when there is one), MIME-Version,
 *    Content-Type last; a value that is blank after encoding is left out; each field
 *    `foldLines(key + ': ' + value, 76)` (called here too, so folding is nodemailer's own);
 *  - mime-node `encodeHeaderValue()`: unstructured text (`_encodeHeaderText` / mime-funcs
 *    `encodeWords`, encodeAll) stays as is when it has no control character, no '"', nothing
 *    over 0x7e and no '=?'; message ids get their angle brackets; an address without a name,
 *    or with a name of word characters (`_encodeAddressName`), is written as given;
 *  - mime-node `setContent()` + `getTransferEncoding()` + `_getTextEncoding()`, mime-funcs
 *    `isPlainText` / `hasLongerLines(…, 76)`: see chooseTransferEncoding.
 *
 * Anything else returns undefined and renderTextMail takes nodemailer's path, which stays the
 * reference: test/replies/mime.test.ts holds both to the real `build()`.
 */
import type * as MimeFuncs from 'nodemailer/lib/mime-funcs';
import { lazyPackage } from '../shared/index.ts';
import type { TextMail } from './mime.ts';

/** Loaded when the first reply is rendered (see shared's lazyPackage). */
const mimeFuncs = lazyPackage<typeof MimeFuncs>('nodemailer/lib/mime-funcs');

type TransferEncoding = '7bit' | 'quoted-printable' | 'base64' | false;

/** The header block (no trailing CRLF) and the body's transfer encoding; undefined: not the common case. */
interface FastHeaders {
  readonly headers: string;
  readonly transferEncoding: TransferEncoding;
}

// Unstructured text nodemailer writes unchanged: HT and printable ASCII without '"' (which
// `encodeWords` encodes) and without '=?' (an encoded-word look-alike, `_markInvalidEncodedWords`).
const PLAIN_TEXT = /^[\t\x20\x21\x23-\x7e]*$/;
// A message id of printable ASCII: `encodeHeaderValue` only strips controls and adds '<' '>'.
const PLAIN_ID = /^[\x20-\x7e]+$/;
// A References entry without whitespace: `stripWhitespaceInAngleBrackets` and split(/\s+/) keep it whole.
const PLAIN_REFERENCE = /^[\x21-\x7e]+$/;
// `name <local@domain>` or `local@domain`: a name of words of \w single-spaced (`_encodeAddressName`
// writes /^[\w ]*$/ names as they are, and addressparser gives them back unchanged); a dot-atom
// local part (`DOT_ATOM`, so not quoted); a lowercase LDH domain, no '--' (no xn-- A-labels), last
// label not numeric (no IPv4 reading), which `domainToASCII` returns unchanged (at any length:
// Node does not verify DNS lengths).
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const ADDRESS = `[A-Za-z0-9_+-]+(?:\\.[A-Za-z0-9_+-]+)*@(?![^>]*--)(?:${LABEL}\\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?`;
const MAILBOX = new RegExp(`^(?:\\w+(?: \\w+)* <${ADDRESS}>|${ADDRESS})$`);
// Custom keys that `_normalizeHeaderKey` leaves as they are (lower-cased, then the first letter and
// each letter after '-' upper-cased; its special cases -SPF, -FBL, -ID, -MD5, X-SMTPAPI excluded).
const CUSTOM_KEY = /^(?:Auto-Submitted|X(?:-[A-Z][a-z0-9]*)+)$/;
const SPECIAL_KEY = /^X-Smtpapi$|-(?:Spf|Fbl|Id|Md5)$/;

/** `encodeHeaderValue` for Message-ID and In-Reply-To, for a value PLAIN_ID admits. */
function bracketed(id: string): string {
  const open = id.charAt(0) === '<' ? id : `<${id}`;
  return open.charAt(open.length - 1) === '>' ? open : `${open}>`;
}

function addresses(value: string | readonly string[]): string | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (list.length === 0) return undefined;
  for (const mailbox of list) if (!MAILBOX.test(mailbox)) return undefined;
  // `_convertAddresses` joins with ', '; each mailbox comes out as it went in.
  return list.join(', ');
}

/** `encodeHeaderValue('Date', date)`, as nodemailer writes it. */
function dateValue(date: Date): string {
  return date.toUTCString().replace(/GMT/, '+0000');
}

export function fastHeaders(mail: TextMail): FastHeaders | undefined {
  const { subject, messageId, inReplyTo, references, date, text } = mail;
  if (typeof text !== 'string' || !(date instanceof Date)) return undefined;
  const from = addresses(mail.from);
  const to = addresses(mail.to);
  if (from === undefined || to === undefined) return undefined;
  if (!PLAIN_TEXT.test(subject) || subject.includes('=?')) return undefined;
  // An empty Message-ID would be generated at random; leave that to nodemailer.
  if (!PLAIN_ID.test(messageId)) return undefined;
  if (inReplyTo !== undefined && inReplyTo !== '' && !PLAIN_ID.test(inReplyTo)) return undefined;
  if (references?.some((id) => !PLAIN_REFERENCE.test(id))) return undefined;

  const fields: string[] = [];
  for (const [key, value] of Object.entries(mail.headers ?? {})) {
    if (!CUSTOM_KEY.test(key) || SPECIAL_KEY.test(key) || typeof value !== 'string') return undefined;
    if (!PLAIN_TEXT.test(value) || value.includes('=?')) return undefined;
    fields.push(key, value);
  }
  fields.push('From', from, 'To', to);
  if (inReplyTo) fields.push('In-Reply-To', bracketed(inReplyTo));
  if (references) fields.push('References', references.map(bracketed).join(' '));
  if (subject) fields.push('Subject', subject);
  fields.push('Message-ID', bracketed(messageId), 'Date', dateValue(date));
  const transferEncoding = chooseTransferEncoding(text);
  if (transferEncoding) fields.push('Content-Transfer-Encoding', transferEncoding);
  fields.push('MIME-Version', '1.0', 'Content-Type', text ? 'text/plain; charset=utf-8' : 'text/plain');

  const lines: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const value = fields[i + 1] ?? '';
    if (value.trim()) lines.push(mimeFuncs().foldLines(`${fields[i]}: ${value}`, 76));
  }
  return { headers: lines.join('\r\n'), transferEncoding };
}

// mime-funcs `isPlainText` (its test inverted) and `hasLongerLines(str, 76)`, the same expressions.
const NOT_PLAIN = /[\x00-\x08\x0b\x0c\x0e-\x1f\u0080-\uFFFF]/;
const LONGER_LINE = /^.{77,}/m;
const LETTER = /[A-Za-z]/;

/**
 * `getTransferEncoding()` for a text/plain string body: no body, no encoding; 7bit when
 * `isPlainText` and not `hasLongerLines` (always true over 128 KiB); else `_getTextEncoding`: Q
 * (quoted-printable) when the characters `isPlainText` rejects are fewer than the ASCII letters, B
 * (base64) otherwise. Native regexps for the usual ASCII body, the counting loop only for the rest.
 */
export function chooseTransferEncoding(text: string): TransferEncoding {
  if (text === '') return false;
  if (!NOT_PLAIN.test(text)) {
    if (text.length <= 128 * 1024 && !LONGER_LINE.test(text)) return '7bit';
    // No rejected characters: Q as soon as there is one letter.
    return LETTER.test(text) ? 'quoted-printable' : 'base64';
  }
  let rejected = 0;
  let letters = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f) || c >= 0x80) rejected++;
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) letters++;
  }
  return rejected < letters ? 'quoted-printable' : 'base64';
}
