/**
 * Charset labels the mail readers would not decode. mailparser (libmime) reads a part labelled
 * `utf-7` as its bytes (`Gr+APwA3w-e`, every `+1-703` a `+-1-703`) and an EBCDIC one as noise,
 * and a label nobody knows falls to the UTF-8-else-Windows-1252 guess: text the sender did not
 * write, applied. Before the message is read, each text part whose label is one of those is
 * decoded here (iconv-lite for the labels it knows beyond Node's TextDecoder, UTF-7 among them;
 * ebcdic.ts for the EBCDIC pages) and handed on as UTF-8; a part whose label no decoder knows
 * and whose bytes are not plain ASCII (the same in every ASCII-based charset) is refused
 * E_UNSUPPORTED_CHARSET, naming the label. Only the copy read is changed; the message is kept as it came.
 */
import type { SplitterChunk } from '@zone-eu/mailsplit';
import { lazyPackage, type Problem, problem } from '../shared/index.ts';
import { contentOf } from './charset.ts';
import { decodeEbcdic, ebcdicPage } from './ebcdic.ts';

const mailsplit = lazyPackage<typeof import('@zone-eu/mailsplit')>('@zone-eu/mailsplit');
const iconv = lazyPackage<typeof import('iconv-lite')>('iconv-lite');

/** Labels the readers take as ASCII or UTF-8 without a table. */
const PLAIN = new Set(['ascii', 'usascii', 'utf8', 'us', 'ansix341968', 'iso646us']);

type LabelReading = 'native' | 'unknown' | ((bytes: Buffer) => string);

/** How a part under this label is read: as the readers do ('native'), decoded here, or not at all. */
function readingOf(label: string): LabelReading {
  const name = label.trim().toLowerCase();
  if (PLAIN.has(name.replace(/[^a-z0-9]+/g, ''))) return 'native';
  const page = ebcdicPage(name);
  if (page) return (bytes) => decodeEbcdic(bytes, page);
  // UTF-7 (also IMAP's modified UTF-7): mailparser leaves it as bytes.
  if (/^(?:x-)?(?:unicode-1-1-)?utf-?7(?:-imap)?$|^csunicode11utf7$/.test(name))
    return (bytes) => iconv().decode(bytes, 'utf-7');
  try {
    new TextDecoder(name);
    return 'native';
  } catch {
    // Node does not know it: iconv-lite may.
  }
  if (iconv().encodingExists(name)) return (bytes) => iconv().decode(bytes, name);
  return 'unknown';
}

/** Every `charset=` label in the raw message (headers of every part), lower-cased. */
function labelsIn(raw: Buffer): Set<string> {
  const labels = new Set<string>();
  const text = raw.toString('latin1');
  for (const m of text.matchAll(/charset\s*=\s*"?([^";\s]+)/gi)) labels.add(m[1]!.toLowerCase());
  return labels;
}

const isAscii = (bytes: Buffer) => bytes.every((b) => b < 0x80);

function unsupported(label: string): Problem {
  const shown = JSON.stringify(label.slice(0, 60));
  return problem(
    'E_UNSUPPORTED_CHARSET',
    `a part of the message is labelled with the charset ${shown}, which we cannot read, so nothing in it was read as written; send the message in UTF-8 (or another common charset: ISO-8859-1, Windows-1252, UTF-16)`,
  );
}

/**
 * The message with its text parts under the labels above decoded into UTF-8; the message itself
 * when no part needs it (the common case: one look at the labels); a Problem for a label nobody
 * reads on bytes that are not ASCII.
 */
export async function decodeUnreadCharsets(raw: Buffer): Promise<Buffer | Problem> {
  const labels = labelsIn(raw);
  if ([...labels].every((l) => readingOf(l) === 'native')) return raw;
  const { Splitter } = mailsplit();
  const splitter = new Splitter({ ignoreEmbedded: true });
  splitter.end(raw);
  const chunks: SplitterChunk[] = [];
  for await (const chunk of splitter) chunks.push(chunk as SplitterChunk);
  const out: Buffer[] = [];
  let changed = false;
  for (let i = 0; i < chunks.length; i++) {
    const node = chunks[i]!;
    if (node.type !== 'node') {
      out.push(node.value);
      continue;
    }
    // Text parts only (no type is text/plain): an image's `charset=` says nothing about its bytes.
    const text = (node.contentType || 'text/plain').startsWith('text/');
    const label = node.multipart || !text || !node.charset ? undefined : node.charset;
    const reading = label ? readingOf(label) : 'native';
    if (reading === 'native') {
      out.push(node.getHeaders());
      continue;
    }
    let end = i + 1;
    const body: Buffer[] = [];
    for (; end < chunks.length && chunks[end]!.type !== 'node'; end++) {
      const c = chunks[end]!;
      if (c.type === 'body') body.push(c.value);
    }
    const bytes = await contentOf(node, body);
    if (reading === 'unknown') {
      if (!isAscii(bytes)) return unsupported(label!);
      out.push(node.getHeaders());
      continue;
    }
    // Handed on as UTF-8 in base64: any byte survives, whatever the part's encoding was.
    node.setCharset('utf-8');
    if (node.headers) node.headers.update('Content-Transfer-Encoding', 'base64');
    const encoded = Buffer.from(reading(bytes), 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
    out.push(node.getHeaders(), Buffer.from(`${encoded}\r\n`));
    // The part's own body chunks are replaced; the boundary (a 'data' chunk) after them stays.
    for (let j = i + 1; j < end; j++) {
      const c = chunks[j]!;
      if (c.type === 'data') out.push(c.value);
    }
    i = end - 1;
    changed = true;
  }
  return changed ? Buffer.concat(out) : raw;
}
