/**
 * What a message names of our mail, read from the message alone (pure: no database). The worker
 * checks these against the outbox and the tickets (src/worker/answers-to-us.ts); lint, offline,
 * only says what it found.
 */
import type { ExtractedMail } from './types.ts';

/** `20261122-X0000041`, as our tickets are numbered (src/registry/tickets.ts). */
const TICKET_NUMBER = /\b(\d{8}-X\d{7})\b/g;

/** At most this many ids or ticket numbers are looked up per message: a reply names a few. */
export const MAX_LOOKUPS = 20;

/** The lines the sender wrote: up to the first quote header, without quoted (`>`) lines. */
export function ownWords(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const trimmed = line.trim();
    if (/^-{2,}\s*(original message|forwarded message)/i.test(trimmed)) break;
    if (/^on .{0,200}wrote:$/i.test(trimmed)) break;
    if (trimmed.startsWith('>')) continue;
    lines.push(line);
  }
  return lines;
}

/** Our ticket numbers in a text, each once, at most MAX_LOOKUPS. */
export function ticketsIn(text: string): string[] {
  return [...new Set([...text.matchAll(TICKET_NUMBER)].map((m) => m[1]!))].slice(0, MAX_LOOKUPS);
}

/**
 * What a message names that could make it an answer to our mail, without asking the database:
 * the Message-IDs it answers and the ticket numbers in its Subject and own words (lint says so
 * offline; the worker checks them against the outbox and the tickets).
 */
export function namedOfOurs(mail: {
  readonly headers: Pick<ExtractedMail['headers'], 'inReplyTo' | 'references' | 'subject'>;
  readonly text: string;
}): { readonly messageIds: number; readonly tickets: readonly string[] } {
  const ids = new Set([mail.headers.inReplyTo ?? '', ...mail.headers.references].map((r) => r.trim()));
  ids.delete('');
  const tickets = [
    ...new Set([...ticketsIn(mail.headers.subject), ...ticketsIn(ownWords(mail.text).join('\n'))]),
  ];
  return { messageIds: ids.size, tickets };
}
