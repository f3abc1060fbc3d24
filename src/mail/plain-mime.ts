/**
 * The plain reader: raw MIME -> MailReading for the mail nearly everyone sends us (text/plain, or
 * multipart/* holding text/plain parts and attachments; 7bit, 8bit, quoted-printable or clean
 * base64; UTF-8, ASCII, or one of plain-charsets.ts's single-byte charsets; ASCII headers without
 * encoded words), without loading mailparser: mailparser brings html-to-text, htmlparser2,
 * entities, linkify-it and iconv-lite's tables, ~150 ms of a `hostmasterd lint` and of every
 * worker process's first message (bench/results/cli-profile.md).
 *
 * It reads what mailparser reads, or nothing: wherever its reading could differ from mailparser's
 * (any HTML, a forwarded message, an encoded word, an 8-bit header byte, an RFC 2231 parameter, a
 * header comment, a lone CR, a part whose headers never end, an unclosed multipart, a charset or
 * transfer encoding not listed, an attachment whose type mailparser guesses from its name...) it
 * declines, and extract.ts hands the message to mailparser. It splits entities as mailparser's
 * splitter (mailsplit) does, line by line: a delimiter line of the entity's own boundary or of any
 * enclosing one, a body's last line end belonging to the delimiter after it. The differential
 * test (plain-mime.test.ts) runs both over the fixtures, the fuzz corpus and generated variants.
 */
import { createRequire } from 'node:module';
import type addressparserType from 'nodemailer/lib/addressparser';
import { relabelFor } from './charset.ts';
import { guessCharset, misreadUtf16, wideEncoding } from './decode.ts';
import { type BodyCharset, bodyCharset, decodeRelabelled } from './plain-charsets.ts';
import { decodeCleanBase64, decodeFlowed, decodeQuotedPrintable } from './plain-transfer.ts';
import type {
  AddressList,
  AttachmentReading,
  HeaderLine,
  HeaderReading,
  ListedAddress,
  MailReading,
} from './reading.ts';

/**
 * mailparser's own copy of nodemailer's address parser: a newer nodemailer sits beside it (the
 * replies room's), and the two read some fields differently. Loaded from where mailparser would
 * load it, without loading mailparser.
 */
let addressparser: typeof addressparserType | undefined;
function parseAddresses(value: string): ListedAddress[] {
  addressparser ??= createRequire(createRequire(import.meta.url).resolve('mailparser'))(
    'nodemailer/lib/addressparser',
  ) as typeof addressparserType;
  return addressparser(value) as ListedAddress[];
}

/** Thrown inside this module only: the message is one the plain reader leaves to mailparser. */
class Declined extends Error {}
const decline = (why: string): never => {
  throw new Declined(why);
};

/** Where one MIME entity lies in the message, and what its headers say. */
interface Entity {
  readonly parent: Entity | undefined;
  readonly headerStart: number;
  state: 'head' | 'body';
  bodyStart: number;
  bodyEnd: number;
  /** Set when its header block has been read. */
  head?: EntityHead;
  closed: boolean;
}

interface EntityHead {
  readonly fields: readonly HeaderLine[];
  readonly contentType: string;
  readonly multipart: boolean;
  readonly boundary: string | undefined;
  readonly charset: string | undefined;
  readonly flowed: boolean;
  readonly delSp: boolean;
  readonly disposition: string | undefined;
  readonly filename: string | undefined;
  readonly encoding: string;
}

