/**
 * Body charsets the plain reader (plain-mime.ts) decodes by itself, each to the very string
 * mailparser makes of it: mailparser decodes through libmime and iconv-lite, whose tables load
 * for every process that requires them; these use Node's own TextDecoder. Where the two differ
 * (a byte the charset leaves undefined: iconv-lite reads U+FFFD, Node 20's TextDecoder a C1
 * control; and Node 20 reads windows-1252 as Latin-1) the difference is written down here, and
 * the differential test checks every byte of every label against libmime. A label not listed
 * makes the plain reader decline the message (mailparser reads it).
 */
import { TextDecoder } from 'node:util';
import { CP1252_HIGH } from './decode.ts';

/** How a body labelled with a charset is read; 'utf-8-or-guess' for the labels mailparser reads as UTF-8 undecoded. */
export type BodyCharset =
  | { readonly kind: 'utf-8' }
  /** No label, or ASCII: UTF-8 when the bytes are, else Windows-1252 (extract.ts's relabelling). */
  | { readonly kind: 'utf-8-or-guess' }
  | { readonly kind: 'single-byte'; readonly decode: (bytes: Buffer) => string };

/** The bytes a single-byte charset leaves undefined, which iconv-lite reads as U+FFFD. */
const UNDEFINED_BYTES: Readonly<Record<string, readonly number[]>> = {
  'windows-1250': [0x81, 0x83, 0x88, 0x90, 0x98],
  'windows-1251': [0x98],
  'windows-1253': [0x81, 0x88, 0x8a, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x98, 0x9a, 0x9c, 0x9d, 0x9e, 0x9f, 0xaa],
  'windows-1254': [0x81, 0x8d, 0x8e, 0x8f, 0x90, 0x9d, 0x9e],
  'windows-1256': [],
  'windows-1257': [0x81, 0x83, 0x88, 0x8a, 0x8c, 0x90, 0x98, 0x9a, 0x9c, 0x9f],
  'windows-1258': [0x81, 0x8a, 0x8d, 0x8e, 0x8f, 0x90, 0x9a, 0x9d, 0x9e],
  'iso-8859-2': [],
  'iso-8859-3': [],
  'iso-8859-4': [],
  'iso-8859-5': [],
  'iso-8859-6': [],
  'iso-8859-7': [],
  'iso-8859-8': [],
  // libmime reads ISO-8859-9 as windows-1254 (and ISO-8859-1 as windows-1252, below).
  'iso-8859-9': [0x81, 0x8d, 0x8e, 0x8f, 0x90, 0x9d, 0x9e],
  'iso-8859-10': [],
  'iso-8859-13': [],
  'iso-8859-14': [],
  'iso-8859-15': [],
  'koi8-r': [],
  'koi8-u': [],
};

/** Windows-1252 as iconv-lite reads it: its five undefined bytes U+FFFD. */
const CP1252_AS_ICONV = [...CP1252_HIGH]
  .map((c, i) => ([0x81, 0x8d, 0x8f, 0x90, 0x9d].includes(0x80 + i) ? '\uFFFD' : c))
  .join('');

function windows1252(bytes: Buffer): string {
  return bytes
    .toString('latin1')
    .replace(/[\x80-\x9f]/g, (c) => CP1252_AS_ICONV.charAt(c.charCodeAt(0) - 0x80));
}

function withTextDecoder(label: string, undefinedBytes: readonly number[]): (bytes: Buffer) => string {
  const decoder = new TextDecoder(label);
  const undefinedSet = new Set(undefinedBytes);
  return (bytes) => {
    const text = decoder.decode(bytes);
    if (undefinedSet.size === 0) return text;
    // One UTF-16 unit per byte in all of these charsets: position i is byte i.
    let out = '';
    let from = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (!undefinedSet.has(bytes[i]!)) continue;
      out += `${text.slice(from, i)}\uFFFD`;
      from = i + 1;
    }
    return from === 0 ? text : out + text.slice(from);
  };
}

const decoders = new Map<string, (bytes: Buffer) => string>();

/** How a body with this charset label is read, or undefined: the plain reader declines the message. */
export function bodyCharset(label: string | undefined): BodyCharset | undefined {
  if (label === undefined) return { kind: 'utf-8-or-guess' };
  const name = label.toLowerCase();
  if (name === 'us-ascii' || name === 'ascii') return { kind: 'utf-8-or-guess' };
  if (name === 'utf-8' || name === 'utf8') return { kind: 'utf-8' };
  if (name === 'windows-1252' || name === 'iso-8859-1') return { kind: 'single-byte', decode: windows1252 };
  const undefinedBytes = UNDEFINED_BYTES[name];
  if (!Object.hasOwn(UNDEFINED_BYTES, name) || undefinedBytes === undefined) return undefined;
  let decode = decoders.get(name);
  if (!decode) {
    decode = withTextDecoder(name, undefinedBytes);
    decoders.set(name, decode);
  }
  return { kind: 'single-byte', decode };
}

/** Windows-1252 as mailparser reads a relabelled body (see extract.ts and charset.ts). */
export const decodeRelabelled = windows1252;
