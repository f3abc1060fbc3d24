/**
 * API keys must never reach a reply, a log line or the console in clear (DESIGN.md section 5).
 * Both the classic four-group form and the longer eight-group form are recognised.
 */

/**
 * Any API key in free text: `API-` then four to eight groups of four hex digits. No word
 * boundaries on purpose: a key glued to other characters must still be hidden.
 */
export const API_KEY_PATTERN = /API(?:-[0-9A-Fa-f]{4}){4,8}/gi;

/** `API-1234-5678-9ABC-DEF0` -> `API-****-****-****-DEF0`: enough to tell keys apart, useless to an attacker. */
export function redactKey(key: string): string {
  const groups = key.split('-').slice(1);
  const last = groups[groups.length - 1] ?? '';
  return ['API', ...groups.slice(0, -1).map(() => '****'), last.toUpperCase()].join('-');
}

/** Replaces every API key in `text` with its redacted form. */
export function redactApiKey(text: string): string {
  return text.replace(API_KEY_PATTERN, (key) => redactKey(key));
}

/** Anything that merely starts like a key: a mistyped key is still nearly someone's secret. */
const KEY_LIKE = /\bAPI-[0-9A-Za-z-]{4,}/gi;

/**
 * For text that leaves the daemon or is stored (echoes, replies, parse results): well-formed
 * keys keep their last group (`redactApiKey`), and anything else shaped like a key is hidden
 * whole as `[redacted]`. Idempotent.
 */
export function redactApiKeys(text: string): string {
  return redactApiKey(text).replace(KEY_LIKE, '[redacted]');
}
