/**
 * Mail: raw MIME -> text blocks and the headers that matter. Pure (no I/O).
 * Error codes: E_BAD_MIME.
 */
export { extractMail } from './extract.ts';
export { type ReplyHeaders, readReplyHeaders } from './headers.ts';
export { stripCleartextSignature } from './pgp.ts';
export type {
  ExtractedMail,
  MailAddress,
  MailHeaders,
  TextBlock,
  TextSource,
} from './types.ts';
