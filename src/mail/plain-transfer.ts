/**
 * Transfer decodings and format=flowed for the plain reader (plain-mime.ts), each giving the bytes
 * mailparser's own libraries give: quoted-printable as libqp 3 decodes it, format=flowed as
 * libmime 5.6 unwraps it (both ported line for line: pure functions over a whole part), and
 * base64 only in its clean form (where every decoder agrees), declining anything else.
 */

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/** Quoted-printable (libqp's decode): trailing blanks of a line dropped, soft breaks removed, valid =XX decoded, the rest kept. */
export function decodeQuotedPrintable(bytes: Buffer): Buffer {
  const input = bytes
    .toString('latin1')
    // The leading group keeps this linear (a plain /[\t ]+$/gm is quadratic on a run of blanks).
    .replace(/(^|[^ \t])[ \t]+(?=[\n\r\u2028\u2029]|$)/g, '$1')
    .replace(/[=](?:\r?\n|$)/g, '');
  const out = Buffer.alloc(input.length);
  let at = 0;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code === 0x3d && i < input.length - 2) {
      const hi = hexValue(input.charCodeAt(i + 1));
      const lo = hexValue(input.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out[at++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[at++] = code;
  }
  return out.subarray(0, at);
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
 * read one character per byte (it runs before the charset is decoded).
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
