/**
 * Reads our replies back into values, as a billing system does: the tests check what was sent
 * through it. The daemon never reads a reply, so this lives with the tests. It reads exactly the
 * shape src/replies/layout.ts writes (docs/reply-format.md) and tolerates what mail transport
 * does to text (CRLF, quoted-printable, lines we may add later inside a block); a billing system
 * may take it as a model.
 */
import { simpleParser } from 'mailparser';
import {
  CONTRACT_LABELS,
  DRY_RUN_LABEL,
  EDITED_LABEL,
  FORM_LABEL,
  NOT_APPLIED_LABEL,
  RECEIVED_STATUS,
  type ReplyLabels,
  SERVICE_STATUSES,
  type ServiceStatus,
  SUPERSEDES_LABEL,
  TEMPLATE_STATUSES,
  type TemplateStatus,
  UNKNOWN_FORM_LABEL,
  worstStatus,
} from '../../src/replies/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../../src/shared/index.ts';

/** A reply's status: its templates' worst, or RECEIVED for an answer to our mail passed to staff. */
export type ReplyStatus = TemplateStatus | typeof RECEIVED_STATUS;

export interface ParsedProblem {
  readonly code: string;
  readonly field?: string;
  readonly line?: number;
  readonly message: string;
}

export interface ParsedBlock {
  readonly index: number;
  readonly total: number;
  readonly form: string;
  readonly ticket?: string;
  readonly status: TemplateStatus;
  readonly handles: readonly string[];
  readonly errors: readonly ParsedProblem[];
  readonly notes: readonly string[];
  /** `Edited:` lines: staff corrected the template before it ran (present only then). */
  readonly edits?: readonly ParsedEdit[];
}

/** One `Edited: field 11 (Customer Country Code): XX -> US` line (`form: ...` for the Template: line). */
export interface ParsedEdit {
  /** The field's number; absent for the form line. */
  readonly field?: string;
  readonly label?: string;
  /** As shown: the value, `(none)` for a blank field, `(2 lines)` for a field of several lines. */
  readonly before: string;
  readonly after: string;
  /** A field of several lines: each line of a side that has several (`  - ` and `  + ` lines). */
  readonly lines?: { readonly before: readonly string[]; readonly after: readonly string[] };
}

const EDITED_LINE = /^(?:field (\S+) \((.*?)\)|form): (.*?) -> (.*)$/;

/** `field 11 (Customer Country Code): XX -> US` -> its parts. */
export function parseEditedLine(text: string): ParsedEdit | undefined {
  const match = EDITED_LINE.exec(text);
  if (!match) return undefined;
  const [, field, label, before, after] = match as unknown as [
    string,
    string | undefined,
    string | undefined,
    string,
    string,
  ];
  return { ...(field ? { field, label: label ?? '' } : {}), before, after };
}

/** One template quoted back under its heading: the heading as written, the lines without `> n | `. */
export interface QuotedTemplate {
  readonly heading: string;
  readonly lines: readonly string[];
}

/**
 * The quoted templates of a reply's text, in order: each heading line (the one before the first
 * `> 1 | ` line) and its lines as quoted. Prose, not contract: for tests that check what a reply
 * says the sender sent.
 */
export function quotedTemplates(text: string): QuotedTemplate[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: { heading: string; lines: string[] }[] = [];
  let open: { heading: string; lines: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const quoted = /^> +(\d+) \|(?: (.*))?$/.exec(lines[i]!);
    if (!quoted) {
      open = undefined;
      continue;
    }
    if (quoted[1] === '1' || !open) {
      open = { heading: lines[i - 1] ?? '', lines: [] };
      out.push(open);
    }
    open.lines.push(quoted[2] ?? '');
  }
  return out;
}

