/**
 * Where a raw message's header block ends. The one way the project splits headers from body:
 * the ingress reads its cheap look at a message here, the worker and lint decide whom to answer
 * from it, before any MIME parser runs.
 */

/** The header block: everything before the first empty line (the whole message if there is none). */
export function headerBlock(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf, lf].filter((i) => i >= 0);
  return ends.length === 0 ? raw : raw.subarray(0, Math.min(...ends));
}
