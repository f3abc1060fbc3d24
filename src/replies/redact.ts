/**
 * The last guard before text leaves the daemon: every line we compose passes through here, so
 * an API key that slipped into an echo, a note, an error sentence or a Subject never reaches a
 * mailbox. Well-formed keys (even glued to other text) keep their last group, as everywhere
 * (shared/redact.ts); on top of that, anything that merely starts like a key (a mistyped key is
 * still someone's secret, nearly) is hidden whole.
 */
import { redactApiKey } from '../shared/redact.ts';

const KEY_LIKE = /\bAPI-[0-9A-Za-z-]{4,}/gi;

/** `API-0123-4567-89AB-CDEF` -> `API-****-****-****-CDEF`; `API-oops-xyz` -> `[redacted]`. Idempotent. */
export function redactApiKeys(text: string): string {
  return redactApiKey(text).replace(KEY_LIKE, '[redacted]');
}
