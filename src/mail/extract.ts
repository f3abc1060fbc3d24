/**
 * Raw MIME -> the text blocks a human or a billing system meant: the text/plain body, text
 * attachments (also `application/octet-stream` that is really text), or the HTML converted
 * when there is no plain text (or when the plain text is a stub: see bodyText). Never throws:
 * garbage in, a Problem out. What it hands on holds no control character but TAB and LF (each
 * other one becomes its Control Pictures symbol, NUL `␀`), and forwarded messages are kept apart
 * from the sender's own text: attached ones (`message/rfc822`), and those written into a part
 * below a line such as `-----Original Message-----` (inline-forward.ts). A message in which no
 * part holds a template although its bytes plainly do is broken MIME, read as a mail program
 * shows it or refused E_BAD_MIME (broken-mime.ts); attachments not read are listed (`unread`).
 */
import type { ParsedMail } from 'mailparser';
import {
  fail,
  holdsTemplateHeader,
  lazyPackage,
  ok,
  type Problem,
  problem,
  type Result,
} from '../shared/index.ts';
import { readBrokenMime } from './broken-mime.ts';
import { labelUnlabelledText } from './charset.ts';
import {
  decodeText,
  looksLikeText,
  misreadUtf16,
  normalizeNewlines,
  replaceControlCharacters,
  trimTrailingNewlines,
} from './decode.ts';
import { readMailHeaders } from './headers.ts';
import { htmlToPlainText } from './html.ts';
import { splitInlineForward } from './inline-forward.ts';
import { rereadMisreadUtf8 } from './misread-utf8.ts';
import { decodeUnreadCharsets } from './part-charsets.ts';
import { stripCleartextSignature } from './pgp.ts';
import { readPlainMime } from './plain-mime.ts';
import { type AttachmentReading, fromParsedMail, type MailReading } from './reading.ts';
import type {
  ExtractedMail,
  ForwardedMessage,
  MailHeaders,
  TextBlock,
  TextSource,
  UnreadAttachment,
} from './types.ts';
import { unreadableMessage } from './unreadable.ts';

/** Attachments bigger than this are not templates (ten filled forms are a few KiB). */
const MAX_TEXT_ATTACHMENT = 1024 * 1024;

const TEXT_FILENAME = /\.(txt|text|tmpl|template|asc)$/i;
/** Types mailers give a text file beside text/plain (without a name saying .txt, its bytes decide). */
const TEXTUAL_APPLICATION = new Set([
  'application/text',
  'application/txt',
  'application/x-txt',
  'application/plain',
]);
const NOT_TEXT_FILENAME = /\.(pdf|docx?|xlsx?|zip|gz|png|jpe?g|gif|p7s|sig|exe|bin)$/i;

type AttachmentVerdict = 'text' | 'html' | 'signature' | 'forwarded' | 'skip';

/** A forward of a forward of a forward is read that deep for templates to point at, no deeper. */
const MAX_FORWARD_DEPTH = 3;

function classify(att: AttachmentReading): AttachmentVerdict {
  const type = att.contentType.toLowerCase();
  const name = att.filename ?? '';
  if (type === 'application/pgp-signature') return 'signature';
  // A forwarded message is not read for templates: see ExtractedMail.forwarded.
  if (type === 'message/rfc822' || type === 'message/global') return 'forwarded';
  if (att.size > MAX_TEXT_ATTACHMENT) return 'skip';
  if (type === 'text/html') return 'html';
  if (type === 'text/plain') return 'text';
  // Old PHP and Perl mailers send a .txt file as application/text, application/txt...: its name
  // says what it is, as a mail program shows it, whatever the type; its bytes must be text too.
  if (TEXT_FILENAME.test(name)) return looksLikeText(att.content) ? 'text' : 'skip';
  if (type === 'application/octet-stream' || TEXTUAL_APPLICATION.has(type) || type.startsWith('text/')) {
    if (NOT_TEXT_FILENAME.test(name)) return 'skip';
    // No extension, a text extension or a text type: keep it if the bytes are text.
    if (type.startsWith('text/') || TEXT_FILENAME.test(name) || !/\.[A-Za-z0-9]{1,5}$/.test(name)) {
      return looksLikeText(att.content) ? 'text' : 'skip';
    }
  }
  return 'skip';
}

