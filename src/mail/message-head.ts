/**
 * The cheap look at a raw message the ingress (and `submit`) needs before storing it: is it a
 * mail at all, and its Message-ID, From address and Subject. Only the header block is parsed
 * (never the body, which may be megabytes), and nothing here decides anything about templates.
 * Pure, so it lives in the mail room: `submit` reads it before it knows whether it stores the
 * message itself, without loading the ingress room's storage.
 */
import { fail, lazyPackage, ok, problem, type Result } from '../shared/index.ts';
import { headerBlock } from './header-block.ts';
import { readPlainHead } from './plain-mime.ts';
import type { HeaderReading } from './reading.ts';

/**
 * Loaded on first use (see shared's lazyPackage), and only for a header block the mail room's
 * plain reader leaves to it (encoded words, 8-bit bytes...): `submit` of plain mail loads no
 * mailparser, and reads the same values it would.
 */
const mailparser = lazyPackage<typeof import('mailparser')>('mailparser');

async function readHead(head: Buffer): Promise<HeaderReading> {
  const plain = readPlainHead(head);
  if (plain) return plain;
  return await mailparser().simpleParser(Buffer.concat([head, Buffer.from('\r\n\r\n')]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
  });
}

/** The head's values from a header reading: what readMessageHead stores. */
function headValues(parsed: HeaderReading): MessageHead {
  const from = parsed.from?.value.find((a) => a.address)?.address?.toLowerCase();
  return {
    messageId: storableHeaderValue((parsed.messageId ?? '').trim()),
    fromAddress: from === undefined ? undefined : storableHeaderValue(from),
    subject: parsed.subject === undefined ? undefined : storableHeaderValue(parsed.subject),
  };
}

export interface MessageHead {
  /** As written, angle brackets included; '' when the message has none. */
  readonly messageId: string;
  /** The first address of the From header, lower-cased; undefined when there is none. */
  readonly fromAddress: string | undefined;
  readonly subject: string | undefined;
}

/**
 * A header value as the database can keep it: PostgreSQL text holds no NUL (a header may, and a
 * decoded encoded-word may carry one), and an index entry holds at most about 2.7 KB (the
 * Message-ID is indexed; RFC 6532 lets it be non-ASCII, so 998 characters can be 3 KB).
 * Without this a stray byte made every try fail and the sender's MTA hear "try again" for days.
 */
export function storableHeaderValue(value: string, maxBytes = 998): string {
  const clean = value.replaceAll('\0', '').toWellFormed();
  if (Buffer.byteLength(clean) <= maxBytes) return clean;
  let bytes = 0;
  let end = 0;
  for (const character of clean) {
    bytes += Buffer.byteLength(character);
    if (bytes > maxBytes) break;
    end += character.length;
  }
  return clean.slice(0, end);
}

/** A header field line: a name of printable characters except ':', then ':'. */
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+:/;
/** Headers longer than this are not a mail we want (and would be costly to parse). */
const MAX_HEADER_BYTES = 256 * 1024;

/** Whether the bytes hold anything but white space; stops at the first that is not (no copy of a large message). */
function isBlank(raw: Buffer): boolean {
  for (const byte of raw) {
    // What String.prototype.trim drops among single bytes: TAB, LF, VT, FF, CR, space, NBSP (latin1).
    if (!(byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) || byte === 0xa0)) return false;
  }
  return true;
}

/** E_EMPTY_MESSAGE / E_NOT_A_MAIL / E_MESSAGE_TOO_LARGE are permanent: sending again will not help. */
export async function readMessageHead(raw: Buffer, maxBytes: number): Promise<Result<MessageHead>> {
  if (raw.length === 0 || isBlank(raw)) {
    return fail(problem('E_EMPTY_MESSAGE', 'the message is empty'));
  }
  if (raw.length > maxBytes) {
    return fail(
      problem('E_MESSAGE_TOO_LARGE', `the message is ${raw.length} bytes; the limit is ${maxBytes} bytes`),
    );
  }
  const head = headerBlock(raw);
  if (head.length > MAX_HEADER_BYTES) {
    return fail(problem('E_NOT_A_MAIL', `the message headers are longer than ${MAX_HEADER_BYTES} bytes`));
  }
  const firstLine = head.toString('latin1').split(/\r?\n/, 1)[0] ?? '';
  if (!FIELD_LINE.test(firstLine)) {
    return fail(
      problem(
        'E_NOT_A_MAIL',
        'this is not an e-mail message: it does not start with header lines such as From:',
      ),
    );
  }
  try {
    return ok(headValues(await readHead(head)));
  } catch (error) {
    return fail(problem('E_NOT_A_MAIL', `the message headers cannot be read: ${(error as Error).message}`));
  }
}
