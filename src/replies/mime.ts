/**
 * Every mail we send is one text/plain part. nodemailer's `MailComposer#compile().build()` renders
 * it through a PassThrough, a quoted-printable or base64 Transform, its LastNewline and LeWindows
 * transforms and a few setImmediate hops: most of a reply's composing cost (CPU numbers in the
 * commit that brought this file). `renderTextMail` produces the same string synchronously.
 *
 * The usual mail (plain ASCII headers and addresses, any body) takes the fast path: mime-headers.ts
 * writes the header block (folded by nodemailer's own `foldLines`) and picks the transfer
 * encoding as nodemailer would, without building a node. Any other mail is built by nodemailer:
 * `compile()` builds the node, its `buildHeaders()` encodes and folds the headers, and
 * `getTransferEncoding()` picks 7bit, quoted-printable or base64. Either way the body is encoded by
 * nodemailer's `qp` / `base64` modules' `encode` and `wrap`.
 * What is copied from nodemailer 10.6 (dist/esm/mime-node/index.js `stream()` and
 * `createReadStream()`, mime-node/last-newline.js, mime-node/le-windows.js, qp/index.js `Encoder`)
 * and may drift on an upgrade; test/replies/mime.test.ts holds it to the real `build()`:
 *  - headers, a blank line, the encoded body; no body at all for empty text;
 *  - `qp.Encoder` fed one chunk: the input's trailing spaces and tabs held back and encoded last,
 *    the rest in 64 KiB slices, each slice's unfinished last line wrapped again with the next;
 *  - LastNewline: CRLF appended unless the output ends in LF (after a CR, only LF);
 *  - LeWindows (`newline: 'win'`): every LF not after a CR becomes CRLF;
 *  - the stream's Buffers: a lone UTF-16 surrogate comes out as U+FFFD.
 */
import type * as Base64 from 'nodemailer/lib/base64';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type * as Qp from 'nodemailer/lib/qp';
import { lazyPackage, showLineBreaks } from '../shared/index.ts';
import { fastHeaders } from './mime-headers.ts';

// nodemailer's parts, loaded when the first reply is rendered (see shared's lazyPackage).
const base64 = lazyPackage<typeof Base64>('nodemailer/lib/base64');
const mailComposer = lazyPackage<typeof MailComposer>('nodemailer/lib/mail-composer');
const qp = lazyPackage<typeof Qp>('nodemailer/lib/qp');

/**
 * Extra header fields: `X-*` and `Auto-Submitted` only. nodemailer would keep the part text/plain
 * whatever Content-* field came here, but write it beside its own; better not to offer the chance.
 */
export interface TextMailHeaders {
  readonly 'Auto-Submitted'?: string;
  readonly [name: `X-${string}`]: string;
}

/** A mail of one text/plain part: no html, no attachments, no raw source, no encoding options. */
export interface TextMail {
  readonly from: string;
  readonly to: string | readonly string[];
  readonly subject: string;
  readonly messageId: string;
  readonly date: Date;
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
  readonly headers?: TextMailHeaders;
  /** The body, with CRLF line ends (`crlfLines`). */
  readonly text: string;
}

/**
 * A body's lines ended with CRLF: nodemailer's quoted-printable wrapping only sees CRLF as a line
 * end, and would otherwise break short lines in odd places for anyone reading the raw mail. And
 * nothing else ends a line: a lone CR, VT, NEL, LS... (shared's line-breaks.ts) is shown, not
 * written. The renderers show a customer's text so already; this holds for any text that came
 * past them (a value stored before such values were refused), in every mail we write.
 */
export function crlfLines(text: string): string {
  return showLineBreaks(text.replace(/\r\n/g, '\n')).replace(/\n/g, '\r\n');
}

function mailComposerOptions(mail: TextMail): MailComposer.Options {
  return {
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
  };
}

/** The raw message, CRLF line ends: byte for byte what `compile().build()` gives for the same mail. */
export function renderTextMail(mail: TextMail): string {
  // The common case skips MailComposer/MimeNode entirely (mime-headers.ts says why and what it mirrors).
  const fast = fastHeaders(mail);
  if (fast !== undefined) return finish(fast.headers, mail.text, fast.transferEncoding);
  const Composer = mailComposer();
  const node = new Composer(mailComposerOptions(mail)).compile();
  // stream() asks for the encoding before buildHeaders() writes it into the headers; same here.
  const transferEncoding = node.getTransferEncoding();
  const headers = node.buildHeaders();
  const content = node.content ?? '';
  if (typeof content !== 'string' || node.contentType !== 'text/plain' || node.multipart) {
    // Unreachable through TextMail; a nodemailer that builds something else must fail loudly, not differ.
    throw new Error(
      `renderTextMail: nodemailer built ${node.contentType ?? 'an unknown part'}, not one text/plain`,
    );
  }
  return finish(headers, content, transferEncoding);
}

