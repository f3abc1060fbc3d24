/** What the mail room hands to the templates room and the worker. */

export interface MailAddress {
  /** Lower-cased. */
  readonly address: string;
  readonly name: string;
}

/**
 * The headers that matter for replying, threading and authorization. Whether to answer at all is
 * decided on the header block alone (`readReplyHeaders`, the reply rules' facts).
 */
export interface MailHeaders {
  readonly from?: MailAddress;
  readonly replyTo?: MailAddress;
  readonly to: readonly MailAddress[];
  readonly cc: readonly MailAddress[];
  readonly subject: string;
  /** With angle brackets, as written (`<abc@host>`). */
  readonly messageId?: string;
  readonly date?: Date;
  readonly inReplyTo?: string;
  readonly references: readonly string[];
  /** Top-level Content-Type, lower-cased, without parameters (`multipart/signed`...). */
  readonly contentType: string;
}

export type TextSource = 'body' | 'attachment' | 'html';

export interface TextBlock {
  readonly source: TextSource;
  readonly filename?: string;
  readonly contentType: string;
  readonly text: string;
  /** 1-based line where this block starts in `ExtractedMail.text`. */
  readonly firstLine: number;
}

/**
 * A message forwarded as a `message/rfc822` part, or written into a part below a forward's or an
 * unmarked quote's line (`-----Original Message-----`, `On ... wrote:` then lines without `>`):
 * read, but not for templates (see ExtractedMail.forwarded).
 */
export interface ForwardedMessage {
  /** Its Subject ('' when a forward written into the text names none). */
  readonly subject: string;
  /** The forwarded message's From address, lower-cased. */
  readonly from?: string;
  /** Its text, read as the outer message's is (LF line ends, no control characters). */
  readonly text: string;
  /** For one written into the text: the line it starts under, as written (trimmed, shortened). */
  readonly separator?: string;
  /**
   * For one written into the text: where, so that a reply can name the line a sender sees. The
   * part (the body, or an attachment by its file name), the separator's line in it and the line
   * of the part where `text` starts (1-based, as the part reads once decoded).
   */
  readonly written?: {
    readonly source: TextSource;
    readonly filename?: string;
    readonly separatorLine: number;
    readonly textLine: number;
  };
  /** Inside a message attached to the sender's (a forward within a forward): not the sender's own part. */
  readonly withinAttached?: boolean;
}

/** An attachment not read for templates (an image, a PDF, Outlook's winmail.dat): named when none is found. */
export interface UnreadAttachment {
  /** Lower-case, without parameters. */
  readonly contentType: string;
  readonly filename?: string;
}

export interface ExtractedMail {
  readonly headers: MailHeaders;
  /**
   * Every block, LF line ends, joined by a blank line: what the template parser reads. The
   * sender's own text: forwards and unmarked quotes written into a part are in `forwarded`.
   */
  readonly text: string;
  readonly blocks: readonly TextBlock[];
  /**
   * Messages forwarded as `message/rfc822` parts (nested ones too, up to three deep), and what
   * follows a forward's or an unmarked quote's line in a part (inline-forward.ts; the first such
   * line of each part: nested ones are in its text), never part of `text`. Their templates are
   * not applied: a forwarded message was written, and its templates
   * authorized, by someone else (another customer, a colleague without the key, a billing system
   * whose mail was already processed), and the forwarder's key or DKIM signature must not lend
   * them its authority. They are kept so that a message whose only templates sit in a forward is
   * told exactly that (E_FORWARDED_TEMPLATE) instead of "no template was found".
   */
  readonly forwarded: readonly ForwardedMessage[];
  /** Attachments not read for templates (neither text, nor HTML, nor a forward or signature). */
  readonly unread: readonly UnreadAttachment[];
  /** A PGP cleartext-signed body or a PGP/MIME signature was seen (not verified here). */
  readonly pgpSigned: boolean;
  /**
   * The body was read from its HTML: there was no text/plain part, or its text/plain alternative
   * held no template and the HTML did.
   */
  readonly htmlOnly: boolean;
}
