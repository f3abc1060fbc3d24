/**
 * The last guard before text leaves the daemon: every line we compose passes through
 * `redactApiKeys` (src/shared/redact.ts), and every header of every mail we write through
 * `keyFreeHeaders`, so an API key that slipped into an echo, a note, an error sentence, a
 * Subject, a Message-ID or an address never reaches a mailbox.
 */
import { redactApiKeys } from '../shared/index.ts';
import type { TextMail } from './mime.ts';

/** Whether a header value holds anything a person would read as a key (or the start of one). */
export const headerHoldsKey = (value: string): boolean => redactApiKeys(value) !== value;

/**
 * What the To header says when an address holds a key (`API-7F3A-...@isp.example` in a
 * Reply-To): the mail still goes to that address (the envelope names it: the owner of the
 * mailbox knows the key), but no header we write, store and show carries it. An empty group,
 * as RFC 5322 section 3.4 allows for recipients not shown.
 */
export const UNDISCLOSED_RECIPIENTS = 'undisclosed-recipients:;';

/** The To header for these recipients: themselves, or UNDISCLOSED_RECIPIENTS if any holds a key. */
export function headerRecipients<T extends string | readonly string[]>(to: T): T | string {
  const all: readonly string[] = typeof to === 'string' ? [to] : to;
  return all.some(headerHoldsKey) ? UNDISCLOSED_RECIPIENTS : to;
}

/**
 * The mail with keys out of every header: the Subject and our X- fields redacted, the To
 * header undisclosed, message ids holding a key left out of threading (a redacted id would
 * thread nothing). The body is the composer's business (layout.ts redacts every line).
 */
export function keyFreeHeaders(mail: TextMail): TextMail {
  const headers = mail.headers
    ? Object.fromEntries(Object.entries(mail.headers).map(([name, value]) => [name, redactApiKeys(value)]))
    : undefined;
  const references = mail.references?.filter((id) => !headerHoldsKey(id));
  const { inReplyTo: _, references: __, headers: ___, ...rest } = mail;
  return {
    ...rest,
    to: headerRecipients(mail.to),
    subject: redactApiKeys(mail.subject),
    ...(mail.inReplyTo !== undefined && !headerHoldsKey(mail.inReplyTo) ? { inReplyTo: mail.inReplyTo } : {}),
    ...(references?.length ? { references } : {}),
    ...(headers ? { headers } : {}),
  };
}