/** Entities past this are left to mailparser (its splitter refuses more than 1000). */
const MAX_ENTITIES = 200;
/** mailsplit counts each header line as at least 64 bytes against 1 MiB; half of that here. */
const MAX_HEADER_COST = 512 * 1024;
const HEADER_LINE_MIN_COST = 64;
const MAX_LINE = 32 * 1024;
/** A field's first line: a name of printable characters but ':', then ':'. */
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+:/;
/** Printable ASCII, TAB and line ends: the only bytes a header block read here may hold. */
const PLAIN_HEADER_BYTES = /^[\t\r\n\x20-\x7e]*$/;
/** An RFC 2045 token. */
const TOKEN = /^[!#$%&'*+.^_`{|}~0-9A-Za-z-]+$/;
const PARAM_NAME = /^[!#$%&'+.^_`{|}~0-9A-Za-z-]+$/;
/** Content types mailparser reads as text (or converts): never read here. */
const DECLINED_TYPES = /^(text\/html|message\/)/;
const TRANSFER_ENCODINGS = new Set(['', '7bit', '8bit', 'binary', 'quoted-printable', 'base64']);

/** The fields of a header block (without its ending empty line), as mailsplit groups them. */
function readFields(block: string): HeaderLine[] {
  if (!PLAIN_HEADER_BYTES.test(block)) decline('a header holds a byte that is not printable ASCII');
  if (block.includes('=?')) decline('a header may hold an encoded word');
  const trimmed = block.replace(/[\r\n]+$/, '');
  // A part may have no header at all (it is then text/plain).
  const lines = trimmed === '' ? [] : trimmed.split(/\r?\n/);
  const fields: { key: string; line: string }[] = [];
  let cost = 0;
  // An mbox `From ` line (and any line folded under it) heads the block, as mailsplit reads it: not a field.
  let skipping = lines.length > 0 && /^From /i.test(lines[0]!);
  for (const [index, line] of lines.entries()) {
    cost += Math.max(line.length + 2, HEADER_LINE_MIN_COST);
    const last = fields[fields.length - 1];
    const folded = line.startsWith(' ') || line.startsWith('\t');
    if (skipping && (folded || index === 0)) continue;
    skipping = false;
    if (folded) {
      if (!last) return decline('the header block starts with a continuation line');
      last.line += `\r\n${line}`;
      continue;
    }
    if (!FIELD_LINE.test(line)) decline('a header line is not a field');
    fields.push({ key: line.slice(0, line.indexOf(':')).toLowerCase(), line });
  }
  if (cost > MAX_HEADER_COST) decline('the header block is too large');
  return fields;
}

/** A field's value as mailparser's header decoding gives it: folding undone, trimmed. */
function fieldValue(field: HeaderLine): string {
  const line = field.line.replace(/(?:\r?\n|\r)[ \t]*/g, ' ').trim();
  return line.slice(line.indexOf(':') + 1).trim();
}

const first = (fields: readonly HeaderLine[], key: string) => fields.find((f) => f.key === key);

interface Structured {
  readonly value: string;
  readonly params: ReadonlyMap<string, string>;
}

/**
 * A Content-Type or Content-Disposition value in its plain form only (`value; name=token;
 * name="quoted"`): anything libmime would read in a way of its own (comments, escapes, RFC 2231
 * parameters, white space inside a token) declines.
 */
function structured(value: string, main: (v: string) => boolean): Structured {
  const pieces: string[] = [];
  let piece = '';
  let quoted = false;
  for (const c of value) {
    if (c === '\\' || (c === '(' && !quoted)) decline('a header parameter is escaped or commented');
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      pieces.push(piece);
      piece = '';
    } else piece += c;
  }
  if (quoted) decline('a header parameter is not closed');
  pieces.push(piece);
  const head = pieces[0]!.trim();
  if (!main(head)) decline('a content type or disposition is not plain');
  const params = new Map<string, string>();
  for (let i = 1; i < pieces.length; i++) {
    const param = pieces[i]!.trim();
    if (param === '' && i === pieces.length - 1) break;
    const eq = param.indexOf('=');
    const name = param.slice(0, eq);
    const raw = param.slice(eq + 1);
    if (eq <= 0 || !PARAM_NAME.test(name)) decline('a header parameter is not plain');
    let v: string;
    if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) v = raw.slice(1, -1);
    else if (TOKEN.test(raw)) v = raw;
    else return decline('a header parameter value is not plain');
    if (v.includes('"')) decline('a header parameter value is not plain');
    const key = name.toLowerCase();
    if (!params.has(key)) params.set(key, v);
  }
  return { value: head, params };
}

const isMediaType = (v: string) => {
  const slash = v.indexOf('/');
  return slash > 0 && TOKEN.test(v.slice(0, slash)) && TOKEN.test(v.slice(slash + 1));
};

