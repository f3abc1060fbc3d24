/**
 * Showing a stored message to staff without showing its API keys (docs/architecture.md section 5). Pure:
 * bytes in, text out; the stored bytes stay the record, only this view is redacted.
 *
 * A key must not be readable in any form a person could decode with little effort, so the
 * message is walked as MIME (multipart parts, message/rfc822 inside, to any sane depth) and each
 * header and each part is read in every such form:
 * - a part: its transfer encoding undone as declared, and also as quoted-printable or base64
 *   when it looks so; each result read in its declared charset, as UTF-8 and, when NUL bytes
 *   hint at a wide charset, as UTF-16 in both byte orders;
 * - a header: as written, with its RFC 2047 encoded-words decoded (in their charsets, and as
 *   UTF-8 and UTF-16 in case the label lies), with its RFC 2231 parameters joined and decoded.
 * Each reading is searched by key-hiding.ts, which also sees keys through escapes (`=2D`, soft
 * line breaks, `%2D`, `&#45;`), invisible characters, look-alikes, base64 and encoded-words
 * inside text. What holds no key is shown exactly as received. A key that can be redacted
 * where it stands, leaving no reading that holds one, is redacted there (the message stays as
 * received around it). Otherwise the header or part is shown decoded, redacted, between
 * markers, so staff can still read it. A part that held a key even so is not shown at all: the
 * last guard, which the decoders here leave nothing to catch.
 */
import { headerFieldLines, headerSection, unfoldedValue } from '../mail/index.ts';
import { type HiddenText, hideKeys, holdsKey, redactKeysAsRead, searchingOnce } from './key-hiding.ts';
import {
  decodeEncodedWords,
  encodedWordReadings,
  findEncodedWords,
  looksLikeBase64,
  parseStructured,
  parseTransferEncoding,
  readings,
  type TransferEncoding,
  transferDecode,
} from './mime-decoding.ts';

export interface Header {
  readonly name: string;
  readonly value: string;
}

/** MIME inside MIME beyond this is shown as one part (still read in every form above). */
const MAX_NESTING = 24;

const WITHHELD_PART = '[part not shown: it holds an API key in a form the console cannot redact]';
const WITHHELD_HEADER = '[not shown: it holds an API key in a form the console cannot redact]';

// The message is handled as a latin1 string ("bin"): one character per byte, so bytes are kept
// exactly until a piece is shown, and shown pieces are read as UTF-8 (as the page always did).
const display = (bin: string): string => Buffer.from(bin, 'latin1').toString('utf8');
const bytesOf = (bin: string): Buffer => Buffer.from(bin, 'latin1');
const binOf = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

interface Field {
  /** The field name, or undefined for a line in the header section that is not a field. */
  readonly name: string | undefined;
  /** The field's lines as received, folding and line ends included. */
  readonly bin: string;
}