/** Headers, a blank line, the encoded body, then what the stream's transforms do to the whole. */
function finish(headers: string, content: string, transferEncoding: string | false): string {
  const out = `${headers}\r\n\r\n${encodeBody(content, transferEncoding)}`;
  return crlf(wellFormed(out + lastNewline(out)));
}

function encodeBody(content: string, transferEncoding: string | false): string {
  if (content === '') return '';
  if (transferEncoding === 'base64') return base64().wrap(base64().encode(content), 76);
  if (transferEncoding === 'quoted-printable') return quotedPrintable(Buffer.from(content, 'utf8'));
  return content;
}

// qp.Encoder's slice size and its default line length.
const SLICE_BYTES = 64 * 1024;
const LINE_LENGTH = 76;
const isBlank = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09;

/** What `qp.Encoder` writes for `bytes` arriving as one chunk, as MimeNode hands over a string. */
function quotedPrintable(bytes: Buffer): string {
  let end = bytes.length;
  while (end > 0 && isBlank(bytes[end - 1])) end--;
  const holdBack = bytes.length - end <= SLICE_BYTES;
  const state = { done: '', line: '' };
  encodeSlices(holdBack ? bytes.subarray(0, end) : bytes, state);
  if (holdBack && end < bytes.length) encodeSlices(bytes.subarray(end), state);
  return state.done + state.line;
}

function encodeSlices(bytes: Buffer, state: { done: string; line: string }): void {
  for (let start = 0; start < bytes.length; start += SLICE_BYTES) {
    const end = Math.min(start + SLICE_BYTES, bytes.length);
    const wrapped = qp().wrap(state.line + encodeSlice(bytes.subarray(start, end), bytes[end]), LINE_LENGTH);
    const lastLf = wrapped.lastIndexOf('\n');
    state.line = wrapped.slice(lastLf + 1);
    state.done += wrapped.slice(0, lastLf + 1);
  }
}

/**
 * `qp.encode` takes the slice's end for the end of the input and escapes a final space or tab; the
 * encoder, knowing the byte that follows, keeps it literal unless a line break (or nothing) follows.
 */
function encodeSlice(slice: Buffer, next: number | undefined): string {
  const encoded = qp().encode(slice);
  const last = slice[slice.length - 1];
  if (last !== undefined && isBlank(last) && next !== undefined && next !== 0x0a && next !== 0x0d) {
    return encoded.slice(0, -3) + String.fromCharCode(last);
  }
  return encoded;
}

function lastNewline(out: string): string {
  if (out.endsWith('\n')) return '';
  return out.endsWith('\r') ? '\n' : '\r\n';
}

function crlf(out: string): string {
  return out.replace(/(?<!\r)\n/g, '\r\n');
}

/** The round trip through Buffers that the stream makes: only a lone surrogate changes (to U+FFFD). */
function wellFormed(out: string): string {
  return /[\ud800-\udfff]/.test(out) ? Buffer.from(out, 'utf8').toString('utf8') : out;
}

/** A text/plain file attached to a mail (blank forms sent by mail). */
export interface TextAttachment {
  readonly filename: string;
  /** LF or CRLF line ends; sent with CRLF. */
  readonly text: string;
}

/**
 * A text mail with text/plain attachments (multipart/mixed), built by nodemailer itself: rare
 * mail (blank forms asked for by mail), so its streams' cost does not matter here.
 */
export function renderMailWithAttachments(
  mail: TextMail,
  attachments: readonly TextAttachment[],
): Promise<string> {
  const Composer = mailComposer();
  const composer = new Composer({
    ...mailComposerOptions(mail),
    attachments: attachments.map((a) => ({
      filename: a.filename,
      content: crlfLines(a.text),
      contentType: 'text/plain; charset=utf-8',
    })),
  });
  return new Promise((resolve, reject) => {
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message.toString('utf8'))));
  });
}