interface PendingBlock {
  readonly source: TextSource;
  readonly filename?: string;
  readonly contentType: string;
  readonly text: string;
}

/**
 * The blocks and their joined text, each block's forward or unmarked quote (inline-forward.ts)
 * cut off into `forwarded`: what follows such a line in a part is someone else's, as an attached
 * message is. Another part after it (an attachment) is the sender's own again.
 */
function assemble(pending: readonly PendingBlock[]): {
  text: string;
  blocks: TextBlock[];
  forwarded: ForwardedMessage[];
} {
  const blocks: TextBlock[] = [];
  const parts: string[] = [];
  const forwarded: ForwardedMessage[] = [];
  const seen = new Set<string>();
  let line = 1;
  for (const p of pending) {
    const split = splitInlineForward(p.text);
    if (split.forward) {
      const { separator, from, subject, text, line, textLine } = split.forward;
      const part = { source: p.source, ...(p.filename !== undefined ? { filename: p.filename } : {}) };
      forwarded.push({
        subject: subject ?? '',
        ...(from ? { from } : {}),
        text,
        separator,
        written: { ...part, separatorLine: line, textLine },
      });
    }
    const text = trimTrailingNewlines(split.own);
    if (text.trim().length === 0) continue;
    // Some clients put the same template in the body and in an attachment: read it once, or
    // the worker would apply it twice.
    const identity = text.trim();
    if (seen.has(identity)) continue;
    seen.add(identity);
    blocks.push({ ...p, text, firstLine: line });
    parts.push(text);
    line += text.split('\n').length + 1; // +1 for the blank separator line
  }
  return { text: parts.join('\n\n'), blocks, forwarded };
}

const PARSER_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipImageLinks: true,
  skipTextLinks: true,
  // A message/rfc822 part stays one attachment, inline or not: its text is someone else's
  // message, never mixed into the sender's own (mailparser would paste an inline one's text in).
  ignoreEmbedded: true,
} as const;

/**
 * U+FFFD in what mailparser decoded, or NULs between its characters (UTF-16 without a label,
 * read as UTF-8): a body part's bytes may need the guess (Windows-1252, or UTF-16).
 */
function needsCharsetGuess(parsed: ParsedMail): boolean {
  const has = (v: unknown) => typeof v === 'string' && (v.includes('\uFFFD') || misreadUtf16(v));
  return has(parsed.text) || has(parsed.html);
}

/**
 * Loaded on first use (shared's lazyPackage), and only for the mail the plain reader leaves to it
 * (plain-mime.ts): `lint` of plain template text or of a plain-text mail needs no mailparser.
 */
const mailparser = lazyPackage<typeof import('mailparser')>('mailparser');

/** How a message is read into a MailReading. */
export type MailReader = (raw: Buffer) => Promise<MailReading>;

/** mailparser alone: what the plain reader is compared with (plain-mime.test.ts). */
export const readWithMailparser: MailReader = async (raw) => fromParsedMail(await parseWithMailparser(raw));

/** The plain reader's reading, or mailparser's where it declines: the two are the same wherever both read. */
const read: MailReader = async (raw) => readPlainMime(raw) ?? readWithMailparser(raw);

/** mailparser's reading, with the Windows-1252 guess for body parts that need it (charset.ts). */
async function parseWithMailparser(raw: Buffer): Promise<ParsedMail> {
  const { simpleParser } = mailparser();
  const parsed = await simpleParser(raw, PARSER_OPTIONS);
  if (!needsCharsetGuess(parsed)) return parsed;
  let relabelled: Buffer;
  try {
    relabelled = await labelUnlabelledText(raw);
  } catch {
    return parsed; // mailparser read it: keep its reading (the templates room refuses U+FFFD in values)
  }
  return relabelled === raw ? parsed : simpleParser(relabelled, PARSER_OPTIONS);
}