interface Entity {
  readonly fields: readonly Field[];
  /** The empty line that ends the header section ('' when there is none). */
  readonly separator: string;
  readonly body: string;
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** The entity split where the mail room splits every header block (mailsplit's rule). */
function splitEntity(bin: string): Entity {
  const { fieldsEnd, bodyStart } = headerSection(bin);
  const fields = headerFieldLines(bin).map(({ name, lines }) => ({
    name: name !== undefined && FIELD_NAME.test(name) ? name : undefined,
    bin: lines,
  }));
  return { fields, separator: bin.slice(fieldsEnd, bodyStart), body: bin.slice(bodyStart) };
}

/** A field's value on one line, as shown (read as UTF-8). */
function shownValue(field: Field): string {
  return unfoldedValue({ name: field.name, lines: display(field.bin) });
}

function fieldValue(fields: readonly Field[], name: string): string | undefined {
  const field = fields.find((f) => f.name?.toLowerCase() === name);
  return field ? shownValue(field) : undefined;
}

function lineEndOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

// ---------------------------------------------------------------------------------------------
// Headers

/** A header value in every form a reader could decode it to (see the file comment). */
function headerReadings(value: string): string[] {
  const out = [value];
  const runs = findEncodedWords(value);
  if (runs.length > 0) {
    const variants = runs.map(encodedWordReadings);
    const count = variants.reduce((most, v) => Math.max(most, v.length), 0);
    for (let i = 0; i < count; i++) {
      let text = '';
      let at = 0;
      for (const [k, run] of runs.entries()) {
        const v = variants[k]!;
        text += value.slice(at, run.start) + v[Math.min(i, v.length - 1)]!.text;
        at = run.end;
      }
      out.push(text + value.slice(at));
    }
  }
  if (value.includes('=')) {
    const structured = parseStructured(value);
    if (structured.parameters.size > 0) {
      const parameters = [...structured.parameters].map(([name, v]) => `${name}="${v}"`);
      out.push([structured.value, ...parameters].join('; '));
    }
  }
  return out;
}

/** The decoded value of a header that holds a key, redacted (the reading that shows the key). */
function decodedHeaderValue(value: string): string {
  const all = headerReadings(value);
  const chosen = all.slice(1).find(holdsKey) ?? decodeEncodedWords(value);
  const shown = hideKeys(chosen).text;
  return holdsKey(shown) ? WITHHELD_HEADER : shown;
}

interface FieldView {
  /** The field in the raw view: as received, or decoded after a marker line. */
  readonly lines: string;
  /** Its value for the header table. */
  readonly value: string;
}

function valueAfterColon(text: string): string {
  return unfoldedValue({ name: undefined, lines: text });
}

function viewField(field: Field): FieldView {
  const shown = display(field.bin);
  const hidden: HiddenText = hideKeys(shown);
  if (field.name === undefined) return { lines: hidden.text, value: '' };
  if (!hidden.decoded && !headerReadings(valueAfterColon(hidden.text)).some(holdsKey)) {
    return { lines: hidden.text, value: valueAfterColon(hidden.text) };
  }
  const value = decodedHeaderValue(valueAfterColon(shown));
  const eol = lineEndOf(shown);
  return {
    lines: `[header shown decoded: it contained an API key, redacted]${eol}${hideKeys(field.name).text}: ${value}${eol}`,
    value,
  };
}

// ---------------------------------------------------------------------------------------------
// Bodies

/** The transfer decodings a reader could apply to this body: the declared one and the obvious. */
function transfersFor(declared: TransferEncoding, text: string): TransferEncoding[] {
  const all: TransferEncoding[] = [declared, 'identity'];
  const base64 = looksLikeBase64(text);
  if (base64) all.push('base64');
  else if (/=(?:[0-9A-Fa-f]{2}|[ \t]*\r?\n)/.test(text)) all.push('quoted-printable');
  return [...new Set(all)];
}

/** The first reading of the body (transfer decoding, then charset) that holds a key. */
function revealingReading(
  bytes: Buffer,
  transfer: TransferEncoding,
  charset: string | undefined,
  skip?: string,
): { transfer: TransferEncoding; label: string; text: string } | undefined {
  for (const t of transfersFor(transfer, bytes.toString('latin1'))) {
    for (const r of readings(transferDecode(bytes, t), charset)) {
      if (t === 'identity' && r.text === skip) continue;
      if (holdsKey(r.text)) return { transfer: t, label: r.label, text: r.text };
    }
  }
  return undefined;
}

function describeReading(transfer: TransferEncoding, label: string): string {
  const encoding = transfer === 'identity' ? 'text' : transfer;
  return label === 'UTF-8' ? encoding : `${encoding} (${label})`;
}

function decodedBlock(what: string, text: string, eol: string): string {
  return (
    `[${what} part shown decoded: it contained an API key, redacted below]${eol}` +
    `${text.replace(/\r?\n$/, '')}${eol}[end of decoded part]${eol}`
  );
}

/** A part that is not MIME inside: as received when no reading holds a key, see the file comment. */
function renderLeaf(bin: string, transfer: TransferEncoding, charset: string | undefined): string {
  const shown = display(bin);
  // Among the readings is the part as shown (identity, UTF-8): none holding a key, none to hide.
  const found = revealingReading(bytesOf(bin), transfer, charset);
  if (!found) return shown;
  const inPlace = hideKeys(shown).text;
  // Redacted where it stands only if it reads as text there: not UTF-16 with its NUL bytes.
  const readable = !inPlace.includes('\u0000');
  if (readable && !revealingReading(bytesOf(binOf(inPlace)), transfer, charset, inPlace)) return inPlace;
  const decoded = hideKeys(found.text).text;
  if (!holdsKey(decoded))
    return decodedBlock(describeReading(found.transfer, found.label), decoded, lineEndOf(bin));
  return `${WITHHELD_PART}${lineEndOf(bin)}`;
}

/**
 * MIME under a transfer encoding (a base64 message/rfc822 part): as received when neither the
 * body nor what it decodes to holds a key; else decoded, walked, between markers. What is
 * inside is walked once (walking it twice per level would double the work at every level).
 */
function renderWrapped(bin: string, transfer: TransferEncoding, inner: (bin: string) => string): string {
  const unwrapped = transferDecode(bytesOf(bin), transfer).toString('latin1');
  const walked = inner(unwrapped);
  if (walked === display(unwrapped) && !revealingReading(bytesOf(bin), transfer, undefined))
    return display(bin);
  return holdsKey(walked)
    ? `${WITHHELD_PART}${lineEndOf(bin)}`
    : decodedBlock(transfer, walked, lineEndOf(bin));
}

function renderMultipart(body: string, boundary: string, depth: number, childType: string): string {
  const delimiter = `--${boundary}`;
  let out = '';
  let segment = '';
  let inPart = false;
  let closed = false;
  const flush = () => {
    out +=
      inPart && !closed
        ? renderEntity(segment, depth + 1, childType)
        : renderLeaf(segment, 'identity', undefined);
    segment = '';
  };
  let at = 0;
  while (at < body.length) {
    const newline = body.indexOf('\n', at);
    const end = newline < 0 ? body.length : newline + 1;
    const line = body.slice(at, end);
    at = end;
    const bare = line.replace(/[ \t\r\n]+$/, '');
    if (!closed && (bare === delimiter || bare === `${delimiter}--`)) {
      flush();
      out += hideKeys(display(line)).text;
      if (bare === delimiter) inPart = true;
      else closed = true;
      continue;
    }
    segment += line;
  }
  flush();
  return out;
}

function renderEntity(bin: string, depth: number, defaultType: string): string {
  const entity = splitEntity(bin);
  let out = entity.fields.map((f) => viewField(f).lines).join('') + entity.separator;
  const contentType = parseStructured(fieldValue(entity.fields, 'content-type') ?? defaultType);
  const type = contentType.value.toLowerCase();
  const transfer = parseTransferEncoding(fieldValue(entity.fields, 'content-transfer-encoding'));
  const boundary = contentType.parameters.get('boundary');
  const charset = contentType.parameters.get('charset');
  if (depth < MAX_NESTING && type.startsWith('multipart/') && boundary) {
    const childType = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    const inner = (b: string) => renderMultipart(b, boundary, depth, childType);
    out += transfer === 'identity' ? inner(entity.body) : renderWrapped(entity.body, transfer, inner);
  } else if (depth < MAX_NESTING && /^message\/(rfc822|global|news)$/.test(type)) {
    const inner = (b: string) => renderEntity(b, depth + 1, 'text/plain');
    out += transfer === 'identity' ? inner(entity.body) : renderWrapped(entity.body, transfer, inner);
  } else {
    out += renderLeaf(entity.body, transfer, charset);
  }
  return out;
}

/** The top-level header fields, unfolded, API keys hidden (decoded where a key needs it). */
export function readRawHeaderFields(raw: Buffer): Header[] {
  return searchingOnce(() => {
    const headers: Header[] = [];
    for (const field of splitEntity(raw.toString('latin1')).fields) {
      if (field.name === undefined) continue;
      headers.push({ name: hideKeys(field.name).text, value: viewField(field).value });
    }
    return headers;
  });
}

/** The whole message as text with every API key hidden in every form (see the file comment). */
export function redactRawMessage(raw: Buffer): string {
  const shown = searchingOnce(() => renderEntity(raw.toString('latin1'), 0, 'text/plain'));
  // Across the pieces: a key spread over a header and the body after it, say.
  return redactKeysAsRead(shown);
}

/** What the submission page shows of a stored message: its header table and its text. */
export interface RawView {
  readonly headers: readonly Header[];
  readonly raw: string;
}

/**
 * The page shows this much of a message's text. Every key is hidden in the whole message first
 * (a key's pieces may lie far apart); then the text is cut, so the page, the browser and the
 * console's event loop (which escapes it into HTML) carry a bounded load, whatever was sent.
 */
export const RAW_VIEW_MAX_CHARACTERS = 1024 * 1024;

/** The message as the page shows it: headers and text, keys hidden, the text bounded. */
export function showRawMessage(raw: Buffer): RawView {
  const headers = boundedHeaders(readRawHeaderFields(raw));
  const text = redactRawMessage(raw);
  if (text.length <= RAW_VIEW_MAX_CHARACTERS) return { headers, raw: text };
  const cut = text.lastIndexOf('\n', RAW_VIEW_MAX_CHARACTERS) + 1 || RAW_VIEW_MAX_CHARACTERS;
  // The cut cannot show a key the whole did not, but a reading of a piece is not a reading of
  // the whole (base64 realigned): the piece is searched once more.
  const shown = searchingOnce(() => hideKeys(text.slice(0, cut)).text);
  const rest = (text.length - cut).toLocaleString('en-US');
  return {
    headers,
    raw: `${shown}[the rest of the message (${rest} characters) is not shown here; the templates above were read from all of it]\n`,
  };
}

/** The header table within the same bound: fields in order until it is reached, then a note. */
function boundedHeaders(all: readonly Header[]): Header[] {
  const shown: Header[] = [];
  let size = 0;
  for (const header of all) {
    size += header.name.length + header.value.length;
    if (size > RAW_VIEW_MAX_CHARACTERS) {
      const rest = (all.length - shown.length).toLocaleString('en-US');
      return [
        ...shown,
        { name: '[not shown]', value: `${rest} more header fields (the table shows the first)` },
      ];
    }
    shown.push(header);
  }
  return shown;
}
