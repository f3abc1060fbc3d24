/**
 * Showing a stored message to staff without showing its API keys. Pure: bytes in, text out.
 * Keys are hidden in the readable text and also inside base64 parts, where a plain text
 * search would miss them.
 */
import { redactApiKey } from '../shared/redact.ts';

export interface Header {
  readonly name: string;
  readonly value: string;
}

/** Splits at the first empty line. */
function splitMessage(text: string): { head: string; body: string } {
  const match = /\r?\n\r?\n/.exec(text);
  if (!match) return { head: text, body: '' };
  return { head: text.slice(0, match.index), body: text.slice(match.index + match[0].length) };
}

/** The header section, unfolded, with API keys redacted (a key may sit in the Subject). */
export function readHeaders(raw: Buffer): Header[] {
  const { head } = splitMessage(raw.toString('utf8'));
  const headers: Header[] = [];
  for (const line of head.split(/\r?\n/)) {
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && last) {
      headers[headers.length - 1] = { name: last.name, value: `${last.value} ${line.trim()}` };
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: redactApiKey(line.slice(colon + 1).trim()) });
  }
  return headers;
}

const BASE64_LINE = /^[A-Za-z0-9+/]{8,}={0,2}\r?$/;

/**
 * The whole message as text with every API key redacted. A run of base64 lines whose decoded
 * text holds a key is replaced by that text, redacted and marked, since no one can check a
 * key by eye inside base64 anyway.
 */
export function redactRawMessage(raw: Buffer): string {
  const lines = raw.toString('utf8').split('\n');
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const decoded = Buffer.from(run.join(''), 'base64').toString('utf8');
    const redacted = redactApiKey(decoded);
    if (redacted !== decoded) {
      out.push(
        '[base64 part shown decoded: it contained an API key, redacted below]',
        ...redacted.split(/\r?\n/),
      );
      out.push('[end of decoded part]');
    } else {
      out.push(...run);
    }
    run = [];
  };
  for (const line of lines) {
    if (BASE64_LINE.test(line)) {
      run.push(line);
      continue;
    }
    flush();
    out.push(line);
  }
  flush();
  return redactApiKey(out.join('\n'));
}
