/**
 * Reply mails for one submission, rendered by mime.ts (byte for byte what nodemailer's
 * MailComposer would write, without its streams): no network, no clock unless `date` is left out. `digest` (default) answers once with
 * every block; `per-template` answers once per template, the way the registry's own processor did,
 * for billing systems written against it. A message refused as a whole gets one reply in either style.
 */
import type { Config, ReplyStyle } from '../config/index.ts';
import { messageIdsIn } from '../shared/index.ts';
import { firstAddress } from './addresses.ts';
import { digestBody, oneLine, singleBody } from './layout.ts';
import { replyMessageId } from './message-id.ts';
import {
  crlfLines,
  renderMailWithAttachments,
  renderTextMail,
  type TextMail,
  type TextMailHeaders,
} from './mime.ts';
import { headerHoldsKey, keyFreeHeaders } from './redact.ts';
import { serviceBody, serviceStatus } from './services.ts';
import { fill, type ReplyTexts } from './texts.ts';
import {
  type OutgoingMail,
  type ReplyRequest,
  type TemplateReport,
  type TemplateStatus,
  worstStatus,
} from './types.ts';

export interface ComposeOptions {
  readonly style: ReplyStyle;
  /** The From header, e.g. `hostmaster@registry.example` or `Hostmaster <hostmaster@registry.example>`. */
  readonly from: string;
  /** Right-hand side of our Message-IDs. */
  readonly hostname: string;
  readonly texts: ReplyTexts;
  /** The Date header; now when left out. Fixed in tests so a mail is reproducible byte for byte. */
  readonly date?: Date;
  /**
   * Marks a later answer to the same submission (a staff reprocess or override: e.g. the job id),
   * so it gets its own stable Message-ID instead of being taken for a resend of the first reply.
   */
  readonly tag?: string;
}

/** The composer's options as the configuration sets them; our Message-IDs end in REPLY_FROM's domain. */
export function composeOptionsFor(config: Config, texts: ReplyTexts): ComposeOptions {
  const address = firstAddress(config.replies.from) ?? config.replies.from;
  return {
    style: config.replies.style,
    from: config.replies.from,
    hostname: address.slice(address.lastIndexOf('@') + 1) || 'localhost',
    texts,
  };
}

/** The headers every mail we send carries, and their meaning (docs/reply-format.md). */
export const HEADER_STATUS = 'X-Hostmaster-Status';
export const HEADER_SUBMISSION = 'X-Hostmaster-Submission';
export const HEADER_TICKET = 'X-Hostmaster-Ticket';
export const HEADER_TEMPLATE = 'X-Hostmaster-Template';
/** A dry run's answer: every rule was run, nothing was kept (docs/reply-format.md, "Dry runs"). */
export const HEADER_DRY_RUN = 'X-Hostmaster-Dry-Run';
/** A later answer after a staff action: the Message-ID of the reply it replaces (RFC 2156's name). */
export const HEADER_SUPERSEDES = 'Supersedes';

const STATUS_SUFFIX = / --(?:APPROVED|REJECTED|PENDING_REVIEW)$/;

/** The original subject without "Re:" prefixes or our own status suffix, so threads do not grow "Re: Re:". */
export function baseSubject(original: string | undefined): string {
  let subject = oneLine(original ?? '');
  for (;;) {
    const next = subject
      .replace(/^(?:re|aw|sv|antw)\s*:\s*/i, '')
      .replace(STATUS_SUFFIX, '')
      .trim();
    if (next === subject) return subject;
    subject = next;
  }
}

function subjectFor(
  request: ReplyRequest,
  texts: ReplyTexts,
  style: ReplyStyle,
  status: TemplateStatus | string,
): string {
  const base =
    (request.withoutOriginalText ? '' : baseSubject(request.originalSubject)) ||
    fill(texts.phrases['subject.no-subject'], { submission: oneLine(request.submissionId) });
  const key = style === 'per-template' ? 'subject.per-template' : 'subject.digest';
  return oneLine(fill(texts.phrases[key], { subject: base, status }));
}

/**
 * A block for a sender who did not prove who they are: nothing they wrote (no echo, and of what
 * staff changed, which fields only: the values before were theirs).
 */
function withoutTheirText(report: TemplateReport): TemplateReport {
  const { edited, ...rest } = report;
  const notShown = ['(not shown)'];
  return {
    ...rest,
    echo: '',
    ...(edited
      ? { edited: { changes: edited.changes.map((c) => ({ ...c, before: notShown, after: notShown })) } }
      : {}),
  };
}

