/**
 * Transfer decodings and format=flowed for the plain reader (plain-mime.ts), each giving the bytes
 * mailparser's own libraries give: quoted-printable by mailparser's own libqp (3.x, loaded from
 * where mailparser loads it: the libqp beside us is 2.x, and it needs only node:buffer), format=flowed
 * as libmime 5.6 unwraps it, and base64 only in its clean form (where every decoder agrees),
 * declining anything else.
 */
import { createRequire } from 'node:module';

let libqp: { decode(input: Buffer): Buffer } | undefined;

/** Quoted-printable as mailparser decodes it (libqp's decode, read byte for byte). */
export function decodeQuotedPrintable(bytes: Buffer): Buffer {
  libqp ??= createRequire(createRequire(import.meta.url).resolve('mailparser'))('libqp') as {
    decode(input: Buffer): Buffer;
  };
  return libqp.decode(bytes);
}

/** Line breaks only between the base64 characters, padding only at the end. */
const CLEAN_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 written cleanly (whole quartets, padding only at the end), or undefined: decline. */
export function decodeCleanBase64(bytes: Buffer): Buffer | undefined {
  const text = bytes.toString('latin1').replace(/\r?\n/g, '');
  if (text.length % 4 !== 0 || !CLEAN_BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * format=flowed unwrapped (RFC 3676), as libmime's decodeFlowed does it, over the part's bytes
 * read one character per byte (it runs before the charset is decoded). Ported line for line, not
 * loaded: libmime brings iconv-lite's and encoding-japanese's tables, the load the plain reader
 * exists to spare (plain-mime.ts).
 */
export function decodeFlowed(bytes: Buffer, delSp: boolean): Buffer {
  const lines = bytes.toString('latin1').split(/\r?\n/);
  const result: string[] = [];
  let parts: string[] = [];
  let partsLength = 0;
  let depth = 0;
  let prefix = '';
  const pushPart = (part: string) => {
    if (part) {
      parts.push(part);
      partsLength += part.length;
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let lineDepth = 0;
    while (line.charCodeAt(lineDepth) === 0x3e) lineDepth++;
    const prefixLength = lineDepth && line.charCodeAt(lineDepth) === 0x20 ? lineDepth + 1 : lineDepth;
    const content = line.slice(prefixLength);
    const last = parts.length ? parts[parts.length - 1]! : '';
    const isSoftBreak =
      lineDepth === depth && last.endsWith(' ') && !(partsLength === 3 && parts.join('') === '-- ');
    if (isSoftBreak) {
      if (delSp) {
        parts.pop();
        partsLength -= last.length;
        pushPart(last.slice(0, -1));
        pushPart(content);
      } else {
        pushPart(lineDepth ? content : content.replace(/^ /, ''));
      }
    } else {
      if (i > 0) result.push(prefix + parts.join(''));
      parts = [];
      partsLength = 0;
      depth = lineDepth;
      prefix = line.slice(0, prefixLength);
      pushPart(content);
    }
  }
  if (partsLength || prefix) result.push(prefix + parts.join(''));
  return Buffer.from(result.join('\n').replace(/^ /gm, ''), 'latin1');
}
