/**
 * The body of a reply, as text. This is the machine-readable contract billing systems parse,
 * written down in docs/reply-format.md; test/support/reply-reader.ts reads exactly what this writes.
 *
 *   <summary line>
 *   Submission: S123
 *   [Supersedes: <S123.reply@host>]                   (a later answer, after a staff action)
 *   [Refused: E_CODE: sentence]                       (a message refused as a whole)
 *   [Not-applied: E_CODE: sentence]                   (each template someone else wrote, not applied)
 *
 *   Template 2 of 3: ARIN-REASSIGN-SIMPLE-5.0         (one block per template, blank line after)
 *   Ticket: 20261122-X0000042
 *   Status: APPROVED
 *   Handle: NET-198-51-100-0-1
 *   Edited: field 11 (Customer Country Code): XX -> US (staff corrected the template first)
 *   Edited: field 07 (Customer Address): (2 lines) -> (2 lines)   (a field of several lines: each below)
 *     - 100 Main St
 *     - Suite 5
 *     + 100 Main Street
 *     + Suite 5
 *   Error: E_CODE field 03 line 4: human sentence   (lines count from the Template: line)
 *     > 4 | 03. IP Address and Prefix or Range: ... (the line it is about, from the echo)
 *   Note: ...
 *
 *   Template 2 as we received it (API key redacted):
 *   > 1 | Template: ARIN-REASSIGN-SIMPLE-5.0         (the echo, numbered, quoted so it is never re-processed)
 *
 *   <prose: what REJECTED / PENDING_REVIEW mean, or why the message was refused>
 *   <footer>
 */
import {
  formatProblem,
  mayHoldKey,
  type Problem,
  redactApiKeys,
  visibleKeyFree,
  writtenAsIs,
} from '../shared/index.ts';
import { fill, type ReplyTexts } from './texts.ts';
import {
  type EditedField,
  type ReplyRequest,
  TEMPLATE_STATUSES,
  type TemplateReport,
  type TemplateStatus,
} from './types.ts';

/**
 * Every value we write on a labelled line: one line, no stray whitespace, no API key. A line break
 * other than LF (NEL, LS, VT...: shared's line-breaks.ts) is shown, not collapsed: it was in the
 * customer's text, and a reader that ends lines there must not find a line of theirs in ours.
 */
export function oneLine(text: string): string {
  const shown = writtenAsIs(text) ? text : visibleKeyFree(text.replace(/\r\n?/g, '\n'));
  return redactApiKeys(shown.replace(/\s+/g, ' ').trim());
}

/** `E_CODE field 03 line 7: sentence`, on one line, never with an empty sentence. */
export function problemLine(p: Problem): string {
  const message = oneLine(p.message) || '(no details given)';
  const field = p.field === undefined ? undefined : oneLine(p.field).replace(/ /g, '-') || undefined;
  return formatProblem({ ...p, message, ...(field ? { field } : {}) });
}