/** Headers of a reply, when a whole message was parsed. */
export interface ParsedReplyHeaders {
  readonly messageId?: string;
  readonly inReplyTo?: string;
  readonly references: readonly string[];
  readonly subject?: string;
  /** The To addresses, as mailparser reads them (a quoted local part keeps its quotes). */
  readonly to: readonly string[];
  readonly status?: ReplyStatus;
  readonly autoSubmitted?: string;
  readonly submissionId?: string;
  /** The `Supersedes` header: the Message-ID of the reply this one replaces. */
  readonly supersedes?: string;
  /** `X-Hostmaster-Status: HELP` or `FORMS`: a service answered, not the template processor. */
  readonly service?: ServiceStatus;
  /** `X-Hostmaster-Dry-Run: yes`. */
  readonly dryRun?: boolean;
  /** Text attachments (blank forms), by file name. */
  readonly attachments: readonly { readonly filename: string; readonly text: string }[];
}

export interface ParsedReply {
  /** The first line, as written. */
  readonly summary: string;
  /** REJECTED for a refusal, RECEIVED for an acknowledgement, else the worst status of the blocks. */
  readonly status: ReplyStatus;
  /** An acknowledgement (RECEIVED): the tickets the message we received answers. */
  readonly tickets?: readonly string[];
  readonly submissionId?: string;
  /** A later answer after a staff action: the Message-ID of the reply it replaces. */
  readonly supersedes?: string;
  readonly refusal?: ParsedProblem;
  /** Templates someone else wrote (quoted, forwarded) that were not applied (`Not-applied:` lines). */
  readonly notApplied?: readonly ParsedProblem[];
  /** `Dry-run: yes`: nothing was changed; the statuses say what a real run would have done. */
  readonly dryRun?: boolean;
  /** The blank forms a forms answer says it attached (`Form:` lines). */
  readonly forms?: readonly string[];
  /** Names asked for that are no form of ours, with the nearest names (`Unknown-form:` lines). */
  readonly unknownForms?: readonly { readonly asked: string; readonly nearest: readonly string[] }[];
  readonly blocks: readonly ParsedBlock[];
  readonly headers?: ParsedReplyHeaders;
}

export interface ParseReplyOptions {
  /** The block words; the contract's unless a deployment reworded `phrases.txt`. */
  readonly labels?: ReplyLabels;
}

const PROBLEM_LINE = /^(E_[A-Z0-9_]+)(?: field (\S+))?(?: line (\d+))?: (.*)$/;

/** `E_CODE field 03 line 7: sentence` -> its parts. */
export function parseProblemLine(text: string): ParsedProblem | undefined {
  const match = PROBLEM_LINE.exec(text);
  if (!match) return undefined;
  const [, code, field, line, message] = match as unknown as [
    string,
    string,
    string | undefined,
    string | undefined,
    string,
  ];
  return { code, ...(field ? { field } : {}), ...(line ? { line: Number(line) } : {}), message };
}