/**
 * In-Reply-To and References: the original's id after its own references, each once. Ids that
 * hold an API key are left out (a billing system may build them from its key): a redacted id
 * would thread nothing, and the key itself must not leave in a reply: it would sit in every
 * mailbox and archive the reply reaches.
 */
function threading(request: ReplyRequest): ThreadingFields {
  if (request.withoutOriginalText) return {};
  return threadingFields(request.originalMessageId, request.originalReferences);
}

/** The threading fields of a mail we send: absent when there is nothing to thread on. */
export interface ThreadingFields {
  readonly inReplyTo?: string;
  readonly references?: string[];
}

/**
 * The threading fields of every mail we send in answer to a message (replies, acknowledgements,
 * validation answers, staff answers): In-Reply-To the original's Message-ID, References the
 * original's references then that id, each once, each written `<left@right>`. The one rule for
 * all of them: an id we cannot write validly (threadable) is left out of both fields, so a reader
 * never sees an id in References that In-Reply-To dropped, or the other way round. The
 * Message-ID is read as a msg-id (`<a@b> (sent by X)` names `<a@b>`: a comment is no part of it);
 * the references come as the mail room reads them, id by id.
 */
export function threadingFields(
  originalMessageId: string | undefined,
  originalReferences: readonly string[] = [],
): ThreadingFields {
  const original = originalMessageId === undefined ? undefined : messageIdOf(originalMessageId);
  const inReplyTo = original !== undefined && threadable(original) ? original : undefined;
  const references = [...originalReferences, ...(original !== undefined ? [original] : [])]
    .map((r) => messageIdOf(r))
    .filter((r, i, all): r is string => r !== undefined && all.indexOf(r) === i && threadable(r));
  return {
    ...(inReplyTo ? { inReplyTo } : {}),
    ...(references.length ? { references } : {}),
  };
}

/**
 * The message id a Message-ID field's value names, `<left@right>`: its first msg-id, comments and
 * spaces around it passed over (mailparser keeps `<a@b> (comment)` whole, with a `>` added). A
 * value kept without its brackets (`a@b`) is read as if it had them; anything else names no id.
 */