/** `2 APPROVED, 1 REJECTED` in a fixed order, zero counts left out. */
export function countsOf(reports: readonly TemplateReport[], texts: ReplyTexts): string {
  const parts = TEMPLATE_STATUSES.map((s) => [s, reports.filter((r) => r.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return parts.length ? parts.join(', ') : texts.phrases['counts.none'];
}

export function blockLines(report: TemplateReport, texts: ReplyTexts): string[] {
  const p = texts.phrases;
  const lines = [
    `${p['label.template']} ${report.index} ${p['label.of']} ${report.total}: ${oneLine(report.form) || '(unknown)'}`,
  ];
  const ticket = report.ticket === undefined ? '' : oneLine(report.ticket);
  if (ticket) lines.push(`${p['label.ticket']}: ${ticket}`);
  lines.push(`${p['label.status']}: ${report.status}`);
  for (const handle of Object.values(report.handles)) {
    const value = oneLine(handle);
    if (value) lines.push(`${p['label.handle']}: ${value}`);
  }
  for (const change of report.edited?.changes ?? []) lines.push(...editedLines(change));
  const echoed = echoedLines(report);
  for (const error of report.errors) {
    lines.push(`${p['label.error']}: ${problemLine(error)}`);
    // The line it is about, as received, so the sender need not count: quoted, never a label.
    const quoted = error.line === undefined ? undefined : echoed[error.line - 1];
    if (quoted !== undefined && quoted.trim() !== '')
      lines.push(`  ${numberedQuote(error.line!, quoted, 1, texts)}`);
  }
  for (const note of report.notes) {
    const value = oneLine(note);
    if (value) lines.push(`${p['label.note']}: ${value}`);
  }
  return lines;
}

/**
 * The label of a line telling one field staff changed before the template ran. Fixed, not
 * rewordable in `phrases.txt`: billing systems read it to learn that the registry holds values
 * other than the ones they sent.
 */
export const EDITED_LABEL = 'Edited';

/** At most this many characters of each value shown by an `Edited:` line: the quote below has them all. */
const EDITED_VALUE_CHARACTERS = 200;

/** One line of a value, key-free before it is cut (a key across the cut must not show its first groups). */
function shownValue(text: string): string {
  const value = oneLine(text);
  return value.length > EDITED_VALUE_CHARACTERS ? `${value.slice(0, EDITED_VALUE_CHARACTERS)}...` : value;
}

/** One side of an `Edited:` line: its one value, `(none)`, or `(3 lines)` shown each below. */
function editedSide(values: readonly string[]): string {
  if (values.length === 0) return '(none)';
  return values.length === 1 ? shownValue(values[0]!) : `(${values.length} lines)`;
}

/**
 * `Edited: field 11 (Customer Country Code): XX -> US`, or `form: <Template: line> -> ...`. A
 * field of several lines (an address) says how many on the `Edited:` line and shows each line
 * under it, indented (readers skip unlabelled lines): `  - ` as sent, `  + ` as corrected.
 * Joined on one line, `100 Main St, Suite 5` could not be told from one line holding a comma.
 */
function editedLines(change: EditedField): string[] {
  const what = change.field === undefined ? 'form' : `field ${change.field} (${change.label})`;
  const head = `${EDITED_LABEL}: ${oneLine(`${what}: ${editedSide(change.before)} -> ${editedSide(change.after)}`)}`;
  if (change.before.length <= 1 && change.after.length <= 1) return [head];
  const each = (mark: string, values: readonly string[]) =>
    values.length > 1 ? values.map((v) => `  ${mark} ${shownValue(v)}`.trimEnd()) : [];
  return [head, ...each('-', change.before), ...each('+', change.after)];
}

/**
 * How much of a template is quoted back. Templates are a few kilobytes; a sender who sends
 * megabytes (a runaway line, a pasted log) is told so, not mailed the megabytes back.
 */
export const ECHO_LIMITS = { lineCharacters: 1_000, lines: 500 } as const;

/** The echo's lines; line 1 is the template's `Template:` line, as problems count them. */
function echoedLines(report: TemplateReport): string[] {
  const body = report.echo.replace(/\r\n?/g, '\n').trimEnd();
  return body.trim() === '' ? [] : body.split('\n');
}

/**
 * `> 7 | text`, the number right-aligned to the template's last line, the text cut and key-free.
 * `hidden: 'by-body'`: a line written as is (`writtenAsIs`) and not cut is left for the body's
 * one pass to hide (see `digestBody`).
 */
function numberedQuote(
  line: number,
  text: string,
  lineCount: number,
  texts?: ReplyTexts,
  hidden: KeysHidden = 'each-line',
): string {
  // Redacted before it is cut: a key across the cut must not show its first groups. Line breaks
  // other than LF shown: the quoted line is one line for every reader (`Acme<NEL>Status: APPROVED`).
  const trimmed = text.trimEnd();
  const whole =
    hidden === 'by-body' && trimmed.length <= ECHO_LIMITS.lineCharacters ? trimmed : visibleKeyFree(trimmed);
  const cut = whole.length - ECHO_LIMITS.lineCharacters;
  const clean = cut > 0 ? whole.slice(0, ECHO_LIMITS.lineCharacters) : whole;
  const number = String(line).padStart(String(lineCount).length, ' ');
  const quoted = clean === '' ? `> ${number} |` : `> ${number} | ${clean}`;
  return cut > 0 && texts ? `${quoted} ${fill(texts.phrases['echo.line-cut'], { count: cut })}` : quoted;
}

/**
 * Where an echo's API keys are hidden: in each line on its own (`visibleKeyFree`), or, for lines
 * written as is, by the one pass over the whole body that every reply gets (`digestBody`).
 */
type KeysHidden = 'each-line' | 'by-body';

/**
 * The submitted template, quoted with "> " so a reply to our reply is never taken for a
 * submission, each line numbered as the Error lines count (the `Template:` line is 1).
 */
export function echoLines(
  report: TemplateReport,
  texts: ReplyTexts,
  hidden: KeysHidden = 'each-line',
): string[] {
  // trimEnd, not /\s+$/: a regex anchored only at the end retries from every whitespace run,
  // quadratic on a body of many blank lines (a few hundred kilobytes froze the worker).
  const body = report.echo.replace(/\r\n?/g, '\n').trimEnd();
  if (body.trim() === '') return [];
  const heading = fill(texts.phrases[report.edited ? 'echo.heading-edited' : 'echo.heading'], {
    index: report.index,
    total: report.total,
    form: oneLine(report.form),
  });
  // One look at the whole echo for a character to show: then no line of it holds one.
  const each = hidden === 'by-body' && writtenAsIs(body) ? 'by-body' : 'each-line';
  const lines = body.split('\n');
  const width = Math.min(lines.length, ECHO_LIMITS.lines);
  const shown = lines
    .slice(0, ECHO_LIMITS.lines)
    .map((line, i) => numberedQuote(i + 1, line, width, texts, each));
  const left = lines.length - shown.length;
  if (left > 0) shown.push(`> ${fill(texts.phrases['echo.lines-cut'], { count: left })}`);
  return [heading, ...shown];
}

function proseFor(statuses: readonly TemplateStatus[], texts: ReplyTexts): string[] {
  const parts: string[] = [];
  if (statuses.includes('REJECTED')) parts.push(expand(texts.prose.rejected, texts, {}));
  if (statuses.includes('PENDING_REVIEW')) parts.push(expand(texts.prose.pendingReview, texts, {}));
  return parts;
}

/** Fills the includes ({plain-text-reminder}, {blank-forms}) and the given values. */
function expand(text: string, texts: ReplyTexts, values: Readonly<Record<string, string>>): string {
  return fill(text, {
    'plain-text-reminder': texts.prose.plainTextReminder,
    'blank-forms': texts.prose.blankForms,
    ...values,
  });
}

/**
 * The label of the line naming the reply a later answer replaces. Not rewordable in
 * `phrases.txt`: its value is a Message-ID, read by machines only, like the header of that name.
 */
export const SUPERSEDES_LABEL = 'Supersedes';

/** The line of a dry run's answer (`Dry-run: yes`); read by machines, not rewordable. */
export const DRY_RUN_LABEL = 'Dry-run';

/** A template of the message that was someone else's and not applied (`Not-applied: E_CODE: ...`); not rewordable. */
export const NOT_APPLIED_LABEL = 'Not-applied';

function header(summary: string, request: ReplyRequest, texts: ReplyTexts): string[] {
  const lines = [summary, `${texts.phrases['label.submission']}: ${oneLine(request.submissionId)}`];
  if (request.supersedes) lines.push(`${SUPERSEDES_LABEL}: ${oneLine(request.supersedes)}`);
  if (request.dryRun) lines.push(`${DRY_RUN_LABEL}: yes`);
  if (request.refusal) lines.push(`${texts.phrases['label.refused']}: ${problemLine(request.refusal)}`);
  for (const skipped of request.notApplied ?? []) lines.push(`${NOT_APPLIED_LABEL}: ${problemLine(skipped)}`);
  return lines;
}

function joined(sections: readonly (readonly string[])[], footer: string): string {
  const paragraphs = sections.filter((s) => s.length > 0).map((s) => s.join('\n'));
  paragraphs.push(footer);
  return paragraphs.join('\n\n');
}

/**
 * The body with its API keys hidden, keys formed across pieces too (one pass over the whole).
 * `sections(hidden)` writes the body's sections; first with the echoes' lines left to that pass
 * (`by-body`), which is then the only one. That draft is the body itself when the pass finds
 * nothing that might be a key (`mayHoldKey`, exact for what it rules out), as it almost always
 * does: each line hidden on its own would have been found unchanged, for a line that may hold a
 * key makes the whole body one that may (each echo line stands between `| ` and a line end, and
 * its number has at most three digits, so nothing around it joins a group of a key to it). Else
 * the body is written again with each line hidden on its own, as every reply was before.
 */
function assemble(sections: (hidden: KeysHidden) => (readonly string[])[], footer: string): string {
  const draft = joined(sections('by-body'), footer);
  if (!mayHoldKey(draft)) return `${draft}\n`;
  return `${redactApiKeys(joined(sections('each-line'), footer))}\n`;
}

function templateSections(report: TemplateReport, texts: ReplyTexts, hidden: KeysHidden): string[][] {
  return [blockLines(report, texts), echoLines(report, texts, hidden)];
}

/**
 * The footer says what the `>` lines quote: what the sender sent, unless a block quotes staff's
 * corrected text (then the footer says so too, as that block's heading does).
 */
function footerFor(request: ReplyRequest, texts: ReplyTexts, reports = request.templates): string {
  const quotesStaff = reports.some((r) => r.edited !== undefined && r.echo.trim() !== '');
  return fill(quotesStaff ? texts.prose.footerEdited : texts.prose.footer, {
    submission: oneLine(request.submissionId),
  });
}

/** One body for the whole submission: every block, in template order. */
export function digestBody(request: ReplyRequest, texts: ReplyTexts): string {
  return assemble(digestSections(request, texts), footerFor(request, texts));
}

/**
 * The digest body as every reply was written before its keys were hidden in one pass: each echo
 * line hidden on its own, then the body. `digestBody` must equal it byte for byte
 * (test/replies/key-pass.test.ts holds it to that).
 */
export function digestBodyHidingEachLine(request: ReplyRequest, texts: ReplyTexts): string {
  return `${redactApiKeys(joined(digestSections(request, texts)('each-line'), footerFor(request, texts)))}\n`;
}

function digestSections(
  request: ReplyRequest,
  texts: ReplyTexts,
): (hidden: KeysHidden) => (readonly string[])[] {
  const templates = [...request.templates].sort((a, b) => a.index - b.index);
  const count = templates.length;
  const counts = countsOf(templates, texts);
  const summary = request.refusal
    ? fill(texts.phrases['summary.refused'], { code: request.refusal.code })
    : fill(texts.phrases[count === 1 ? 'summary.one' : 'summary.many'], { count, counts });
  const refusalProse = request.refusal
    ? [
        expand(texts.refusals[request.refusal.code] ?? texts.refusals['default'] ?? '', texts, {
          code: request.refusal.code,
          submission: oneLine(request.submissionId),
        }),
      ]
    : [];
  const head = header(summary, request, texts);
  const blocks = templates.map((t) => blockLines(t, texts));
  const prose = request.refusal
    ? []
    : proseFor(
        templates.map((t) => t.status),
        texts,
      );
  return (hidden) => [
    head,
    ...templates.flatMap((t, i) => [blocks[i]!, echoLines(t, texts, hidden)]),
    refusalProse,
    prose,
  ];
}

/** The body of one per-template reply: the same block, the same words, one template. */
export function singleBody(request: ReplyRequest, report: TemplateReport, texts: ReplyTexts): string {
  const summary = fill(texts.phrases['summary.single'], {
    index: report.index,
    total: report.total,
    status: report.status,
  });
  const head = header(summary, request, texts);
  const prose = proseFor([report.status], texts);
  return assemble(
    (hidden) => [head, ...templateSections(report, texts, hidden), prose],
    footerFor(request, texts, [report]),
  );
}
