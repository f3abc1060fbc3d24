/**
 * API keys must never reach a reply, a log line, a metric or the console in clear: a key
 * authorizes changes to whatever its account holds. Everything that shows or sends text goes
 * through `redactApiKeys` (or `redactApiKey`), which hide every key a person would read as one,
 * in any shape (key-shapes.ts has the rules), keeping only its last group.
 */
import { mayHoldKey, redactedKey, redactKeyShapes } from './key-shapes.ts';

/** `API-1234-5678-9ABC-DEF0` -> `API-****-****-****-DEF0`: enough to tell keys apart, useless to an attacker. */
export function redactKey(key: string): string {
  const groups = key.split('-').slice(1);
  return redactedKey(groups.map((g) => g.toUpperCase()));
}

/** Every key in `text`, in any shape a person would read as one, replaced by its redacted form. */
export function redactApiKey(text: string): string {
  return redactKeyShapes(text);
}

/** Anything that merely starts like a key: a mistyped key is still nearly someone's secret. */
const KEY_LIKE = /\bAPI-[0-9A-Za-z-]{4,}/gi;

/**
 * Whether what follows `API-` could be part of a key: a digit, or letters most of a key's
 * groups could be made of. Help text such as `API-XXXX-XXXX-XXXX-XXXX`, which spells the
 * format, is not (and must stay readable).
 */
function couldBeKey(tail: string): boolean {
  return /\d/.test(tail) || (tail.match(/[A-Fa-f]/g)?.length ?? 0) >= 8;
}

/**
 * For text that leaves the daemon or is stored (echoes, replies, parse results): keys in any
 * shape keep their last group (`redactApiKey`), and anything else that starts like a key
 * (`API-7F3A-9C2E`, a key cut short) is hidden whole as `[redacted]`. Idempotent.
 */
export function redactApiKeys(text: string): string {
  // Most text holds neither (one pass over it): no reading, no second scan for `API-`.
  if (!mayHoldKey(text)) return text;
  return redactApiKey(text).replace(KEY_LIKE, (like) => (couldBeKey(like.slice(4)) ? '[redacted]' : like));
}