function escapeRegExp(word: string): string {
  return word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isStatus(value: string): value is TemplateStatus {
  return (TEMPLATE_STATUSES as readonly string[]).includes(value);
}

function isReplyStatus(value: string): value is ReplyStatus {
  return isStatus(value) || value === RECEIVED_STATUS;
}

interface OpenBlock {
  index: number;
  total: number;
  form: string;
  ticket?: string;
  status?: TemplateStatus;
  handles: string[];
  errors: ParsedProblem[];
  notes: string[];
  edits: ParsedEdit[];
  line: number;
}

function malformed(message: string, line: number): Problem {
  return problem('E_MALFORMED_REPLY', message, { line });
}

/** Parses the text body of a reply (no headers). */
export function parseReplyText(text: string, options: ParseReplyOptions = {}): Result<ParsedReply> {
  const labels = options.labels ?? CONTRACT_LABELS;
  const blockStart = new RegExp(
    `^${escapeRegExp(labels.template)} (\\d+) ${escapeRegExp(labels.of)} (\\d+): (.+)$`,
  );
  const labelled = /^([A-Za-z][A-Za-z-]*): ?(.*)$/;
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return fail(problem('E_NOT_A_REPLY', 'the text is empty'));
  const summary = lines[first]!.trim();

  const blocks: ParsedBlock[] = [];
  let submissionId: string | undefined;
  let supersedes: string | undefined;
  let dryRun = false;
  const forms: string[] = [];
  const unknownForms: { asked: string; nearest: string[] }[] = [];
  let refusal: ParsedProblem | undefined;
  const notApplied: ParsedProblem[] = [];
  let received = false;
  const tickets: string[] = [];
  let open: OpenBlock | undefined;
  /** The lines of the `Edited:` line just read, when its field has several. */
  let editedLines: { before: string[]; after: string[] } | undefined;

  const close = (): Problem | undefined => {
    if (!open) return undefined;
    const { status, line, edits, ...rest } = open;
    open = undefined;
    if (!status) return malformed(`the block of template ${rest.index} has no ${labels.status} line`, line);
    blocks.push({ ...rest, status, ...(edits.length > 0 ? { edits } : {}) });
    return undefined;
  };

  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    const lineNo = i + 1;
    const start = blockStart.exec(line);
    if (start) {
      const bad = close();
      if (bad) return fail(bad);
      open = {
        index: Number(start[1]),
        total: Number(start[2]),
        form: start[3]!,
        handles: [],
        errors: [],
        notes: [],
        edits: [],
        line: lineNo,
      };
      continue;
    }
    if (line === '') {
      const bad = close();
      if (bad) return fail(bad);
      continue;
    }
    const match = labelled.exec(line);
    if (!open) {
      // Outside blocks only the header lines mean something; prose and quoted echoes are for humans.
      if (match?.[1] === labels.submission && blocks.length === 0) submissionId = match[2]!.trim();
      if (match?.[1] === SUPERSEDES_LABEL && blocks.length === 0) supersedes = match[2]!.trim();
      // An acknowledgement's lines: `Status: RECEIVED` and a `Ticket:` line per ticket, no block.
      if (match?.[1] === labels.status && blocks.length === 0 && match[2]!.trim() === RECEIVED_STATUS)
        received = true;
      if (match?.[1] === labels.ticket && blocks.length === 0) tickets.push(match[2]!.trim());
      if (match?.[1] === DRY_RUN_LABEL && blocks.length === 0)
        dryRun = match[2]!.trim().toLowerCase() === 'yes';
      if (match?.[1] === FORM_LABEL && blocks.length === 0) forms.push(match[2]!.trim());
      if (match?.[1] === UNKNOWN_FORM_LABEL && blocks.length === 0) {
        const [asked = '', nearest = ''] = match[2]!.split(/;\s*nearest:\s*/);
        unknownForms.push({
          asked: asked.trim(),
          nearest: nearest.trim() === 'none' ? [] : nearest.split(/,\s*/).filter(Boolean),
        });
      }
      if (match?.[1] === NOT_APPLIED_LABEL && blocks.length === 0) {
        const skipped = parseProblemLine(match[2]!);
        if (!skipped)
          return fail(malformed(`"${line}" is not "${NOT_APPLIED_LABEL}: E_CODE: sentence"`, lineNo));
        notApplied.push(skipped);
      }
      if (match?.[1] === labels.refused && blocks.length === 0) {
        refusal = parseProblemLine(match[2]!);
        if (!refusal)
          return fail(malformed(`"${line}" is not "${labels.refused}: E_CODE: sentence"`, lineNo));
      }
      continue;
    }
    // The lines of a field of several lines, under its `Edited:` line: `  - ` as sent, `  + ` as corrected.
    const editLine = /^ {2}([-+])(?: (.*))?$/.exec(line);
    if (editLine && editedLines) {
      (editLine[1] === '-' ? editedLines.before : editedLines.after).push(editLine[2] ?? '');
      continue;
    }
    editedLines = undefined;
    // Lines we do not know inside a block are skipped: the format may grow, readers must not break.
    if (!match) continue;
    const [, label, value] = match as unknown as [string, string, string];
    if (label === labels.ticket) open.ticket = value.trim();
    else if (label === labels.handle) open.handles.push(value.trim());
    else if (label === labels.note) open.notes.push(value.trim());
    else if (label === EDITED_LABEL) {
      const parsed = parseEditedLine(value.trim());
      if (!parsed)
        return fail(
          malformed(`"${line}" is not "${EDITED_LABEL}: field F (label): before -> after"`, lineNo),
        );
      const several = (side: string) => /^\(\d+ lines\)$/.test(side);
      if (several(parsed.before) || several(parsed.after)) {
        editedLines = { before: [], after: [] };
        open.edits.push({ ...parsed, lines: editedLines });
      } else open.edits.push(parsed);
    } else if (label === labels.status) {
      const status = value.trim();
      if (!isStatus(status)) return fail(malformed(`"${status}" is not a status`, lineNo));
      open.status = status;
    } else if (label === labels.error) {
      const parsed = parseProblemLine(value);
      if (!parsed) return fail(malformed(`"${line}" is not "${labels.error}: E_CODE: sentence"`, lineNo));
      open.errors.push(parsed);
    }
  }
  const bad = close();
  if (bad) return fail(bad);
  if (blocks.length === 0 && !refusal && submissionId === undefined) {
    return fail(
      problem(
        'E_NOT_A_REPLY',
        'no template block, no refusal and no submission line: not a hostmasterd reply',
      ),
    );
  }
  const status: ReplyStatus = refusal
    ? 'REJECTED'
    : received && blocks.length === 0
      ? RECEIVED_STATUS
      : worstStatus(blocks.map((b) => b.status));
  return ok({
    summary,
    status,
    ...(status === RECEIVED_STATUS ? { tickets } : {}),
    ...(submissionId !== undefined ? { submissionId } : {}),
    ...(supersedes ? { supersedes } : {}),
    ...(refusal ? { refusal } : {}),
    ...(notApplied.length > 0 ? { notApplied } : {}),
    ...(dryRun ? { dryRun } : {}),
    ...(forms.length > 0 ? { forms } : {}),
    ...(unknownForms.length > 0 ? { unknownForms } : {}),
    blocks,
  });
}