function readHead(fields: readonly HeaderLine[]): EntityHead {
  const typeField = first(fields, 'content-type');
  const dispositionField = first(fields, 'content-disposition');
  const disposition = dispositionField
    ? structured(fieldValue(dispositionField), (v) => TOKEN.test(v))
    : undefined;
  let contentType: string;
  let params: ReadonlyMap<string, string> = new Map();
  if (typeField) {
    const type = structured(fieldValue(typeField), isMediaType);
    contentType = type.value.toLowerCase();
    params = type.params;
  } else {
    // mailsplit guesses a type from the file name's extension (libmime's table): not here.
    if (disposition?.params.get('filename')) decline('a part without a type names a file');
    contentType = /^attachment$/i.test(disposition?.value ?? '') ? 'application/octet-stream' : 'text/plain';
  }
  if (DECLINED_TYPES.test(contentType)) decline(`a ${contentType} part`);
  const filename = disposition?.params.get('filename') || params.get('name') || undefined;
  // mailparser names such an attachment's type by its file name (libmime's table): not here.
  if (contentType === 'application/octet-stream' && filename)
    decline('an octet-stream attachment names a file');
  const encodingField = first(fields, 'content-transfer-encoding');
  const encoding = encodingField ? fieldValue(encodingField).toLowerCase().trim() : '';
  if (encoding.includes('(') || !TRANSFER_ENCODINGS.has(encoding)) decline(`transfer encoding ${encoding}`);
  const multipart = contentType.startsWith('multipart/') && contentType.length > 'multipart/'.length;
  const boundary = (params.get('boundary') ?? '').trimEnd() || undefined;
  if (multipart !== (boundary !== undefined)) decline('a boundary without multipart, or none with it');
  if (multipart && encoding !== '' && encoding !== '7bit' && encoding !== '8bit' && encoding !== 'binary')
    decline('an encoded multipart');
  const flowed = contentType === 'text/plain' && params.get('format')?.toLowerCase().trim() === 'flowed';
  const charset = params.get('charset') || undefined;
  return {
    fields,
    contentType,
    multipart,
    boundary,
    charset,
    flowed,
    delSp: flowed && params.get('delsp')?.toLowerCase().trim() === 'yes',
    disposition: disposition?.value.toLowerCase() || undefined,
    filename,
    encoding,
  };
}

