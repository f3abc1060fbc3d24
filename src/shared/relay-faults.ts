/**
 * What can go wrong with the reply relay itself, whatever the mail (src/outbox classifies, the
 * metrics count them by these names): it is unreachable or drops us (`connection`), TLS fails
 * (`tls`), it refuses the session at its greeting (`greeting`), our login (`auth`), our envelope
 * sender (`sender`), relaying for us at all (`relaying`: 530, or "relay access denied", to every
 * recipient), or speaks no SMTP we understand (`protocol`); the outbox folder cannot be written
 * (`folder`); anything else nodemailer reports (`other`).
 */
export const RELAY_FAULTS = [
  'connection',
  'tls',
  'greeting',
  'auth',
  'sender',
  'relaying',
  'protocol',
  'folder',
  'other',
] as const;
export type RelayFault = (typeof RELAY_FAULTS)[number];
