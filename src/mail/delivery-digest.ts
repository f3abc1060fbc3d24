/**
 * What makes two deliveries one message: its bytes without the trace fields that mail systems
 * put on top of it on the way (Received and Return-Path, RFC 5321 section 4.4; Delivered-To,
 * X-Original-To, Authentication-Results, ARC and the like from receiving systems). A message that
 * reached us by two paths (two MX hosts, a backup MX relaying it later, a sender's MTA retrying
 * through another relay) differs only in those, and must be handled once.
 *
 * Only the leading run of such fields is left out: they are prepended, so anything below the
 * first other field was written by the sender and stays part of what is compared. Everything
 * else, a signature included, must be the same byte for byte.
 */
import { createHash } from 'node:crypto';

const TRACE_FIELDS = new Set([
  'received',
  'return-path',
  'delivered-to',
  'x-original-to',
  'envelope-to',
  'x-envelope-to',
  'x-received',
  'received-spf',
  'authentication-results',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
]);

const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

/** Where the line starting at `from` ends (after its LF), or the end of the message. */
function lineEnd(raw: Buffer, from: number): number {
  const lf = raw.indexOf(LF, from);
  return lf < 0 ? raw.length : lf + 1;
}

function isBlankLine(raw: Buffer, start: number, end: number): boolean {
  const length = end - start;
  return (
    (length === 1 && raw[start] === LF) || (length === 2 && raw[start] === 0x0d && raw[start + 1] === LF)
  );
}

/** The offset of the first header field that is not a trace field (the whole message if none is). */
export function startAfterTrace(raw: Buffer): number {
  let at = 0;
  while (at < raw.length) {
    const end = lineEnd(raw, at);
    if (isBlankLine(raw, at, end)) return at;
    const colon = raw.indexOf(COLON, at);
    if (colon < 0 || colon >= end) return at;
    const name = raw.toString('latin1', at, colon).trim().toLowerCase();
    if (!TRACE_FIELDS.has(name)) return at;
    // Skip the field with its folded continuation lines.
    at = end;
    while (at < raw.length && (raw[at] === SPACE || raw[at] === TAB)) at = lineEnd(raw, at);
  }
  return at;
}

/** SHA-256 (hex) of the message without its leading trace fields: the same for every delivery of it. */
export function deliveryDigest(raw: Buffer): string {
  return createHash('sha256')
    .update(raw.subarray(startAfterTrace(raw)))
    .digest('hex');
}