/** mailsplit's delimiter test of the line [start, end): 1 a delimiter, 2 a close delimiter, 0 neither. */
function delimiter(s: string, start: number, end: number, boundary: string): 0 | 1 | 2 {
  const length = end - start;
  if (length < boundary.length + 3 || length > boundary.length + 1004) return 0;
  if (s.charCodeAt(start) !== 0x2d || s.charCodeAt(start + 1) !== 0x2d) return 0;
  if (!s.startsWith(boundary, start + 2)) return 0;
  let i = start + 2 + boundary.length;
  let result: 1 | 2 = 1;
  if (i < end && s.charCodeAt(i) === 0x2d) {
    if (i + 1 >= end || s.charCodeAt(i + 1) !== 0x2d) return 0;
    result = 2;
    i += 2;
  }
  while (i < end && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  if (i === end) return result === 2 ? 2 : 0;
  while (i < end && s.charCodeAt(i) === 0x0d) i++;
  if (i < end && s.charCodeAt(i) === 0x0a) i++;
  return i === end ? result : 0;
}

/** The entities of the message in document order, each with its head and body span. */
function splitEntities(s: string): Entity[] {
  const entity = (parent: Entity | undefined, at: number): Entity => ({
    parent,
    headerStart: at,
    state: 'head',
    bodyStart: -1,
    bodyEnd: -1,
    closed: false,
  });
  const root = entity(undefined, 0);
  const entities = [root];
  let node = root;
  let inEpilogue = false;
  /** The entity a delimiter of `owner` ends must be whole, and `owner`'s own child. */
  const finish = (owner: Entity) => {
    if (node.state === 'head') decline('a part ends inside its headers');
    if (node.head?.multipart && !node.closed) decline('a multipart is not closed');
    if (node.parent !== owner) decline('a delimiter skips an unclosed multipart');
    if (!node.head?.multipart) {
      // A body of one empty line is kept whole by mailsplit before some delimiters and emptied before others.
      const body = s.slice(node.bodyStart, node.bodyEnd);
      if (body === '\n' || body === '\r\n') decline('a part whose body is one line end');
      // The line end before a delimiter belongs to the delimiter.
      if (node.bodyEnd > node.bodyStart && s.charCodeAt(node.bodyEnd - 1) === 0x0a) node.bodyEnd--;
      if (node.bodyEnd > node.bodyStart && s.charCodeAt(node.bodyEnd - 1) === 0x0d) node.bodyEnd--;
    }
  };
  let at = 0;
  while (at < s.length) {
    const newline = s.indexOf('\n', at);
    const end = newline < 0 ? s.length : newline + 1;
    // mailsplit cuts a line past 64 KiB into pieces, and does not test their tail as a delimiter.
    if (end - at > MAX_LINE) decline('a line longer than 32 KiB');
    let kind: 0 | 1 | 2 | 3 | 4 = 0;
    let owner: Entity | undefined;
    const ownBoundary = node.head?.boundary;
    if (!inEpilogue && ownBoundary) kind = delimiter(s, at, end, ownBoundary);
    if (kind) owner = node;
    else {
      for (let o = node.parent; o; o = o.parent) {
        const b = o.head?.boundary ? delimiter(s, at, end, o.head.boundary) : 0;
        if (b) {
          kind = b === 1 ? 3 : 4;
          owner = o;
          break;
        }
      }
    }
    if (kind === 1 || kind === 3) {
      if (kind === 3) finish(owner!);
      if (entities.length >= MAX_ENTITIES) decline('too many parts');
      node = entity(owner, end);
      entities.push(node);
      inEpilogue = false;
    } else if (kind === 2) {
      decline('a multipart closes before its first part');
    } else if (kind === 4) {
      finish(owner!);
      owner!.closed = true;
      node = owner!;
      inEpilogue = true;
    } else if (node.state === 'head') {
      const line = s.slice(at, end);
      if (line === '\n' || line === '\r\n') {
        node.head = readHead(readFields(s.slice(node.headerStart, at)));
        node.state = 'body';
        node.bodyStart = end;
        node.bodyEnd = end;
      }
    } else if (!node.head?.multipart) {
      node.bodyEnd = end;
    }
    at = end;
  }
  if (node.state === 'head') decline('the message ends inside a header block');
  if (root.head?.multipart && !root.closed) decline('the message ends inside its multipart');
  return entities;
}

/** A part's body, transfer-decoded. */
function transferDecoded(s: string, e: Entity, head: EntityHead): Buffer {
  const bytes = Buffer.from(s.slice(e.bodyStart, e.bodyEnd), 'latin1');
  if (head.encoding === 'quoted-printable') return decodeQuotedPrintable(bytes);
  if (head.encoding === 'base64') return decodeCleanBase64(bytes) ?? decline('base64 that is not clean');
  return bytes;
}

/**
 * An inline text/plain part as mailparser decodes it, with extract.ts's relabelling of bytes that
 * are not UTF-8; and whether mailparser's first reading of it held U+FFFD (which sets the
 * relabelling off).
 */
function bodyText(
  content: Buffer,
  head: EntityHead,
  charset: BodyCharset,
): { text: string; firstReadingHadFffd: boolean } {
  const unwrapped = head.flowed ? decodeFlowed(content, head.delSp) : content;
  let text: string;
  let guessed = false;
  // UTF-16 without a label, or under `utf-8`: mailparser reads it after the relabelling (charset.ts).
  if (charset.kind !== 'single-byte' && wideEncoding(content)) decline('a body in UTF-16 without its label');
  if (charset.kind === 'single-byte') text = charset.decode(unwrapped);
  else if (charset.kind === 'utf-8' || guessCharset(content).label === 'UTF-8')
    text = unwrapped.toString('utf8');
  else {
    text = decodeRelabelled(unwrapped);
    guessed = true;
  }
  return {
    text: text.replace(/\r?\n/g, '\n'),
    firstReadingHadFffd: guessed || text.includes('\uFFFD') || misreadUtf16(text),
  };
}

/** Each address with mailparser's touches (names trimmed); an encoded or punycode address declines. */
function addressList(field: HeaderLine): AddressList {
  const touch = (a: ListedAddress): ListedAddress => {
    if (a.address && /@xn--/.test(a.address)) decline('an internationalized domain');
    return {
      ...a,
      name: (a.name || '').toString().trim(),
      ...(a.group ? { group: a.group.map(touch) } : {}),
    };
  };
  return { value: parseAddresses(fieldValue(field)).map(touch) };
}

/** mailparser's `<` `>` around a message id. */
function messageIdFormat(value: string): string | undefined {
  if (!value.length) return undefined;
  return `${value.startsWith('<') ? '' : '<'}${value}${value.endsWith('>') ? '' : '>'}`;
}

/** The top-level header values, each as mailparser keeps it (the first field for most, every To and Cc). */
function headerReading(fields: readonly HeaderLine[]): HeaderReading {
  const all = (key: string) => fields.filter((f) => f.key === key);
  const lists = (key: string) => {
    const found = all(key).map(addressList);
    return found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
  };
  // mailparser keeps a header's first non-empty value (an empty Subject is skipped, not kept).
  const firstValue = (key: string, read: (v: string) => string | undefined) => {
    for (const field of all(key)) {
      const value = read(fieldValue(field));
      if (value) return value;
    }
    return undefined;
  };
  const fromField = first(fields, 'from');
  const replyToField = first(fields, 'reply-to');
  const referenceFields = all('references');
  const references = referenceFields.flatMap((f) =>
    fieldValue(f)
      .split(/\s+/)
      .map(messageIdFormat)
      .filter((id): id is string => id !== undefined),
  );
  const dateField = first(fields, 'date');
  const date = dateField ? new Date(fieldValue(dateField)) : undefined;
  // mailparser parses these too, and fails the whole message if one cannot be parsed.
  for (const key of ['bcc', 'sender', 'delivered-to', 'return-path', 'disposition-notification-to'])
    for (const field of all(key)) addressList(field);
  return {
    headerLines: fields,
    from: fromField ? addressList(fromField) : undefined,
    to: lists('to'),
    cc: lists('cc'),
    replyTo: replyToField ? addressList(replyToField) : undefined,
    subject: firstValue('subject', (v) => v),
    messageId: firstValue('message-id', messageIdFormat),
    inReplyTo: firstValue('in-reply-to', messageIdFormat),
    references:
      referenceFields.length === 0 ? undefined : references.length === 1 ? references[0] : references,
    date: date && !Number.isNaN(date.getTime()) ? date : undefined,
  };
}

/** mailparser's types read as text: a part of one of these without `attachment` is body text. */
const TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);

