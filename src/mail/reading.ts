/**
 * What the mail room reads of a parsed message: the header values headers.ts turns into
 * MailHeaders, the body text, and each attachment's bytes. Both readers hand over this shape:
 * plain-mime.ts for the common case (plain text, no HTML) and mailparser for everything else,
 * so extract.ts cannot tell which one read a message, and the differential test
 * (src/mail/plain-mime.test.ts) compares them field by field.
 */
import type { Attachment, ParsedMail } from 'mailparser';

/** One address of an address header, or a group of them (as nodemailer's addressparser gives it). */
export interface ListedAddress {
  readonly address?: string | undefined;
  readonly name: string;
  readonly group?: readonly ListedAddress[] | undefined;
}

/** One address header (To may appear several times: one list for each). */
export interface AddressList {
  readonly value: readonly ListedAddress[];
}

/** A header field as written: lower-case name, and its lines (folding kept, joined by CRLF). */
export interface HeaderLine {
  readonly key: string;
  readonly line: string;
}

/** The top-level header values, decoded as mailparser decodes them (its first field where it keeps one). */
export interface HeaderReading {
  readonly headerLines: readonly HeaderLine[];
  readonly from?: AddressList | undefined;
  readonly to?: AddressList | readonly AddressList[] | undefined;
  readonly cc?: AddressList | readonly AddressList[] | undefined;
  readonly replyTo?: AddressList | undefined;
  readonly subject?: string | undefined;
  readonly messageId?: string | undefined;
  readonly inReplyTo?: string | undefined;
  readonly references?: string | readonly string[] | undefined;
  /** Read by headers.ts only when the Date field itself parses (mailparser puts "now" in place of a bad one). */
  readonly date?: Date | undefined;
}

/** A part that is not body text: its transfer-decoded bytes, not decoded from their charset. */
export interface AttachmentReading {
  /** Lower-case, without parameters. */
  readonly contentType: string;
  readonly filename?: string | undefined;
  readonly size: number;
  readonly content: Buffer;
  /** The Content-Type's charset parameter, as written. */
  readonly charset?: string | undefined;
}

export interface MailReading extends HeaderReading {
  /** The inline text/plain parts, decoded, LF line ends, joined by a line feed; undefined when there is none. */
  readonly text?: string | undefined;
  /** The HTML parts (mailparser's joining); undefined when there is none. */
  readonly html?: string | undefined;
  readonly attachments: readonly AttachmentReading[];
}

function charsetOf(att: Attachment): string | undefined {
  const ct = att.headers.get('content-type');
  if (ct && typeof ct === 'object' && 'params' in ct && !Array.isArray(ct)) {
    const charset = (ct as { params: Record<string, string> }).params.charset;
    return charset || undefined;
  }
  return undefined;
}

/** mailparser's result as the mail room reads it. */
export function fromParsedMail(parsed: ParsedMail): MailReading {
  return {
    headerLines: parsed.headerLines,
    from: parsed.from,
    to: parsed.to,
    cc: parsed.cc,
    replyTo: parsed.replyTo,
    subject: parsed.subject,
    messageId: parsed.messageId,
    inReplyTo: parsed.inReplyTo,
    references: parsed.references,
    date: parsed.date,
    text: typeof parsed.text === 'string' ? parsed.text : undefined,
    html: typeof parsed.html === 'string' ? parsed.html : undefined,
    attachments: (parsed.attachments ?? []).map((att) => ({
      contentType: att.contentType,
      filename: att.filename,
      size: att.size,
      content: att.content,
      charset: charsetOf(att),
    })),
  };
}
