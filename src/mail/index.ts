/**
 * Mail: raw MIME -> text blocks and the headers that matter. Pure (no I/O). Plain mail is read by
 * plain-mime.ts, the rest by mailparser (loaded then); both give the same reading (reading.ts).
 * Error codes: E_BAD_MIME, E_HTML_TOO_COMPLEX (HTML past HTML_LIMITS, and nothing else to read).
 */

export { MAX_LOOKUPS, namedOfOurs, ownWords, ticketsIn } from './answer-hints.ts';
export { type CharsetGuess, decodeText, guessCharset } from './decode.ts';
export {
  type DeliveryClient,
  type DeliveryDecision,
  decideDelivery,
  deliveriesOf,
  deliveryDigest,
  type StoredDelivery,
  standsForTheMessage,
  undecidedDelivery,
} from './delivery-digest.ts';
export { type DryRunFacts, dryRunRequest, envelopeDryRunAddress } from './dry-run.ts';
export { extractMail } from './extract.ts';
export { type FormsRequest, readFormsRequest } from './forms-request.ts';
export {
  type HeaderFieldLines,
  type HeaderSection,
  headerBlock,
  headerFieldLines,
  headerSection,
  unfoldedValue,
} from './header-block.ts';
export { headerFields, type ReplyHeaders, readReplyHeaders } from './headers.ts';
export { isHelpRequest } from './help-request.ts';
export { HTML_LIMITS, type HtmlLimits } from './html-limits.ts';
export { textWithInlineForwards } from './inline-forward.ts';
export { type MessageHead, readMessageHead, storableHeaderValue } from './message-head.ts';
export { stripCleartextSignature } from './pgp.ts';

export type {
  ExtractedMail,
  MailAddress,
  MailHeaders,
  TextBlock,
  TextSource,
  UnreadAttachment,
} from './types.ts';