function read(raw: Buffer): MailReading {
  const s = raw.toString('latin1');
  // A lone CR can start or end a delimiter line in mailsplit: left to it.
  if (/\r(?!\n)/.test(s)) decline('a lone CR');
  const entities = splitEntities(s);
  const texts: string[] = [];
  const attachments: AttachmentReading[] = [];
  /** mailparser's first reading held U+FFFD: extract.ts then relabels (charset.ts), attachments too. */
  let relabelled = false;
  for (const e of entities) {
    const head = e.head!;
    if (head.multipart) continue;
    let disposition = head.disposition;
    if (disposition && disposition !== 'attachment' && disposition !== 'inline') disposition = 'attachment';
    disposition ??= TEXT_TYPES.has(head.contentType) ? 'inline' : 'attachment';
    const content = transferDecoded(s, e, head);
    if (!TEXT_TYPES.has(head.contentType) || disposition !== 'inline') {
      attachments.push({
        contentType: head.contentType,
        ...(head.filename ? { filename: head.filename } : {}),
        size: content.length,
        content,
        ...(head.charset ? { charset: head.charset } : {}),
      });
      continue;
    }
    const charset = bodyCharset(head.charset) ?? decline(`charset ${head.charset}`);
    const { text, firstReadingHadFffd } = bodyText(content, head, charset);
    relabelled ||= firstReadingHadFffd;
    if (text) texts.push(text);
  }
  // The relabelling labels every text/* part that needs the guess and is not UTF-8 windows-1252,
  // attachments included: their charset as the second reading gives it.
  const withRelabels = relabelled
    ? attachments.map((a) => {
        const label = a.contentType.startsWith('text/') ? relabelFor(a.charset, a.content) : undefined;
        return label ? { ...a, charset: label } : a;
      })
    : attachments;
  return {
    ...headerReading(entities[0]!.head!.fields),
    text: texts.length > 0 ? texts.join('\n') : undefined,
    html: undefined,
    attachments: withRelabels,
  };
}

/**
 * The message as mailparser would read it, or undefined where the plain reader leaves it to
 * mailparser. Anything that goes wrong here leaves it to mailparser too: a fault of this reader
 * must not cost a message the reading it had before.
 */
export function readPlainMime(raw: Buffer): MailReading | undefined {
  try {
    return read(raw);
  } catch {
    return undefined;
  }
}

/**
 * The top-level header values of a header block (headerBlock's, no body) as mailparser reads them,
 * or undefined where the plain reader leaves them to mailparser (an encoded word, an 8-bit byte...).
 */
export function readPlainHead(block: Buffer): HeaderReading | undefined {
  try {
    return headerReading(readFields(block.toString('latin1')));
  } catch {
    return undefined;
  }
}

/** Why the plain reader declines a message (undefined when it reads it): for tests and profiling. */
export function plainMimeDeclines(raw: Buffer): string | undefined {
  try {
    read(raw);
    return undefined;
  } catch (error) {
    if (error instanceof Declined) return error.message;
    throw error;
  }
}