/** Header values as they go on: no control characters either (a NUL in a Subject is as fatal). */
function cleanHeaders(h: MailHeaders): MailHeaders {
  const c = replaceControlCharacters;
  const address = <T extends { address: string; name: string }>(a: T): T => ({
    ...a,
    address: c(a.address),
    name: c(a.name),
  });
  return {
    ...h,
    to: h.to.map(address),
    cc: h.cc.map(address),
    subject: c(h.subject),
    references: h.references.map(c),
    contentType: c(h.contentType),
    ...(h.from ? { from: address(h.from) } : {}),
    ...(h.replyTo ? { replyTo: address(h.replyTo) } : {}),
    ...(h.messageId !== undefined ? { messageId: c(h.messageId) } : {}),
    ...(h.inReplyTo !== undefined ? { inReplyTo: c(h.inReplyTo) } : {}),
  };
}

type BodyReading =
  | { readonly kind: 'text' | 'html'; readonly text: string }
  | { readonly kind: 'refused'; readonly problem: Problem }
  | { readonly kind: 'none' };

/** Raw HTML that may hold `Template:` (even with an entity or a tag inside the word): else it is not converted. */
const MAY_HOLD_TEMPLATE = /templ|plate/i;

const hasContent = (v: string | undefined): v is string => typeof v === 'string' && v.trim().length > 0;

/**
 * Which of the body's alternatives is read: the plain text; the HTML when there is no plain text;
 * and the HTML instead of the plain text when the plain text holds no template and the HTML does
 * (a client's stub "This message is in HTML. Please use an HTML capable mail reader.", an empty
 * or blank text part), unless an attachment holds one (the HTML body then is likely its copy:
 * as before, the attachment is read). A template the text quotes (`> Template:`) is a template
 * there too: the HTML may show the same quote without markers (a quote in a bordered <div>),
 * and someone else's template is not read from it. Never both: the same template in the two alternatives of
 * one message, converted, rarely comes out byte for byte alike, and reading both would apply it
 * twice.
 */
function bodyText(parsed: MailReading, attachmentsHoldTemplate: () => boolean): BodyReading {
  const plain = hasContent(parsed.text) ? parsed.text : undefined;
  const html = hasContent(parsed.html) ? parsed.html : undefined;
  if (html === undefined) return plain === undefined ? { kind: 'none' } : { kind: 'text', text: plain };
  if (
    plain !== undefined &&
    (holdsTemplateHeader(plain, true) || !MAY_HOLD_TEMPLATE.test(html) || attachmentsHoldTemplate())
  )
    return { kind: 'text', text: plain };
  const converted = htmlToPlainText(html);
  if (plain === undefined)
    return converted.ok
      ? { kind: 'html', text: converted.value }
      : { kind: 'refused', problem: converted.error };
  // Plain text without a template: the HTML only if a template is read from it.
  return converted.ok && holdsTemplateHeader(converted.value)
    ? { kind: 'html', text: converted.value }
    : { kind: 'text', text: plain };
}

/** `reader` is for the differential test; everyone else reads with the default. */
export function extractMail(raw: Buffer, reader: MailReader = read): Promise<Result<ExtractedMail>> {
  return extract(raw, 0, reader);
}

