/**
 * Reply mails for one submission, rendered by mime.ts (byte for byte what nodemailer's
 * MailComposer would write, without its streams): no network, no clock unless `date` is left out. `digest` (default) answers once with
 * every block; `per-template` answers once per template, the way the registry's own processor did,
 * for billing systems written against it. A message refused as a whole gets one reply in either style.
 */
import type { Config, ReplyStyle } from '../config/index.ts';
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
function threading(request: ReplyRequest): { inReplyTo?: string; references?: string[] } {
  if (request.withoutOriginalText) return {};
  const original = request.originalMessageId?.trim();
  const inReplyTo = original && threadable(original) ? original : undefined;
  const references = [...(request.originalReferences ?? []), ...(original ? [original] : [])]
    .map((r) => r.trim())
    .filter((r, i, all) => r !== '' && all.indexOf(r) === i && threadable(r));
  return {
    ...(inReplyTo ? { inReplyTo } : {}),
    ...(references.length ? { references } : {}),
  };
}

/**
 * A message id as RFC 5322 writes one, `<left@right>`: a bare word of a References field (`garbage
 * without brackets <r1@x>`), which the reading wraps in brackets as mailparser does, is no id.
 * Asked with or without its brackets (the console keeps a submission's id as it was received).
 */
const MESSAGE_ID_INSIDE = /^[^<>@\s]+@[^<>@\s]+$/;

/**
 * The longest id (in bytes) a header line can hold: RFC 5322 allows 998 characters a line, and an
 * id cannot be folded inside, so it must fit beside the longer field name (`In-Reply-To: `).
 */
const LONGEST_ID_BYTES = 998 - 'In-Reply-To: '.length;

/**
 * An id we may name in In-Reply-To or References: a message id (`<left@right>`) that fits on one
 * header line, no API key in it, and no control character or line separator (a Message-ID holds
 * neither; written raw into our header, `<a<LS>Status: ...>` would be a line of the sender's for
 * a reader that ends lines at LS). Left out, it threads nothing.
 */
export function threadable(id: string): boolean {
  const inside = id.replace(/^<(.*)>$/s, '$1');
  return (
    MESSAGE_ID_INSIDE.test(inside) &&
    Buffer.byteLength(inside) + 2 <= LONGEST_ID_BYTES &&
    !headerHoldsKey(id) &&
    !/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/.test(id)
  );
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