/** A whole message starts with a header field; the body's summary line never does. */
function looksLikeMessage(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9-]*:/.test(text) && /\r?\n\r?\n/.test(text);
}

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'value' in value && typeof value.value === 'string') {
    return value.value;
  }
  return undefined;
}

/** Parses a whole reply message (MIME decoded with mailparser) or just its body text. */
export async function parseReply(
  input: string | Buffer,
  options: ParseReplyOptions = {},
): Promise<Result<ParsedReply>> {
  const asText = typeof input === 'string' ? input : input.toString('utf8');
  if (!looksLikeMessage(asText)) return parseReplyText(asText, options);
  const mail = await simpleParser(input, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
  });
  const body = parseReplyText(mail.text ?? '', options);
  if (!body.ok) return body;
  const status = headerText(mail.headers.get('x-hostmaster-status'))?.trim();
  const autoSubmitted = headerText(mail.headers.get('auto-submitted'))?.trim();
  const submissionId = headerText(mail.headers.get('x-hostmaster-submission'))?.trim();
  const supersedes = headerText(mail.headers.get('supersedes'))?.trim();
  const dryRun = headerText(mail.headers.get('x-hostmaster-dry-run'))?.trim().toLowerCase() === 'yes';
  const service = Object.values(SERVICE_STATUSES).find((s) => s === status);
  const attachments = mail.attachments
    .filter((a) => a.contentType === 'text/plain')
    .map((a) => ({ filename: a.filename ?? '', text: a.content.toString('utf8') }));
  const references = mail.references === undefined ? [] : [mail.references].flat();
  const to = [mail.to ?? []]
    .flat()
    .flatMap((list) => list.value.flatMap((a) => (a.address ? [a.address] : [])));
  const headers: ParsedReplyHeaders = {
    ...(mail.messageId ? { messageId: mail.messageId } : {}),
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
    references,
    ...(mail.subject !== undefined ? { subject: mail.subject } : {}),
    to,
    ...(status && isReplyStatus(status) ? { status } : {}),
    ...(autoSubmitted ? { autoSubmitted } : {}),
    ...(submissionId ? { submissionId } : {}),
    ...(supersedes ? { supersedes } : {}),
    ...(service ? { service } : {}),
    ...(dryRun ? { dryRun } : {}),
    attachments,
  };
  return ok({ ...body.value, headers });
}