async function extract(raw: Buffer, depth: number, reader: MailReader): Promise<Result<ExtractedMail>> {
  let parsed: MailReading;
  try {
    // Parts under a charset the readers would take as bytes (UTF-7, EBCDIC): decoded first, or refused.
    const decoded = await decodeUnreadCharsets(raw);
    if (!Buffer.isBuffer(decoded)) return fail(decoded);
    parsed = await reader(decoded);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return fail(problem('E_BAD_MIME', `the message could not be read as MIME: ${why.slice(0, 200)}`));
  }
  try {
    const headers = cleanHeaders(readMailHeaders(parsed));
    const pending: PendingBlock[] = [];
    const forwarded: ForwardedMessage[] = [];
    const unread: UnreadAttachment[] = [];
    let pgpSigned = false;
    let htmlOnly = false;
    // HTML too large or nested to read: the message is refused for it only if nothing else is readable.
    let htmlRefused: Problem | undefined;

    const addText = (source: TextSource, contentType: string, text: string, filename?: string) => {
      // UTF-8 lines in a part read as Windows-1252 (a mixed unlabelled body): read as UTF-8 (misread-utf8.ts).
      const unsigned = stripCleartextSignature(
        normalizeNewlines(replaceControlCharacters(rereadMisreadUtf8(text))),
      );
      pgpSigned ||= unsigned.signed;
      const name = filename ? { filename: replaceControlCharacters(filename) } : {};
      pending.push({
        source,
        contentType: replaceControlCharacters(contentType),
        text: unsigned.text,
        ...name,
      });
    };

    for (const att of parsed.attachments) {
      const verdict = classify(att);
      if (verdict === 'signature') pgpSigned = true;
      if (verdict === 'skip')
        unread.push({
          contentType: replaceControlCharacters(att.contentType),
          ...(att.filename ? { filename: replaceControlCharacters(att.filename) } : {}),
        });
      if (verdict === 'text')
        addText('attachment', att.contentType, decodeText(att.content, att.charset), att.filename);
      if (verdict === 'html') {
        const html = htmlToPlainText(decodeText(att.content, att.charset));
        if (html.ok) addText('attachment', att.contentType, html.value, att.filename);
        else htmlRefused ??= html.error;
      }
      if (verdict === 'forwarded' && depth < MAX_FORWARD_DEPTH) {
        const inner = await extract(att.content, depth + 1, reader);
        if (inner.ok) {
          const { from, subject } = inner.value.headers;
          forwarded.push({ subject, ...(from ? { from: from.address } : {}), text: inner.value.text });
          for (const deeper of inner.value.forwarded) forwarded.push({ ...deeper, withinAttached: true });
        }
      }
    }
    if (headers.contentType === 'multipart/signed') pgpSigned = true;

    // The body after the attachments (its block still goes first): whether an attachment holds a
    // template decides whether an HTML alternative stands in for a stub text part (bodyText).
    const attachmentBlocks = pending.splice(0);
    const attachmentsHoldTemplate = () => attachmentBlocks.some((p) => holdsTemplateHeader(p.text));
    const body = bodyText(parsed, attachmentsHoldTemplate);
    if (body.kind === 'text') addText('body', 'text/plain', body.text);
    else if (body.kind === 'html') {
      htmlOnly = true;
      addText('html', 'text/html', body.text);
    } else if (body.kind === 'refused') {
      htmlOnly = true;
      htmlRefused = body.problem;
    }
    pending.push(...attachmentBlocks);

    let { text, blocks, forwarded: inline } = assemble(pending);
    if (blocks.length === 0 && inline.length === 0 && htmlRefused) return fail(htmlRefused);
    const anyTemplate = (texts: readonly { readonly text: string }[]) =>
      texts.some((t) => holdsTemplateHeader(t.text, true));
    if (!anyTemplate(blocks) && !anyTemplate(inline) && !anyTemplate(forwarded)) {
      // A template plainly in the bytes that no part held: broken MIME (broken-mime.ts).
      const broken = readBrokenMime(raw);
      if (broken?.kind === 'refused') return fail(broken.problem);
      // No template in the bytes either: a header block that never ended, uuencoding, encryption say why.
      const unreadable = broken === undefined ? unreadableMessage(raw) : undefined;
      if (unreadable) return fail(unreadable);
      if (broken?.kind === 'text') {
        addText('body', 'text/plain', broken.text);
        ({ text, blocks, forwarded: inline } = assemble(pending));
      }
    }
    return ok({
      headers,
      text,
      blocks,
      forwarded: [...inline, ...forwarded],
      unread,
      pgpSigned,
      htmlOnly,
    });
  } catch (err) {
    // mailparser hands back odd shapes for odd input; whatever breaks here is still the sender's MIME.
    const why = err instanceof Error ? err.message : String(err);
    return fail(problem('E_BAD_MIME', `the message could not be read: ${why.slice(0, 200)}`));
  }
}
