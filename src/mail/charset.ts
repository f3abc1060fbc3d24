/**
 * Body parts without a usable charset. mailparser decodes a body part with no charset label (or
 * `us-ascii`) as UTF-8 and one with a label it does not know as UTF-8 too, so Latin-1 bytes
 * (`José`) came out as U+FFFD and went into the registry as `Jos�`. Attachments never had the
 * problem: `decodeText` reads bytes that are not UTF-8 as Windows-1252. This gives body parts the
 * same rule: a text part whose label is missing, ASCII or unknown, and whose bytes are not UTF-8,
 * is labelled windows-1252 before mailparser reads the message (or UTF-16, when a byte order mark
 * or UTF-16's NULs say so: Windows tools write "Unicode" text without a label). Only the copy parsed here is
 * relabelled; the raw message is kept as it came.
 */
import type { SplitterChunk } from '@zone-eu/mailsplit';
import { lazyPackage } from '../shared/index.ts';
import { guessCharset, isKnownCharset } from './decode.ts';

/** Loaded on first use, as mailparser (which loads it too) is: see extract.ts. */
const mailsplit = lazyPackage<typeof import('@zone-eu/mailsplit')>('@zone-eu/mailsplit');

/** Labels mailparser reads as UTF-8 without decoding (its own list); 8-bit bytes in them are a guess. */
const READ_AS_UTF8 = new Set(['ascii', 'usascii']);

/** Whether a text part with this label is relabelled when its bytes are not UTF-8 (also the plain reader's rule). */
export function needsGuess(charset: string | false): boolean {
  if (!charset) return true;
  if (READ_AS_UTF8.has(charset.toLowerCase().replace(/[^a-z0-9]+/g, ''))) return true;
  return !isKnownCharset(charset);
}

/** A `utf-8` label (however spelled): bytes under it that are UTF-16 by their mark or NULs are mislabelled. */
export function saysUtf8(charset: string | false | undefined): boolean {
  return !!charset && charset.toLowerCase().replace(/[^a-z0-9]+/g, '') === 'utf8';
}

/** The relabelling of a text part, or undefined: the guess where a label is missing, UTF-16 under a `utf-8` label. */
export function relabelFor(charset: string | false | undefined, bytes: Buffer): string | undefined {
  if (needsGuess(charset ?? false)) return guessedLabel(bytes);
  if (!saysUtf8(charset)) return undefined;
  const label = guessedLabel(bytes);
  return label === 'windows-1252' ? undefined : label;
}

type GuessedLabel = 'windows-1252' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

/**
 * The label a text part's bytes are read with when they are not UTF-8 (UTF-16 by its mark or
 * NULs, UTF-32 by its mark): mailparser reads each of them (iconv-lite's decoders).
 */
export function guessedLabel(bytes: Buffer): GuessedLabel | undefined {
  const { label } = guessCharset(bytes);
  return label === 'UTF-8' ? undefined : (label.toLowerCase() as GuessedLabel);
}

/** The transfer-decoded (base64, quoted-printable) bytes of one part's body. */
export async function contentOf(
  node: Extract<SplitterChunk, { type: 'node' }>,
  body: readonly Buffer[],
): Promise<Buffer> {
  const decoder = node.getDecoder();
  const out: Buffer[] = [];
  decoder.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    decoder.once('end', resolve);
    decoder.once('error', reject);
  });
  for (const chunk of body) decoder.write(chunk);
  decoder.end();
  await done;
  return Buffer.concat(out);
}

async function split(raw: Buffer): Promise<SplitterChunk[]> {
  const chunks: SplitterChunk[] = [];
  // As extractMail parses: a forwarded message is one part, relabelled (if at all) when it is read.
  const { Splitter } = mailsplit();
  const splitter = new Splitter({ ignoreEmbedded: true });
  splitter.end(raw);
  for await (const chunk of splitter) chunks.push(chunk as SplitterChunk);
  return chunks;
}

/**
 * The message with every text part whose bytes need the Windows-1252 guess labelled so, or the
 * message itself when no part does. Throws on MIME the splitter cannot read (the caller then keeps
 * mailparser's reading, and the templates room refuses any value left holding U+FFFD).
 */
export async function labelUnlabelledText(raw: Buffer): Promise<Buffer> {
  const chunks = await split(raw);
  let relabelled = false;
  for (let i = 0; i < chunks.length; i++) {
    const node = chunks[i]!;
    if (node.type !== 'node' || node.multipart) continue;
    const type = node.contentType || (node.root ? 'text/plain' : '');
    if (!type.startsWith('text/') || !(needsGuess(node.charset) || saysUtf8(node.charset))) continue;
    const body: Buffer[] = [];
    for (let j = i + 1; j < chunks.length; j++) {
      const c = chunks[j]!;
      if (c.type === 'node') break;
      if (c.type === 'body') body.push(c.value);
    }
    const label = relabelFor(node.charset, await contentOf(node, body));
    if (!label) continue;
    node.setCharset(label);
    relabelled = true;
  }
  if (!relabelled) return raw;
  return Buffer.concat(chunks.map((c) => (c.type === 'node' ? c.getHeaders() : c.value)));
}
