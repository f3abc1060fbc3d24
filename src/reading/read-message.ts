/**
 * A stored message's bytes -> its mail (headers, text) and its templates parsed: the CPU-heavy
 * part of a job, pure, so that it can run in a thread of its own (pool.ts) or in place (lint).
 */
import { type ExtractedMail, extractMail } from '../mail/index.ts';
import type { Problem } from '../shared/index.ts';
import { parseSubmission, type SubmissionParse } from '../templates/index.ts';

export interface MessageReadOptions {
  readonly maxTemplates: number;
}

export type MessageReading =
  | { readonly ok: true; readonly mail: ExtractedMail; readonly parsed: SubmissionParse }
  /** The message could not be read (E_BAD_MIME, E_HTML_TOO_COMPLEX, E_MESSAGE_TOO_COMPLEX). */
  | { readonly ok: false; readonly problem: Problem };

export async function readMessage(raw: Buffer, options: MessageReadOptions): Promise<MessageReading> {
  const extracted = await extractMail(raw);
  if (!extracted.ok) return { ok: false, problem: extracted.error };
  const mail = extracted.value;
  const parsed = parseSubmission(
    // Forwarded messages are never read for templates; they only let a refusal say why.
    {
      subject: mail.headers.subject,
      text: mail.text,
      forwarded: mail.forwarded,
      parts: mail.blocks,
      unread: mail.unread,
    },
    { maxTemplates: options.maxTemplates },
  );
  return { ok: true, mail, parsed };
}
