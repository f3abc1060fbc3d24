/**
 * Where a raw message's header block ends. The one way the project splits headers from body:
 * the ingress reads its cheap look at a message here, the worker and lint decide whom to answer
 * from it, before any MIME parser runs. It ends where mailparser's splitter (mailsplit) ends it,
 * at the first line that is empty ("\n" or "\r\n"), so a body line such as `Reply-To:` after a
 * mixed line ending ("\n\r\n") is never read as a header by one and as body by the other.
 */

const LF = 0x0a;
const CR = 0x0d;

/** The header block: everything before the first empty line (the whole message if there is none), without the line end before it. */
export function headerBlock(raw: Buffer): Buffer {
  let lineStart = 0;
  while (lineStart < raw.length) {
    const emptyLine = raw[lineStart] === LF || (raw[lineStart] === CR && raw[lineStart + 1] === LF);
    if (emptyLine) {
      if (lineStart === 0) return raw.subarray(0, 0);
      const end = raw[lineStart - 2] === CR ? lineStart - 2 : lineStart - 1;
      return raw.subarray(0, end);
    }
    const newline = raw.indexOf(LF, lineStart);
    if (newline < 0) return raw;
    lineStart = newline + 1;
  }
  return raw;
}