function messageIdOf(value: string): string | undefined {
  const trimmed = value.trim();
  const [id] = messageIdsIn(trimmed);
  if (id !== undefined) return id;
  return /^[^<>()\s"]+$/.test(trimmed) ? messageIdsIn(`<${trimmed}>`)[0] : undefined;
}

/**
 * A message id as RFC 5322 writes one, `<left@right>`: a bare word of a References field (`garbage
 * without brackets <r1@x>`), which the reading wraps in brackets as mailparser does, is no id.
 * Printable ASCII only: RFC 5322's msg-id is ASCII, and a UTF-8 id (RFC 6532, a message sent over
 * SMTPUTF8, or a client that writes raw bytes) cannot be written in our mail, whose headers are
 * ASCII: raw it is invalid 8-bit in a header, and nodemailer encodes it as an encoded-word (in
 * References, twice over), which no reader takes for that id. Left out, it threads nothing.
 * Asked with or without its brackets (the console keeps a submission's id as it was received).
 */
const MESSAGE_ID_INSIDE = /^[\x21-\x3b\x3d\x3f\x41-\x7e]+@[\x21-\x3b\x3d\x3f\x41-\x7e]+$/;

/**
 * The longest id (in bytes) a header line can hold: RFC 5322 allows 998 characters a line, and an
 * id cannot be folded inside, so it must fit beside the longer field name (`In-Reply-To: `).
 */
const LONGEST_ID_BYTES = 998 - 'In-Reply-To: '.length;

/**
 * An id we may name in In-Reply-To or References: a message id (`<left@right>`) of printable
 * ASCII that fits on one header line, no API key in it. Printable ASCII also keeps out every
 * control character and line separator (a Message-ID holds neither; written raw into our header,
 * `<a<LS>Status: ...>` would be a line of the sender's for a reader that ends lines at LS). Left
 * out, it threads nothing.
 */
export function threadable(id: string): boolean {
  const inside = id.replace(/^<(.*)>$/s, '$1');
  return MESSAGE_ID_INSIDE.test(inside) && inside.length + 2 <= LONGEST_ID_BYTES && !headerHoldsKey(id);
}

interface MailParts {
  readonly messageId: string;
  readonly subject: string;
  readonly body: string;
  readonly headers: TextMailHeaders;
}

function build(request: ReplyRequest, options: ComposeOptions, parts: MailParts): OutgoingMail {
  const recipient = firstAddress(request.to) ?? request.to.trim();
  const raw = renderTextMail(textMail(request, options, parts));
  return { messageId: parts.messageId, kind: 'reply', envelopeFrom: '', recipients: [recipient], raw };
}

function textMail(request: ReplyRequest, options: ComposeOptions, parts: MailParts): TextMail {
  // keyFreeHeaders: a key in the Subject or in a Reply-To address stays out of our headers.
  return keyFreeHeaders({
    from: options.from,
    to: request.to,
    subject: parts.subject,
    messageId: parts.messageId,
    date: options.date ?? new Date(),
    ...threading(request),
    headers: {
      'Auto-Submitted': 'auto-replied',
      // Asks Exchange-style servers not to answer our answer with an out-of-office note.
      'X-Auto-Response-Suppress': 'All',
      [HEADER_SUBMISSION]: oneLine(request.submissionId),
      ...(request.supersedes ? { [HEADER_SUPERSEDES]: oneLine(request.supersedes) } : {}),
      ...(request.dryRun ? { [HEADER_DRY_RUN]: 'yes' } : {}),
      ...parts.headers,
    },
    text: crlfLines(parts.body),
  });
}

/** The answer to HELP or to a request for blank forms: one mail in either style, forms attached. */
async function buildService(request: ReplyRequest, options: ComposeOptions): Promise<OutgoingMail> {
  const answer = request.service!;
  const status = serviceStatus(answer);
  const parts: MailParts = {
    messageId: replyMessageId(
      request.submissionId,
      options.hostname,
      options.tag ? { tag: options.tag } : {},
    ),
    subject: subjectFor(request, options.texts, 'digest', status),
    body: serviceBody(request, answer, options.texts),
    headers: { [HEADER_STATUS]: status },
  };
  const recipient = firstAddress(request.to) ?? request.to.trim();
  const mail = textMail(request, options, parts);
  const raw =
    answer.kind === 'forms' && answer.attached.length > 0
      ? await renderMailWithAttachments(
          mail,
          answer.attached.map((form) => ({ filename: `${form.name}.txt`, text: form.text })),
        )
      : renderTextMail(mail);
  return { messageId: parts.messageId, kind: 'reply', envelopeFrom: '', recipients: [recipient], raw };
}

/**
 * The reply mails answering one submission: one in `digest` style or for a refusal, else one per
 * template. Synchronous work; a Promise still, as the worker's context expects one.
 */
export async function composeReplies(
  request: ReplyRequest,
  options: ComposeOptions,
): Promise<OutgoingMail[]> {
  const { texts, hostname } = options;
  if (request.service) return [await buildService(request, options)];
  const templates = [...request.templates]
    .sort((a, b) => a.index - b.index)
    .map((t) => (request.withoutOriginalText ? withoutTheirText(t) : t));
  if (options.style === 'digest' || request.refusal || templates.length === 0) {
    const status = request.refusal ? 'REJECTED' : worstStatus(templates.map((t) => t.status));
    return [
      build(request, options, {
        messageId: replyMessageId(request.submissionId, hostname, options.tag ? { tag: options.tag } : {}),
        subject: subjectFor(request, texts, options.style, status),
        body: digestBody({ ...request, templates }, texts),
        headers: { [HEADER_STATUS]: status },
      }),
    ];
  }
  return templates.map((report) => buildSingle(request, report, options));
}

/**
 * A reply of another shape than template blocks (an acknowledgement): the headers, Subject
 * (`Re: <subject>`, as a digest's), threading and Message-ID every reply to the submission has.
 */
export function composeOtherReply(
  request: ReplyRequest,
  options: ComposeOptions,
  parts: { readonly body: string; readonly headers: Readonly<Record<string, string>> },
): OutgoingMail {
  return build(request, options, {
    messageId: replyMessageId(
      request.submissionId,
      options.hostname,
      options.tag ? { tag: options.tag } : {},
    ),
    subject: subjectFor(request, options.texts, 'digest', ''),
    body: parts.body,
    headers: parts.headers,
  });
}

function buildSingle(request: ReplyRequest, report: TemplateReport, options: ComposeOptions): OutgoingMail {
  const ticket = report.ticket ? oneLine(report.ticket) : '';
  return build(request, options, {
    messageId: replyMessageId(request.submissionId, options.hostname, {
      templateIndex: report.index,
      ...(options.tag ? { tag: options.tag } : {}),
    }),
    subject: subjectFor(request, options.texts, 'per-template', report.status),
    body: singleBody(request, report, options.texts),
    headers: {
      [HEADER_STATUS]: report.status,
      [HEADER_TEMPLATE]: `${report.index} of ${report.total}`,
      ...(ticket ? { [HEADER_TICKET]: ticket } : {}),
    },
  });
}
