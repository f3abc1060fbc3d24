/**
 * The last guard before text leaves the daemon: every line we compose passes through
 * `redactApiKeys` (src/shared/redact.ts), so an API key that slipped into an echo, a note, an
 * error sentence or a Subject never reaches a mailbox.
 */
export { redactApiKeys } from '../shared/redact.ts';
