/**
 * The last guard before text leaves the daemon: every line we compose passes through here, so
 * an API key that slipped into an echo, a note, an error sentence or a Subject never reaches a
 * mailbox. Same rules as the template parser's redaction (the replies room may not import it):
 * a well-formed key keeps its last group, anything that merely starts like a key is hidden whole.
 */

const KEY_EXACT = /^API(?:-[0-9A-Fa-f]{4}){4,8}$/i;
const KEY_LIKE = /\bAPI-[0-9A-Za-z-]{4,}/gi;

function redactKey(key: string): string {
  const groups = key.split('-').slice(1);
  return ['API', ...groups.slice(0, -1).map(() => '****'), groups[groups.length - 1]].join('-');
}

/** `API-0123-4567-89AB-CDEF` -> `API-****-****-****-CDEF`; `API-oops-xyz` -> `[redacted]`. Idempotent. */
export function redactApiKeys(text: string): string {
  return text.replace(KEY_LIKE, (match) => (KEY_EXACT.test(match) ? redactKey(match) : '[redacted]'));
}
