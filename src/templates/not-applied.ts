/**
 * The templates a message holds that are not the sender's own, and so are never applied: those
 * quoted with `>` in the sender's text, and those inside a forwarded message (attached as
 * message/rfc822, or written into the text below a line such as `-----Original Message-----`).
 * Beside the sender's own templates they used to go unmentioned; the reply names each of them
 * (form, where it stands, why), so the sender knows exactly which of the message's templates were
 * not applied. A message whose only templates are these is refused as a whole instead
 * (E_FORWARDED_TEMPLATE, or E_NO_TEMPLATE when they are quoted).
 */
import {
  type ErrorCode,
  holdsTemplateHeader,
  isQuotedLine,
  type Problem,
  problem,
  templateNameBehindQuotes,
} from '../shared/index.ts';

/** A part of the message the sender's text was read from (the mail room's TextBlock). */
export interface TextPart {
  readonly source: 'body' | 'attachment' | 'html';
  readonly filename?: string;
  /** 1-based line where the part starts in the message's text. */
  readonly firstLine: number;
}

/** A message forwarded inside the sender's (the mail room's ForwardedMessage). */
export interface ForwardedText {
  readonly text: string;
  /** The line it was written under in the sender's text (`-----Original Message-----`); absent when attached. */
  readonly separator?: string;
  /** The attached message's Subject. */
  readonly subject?: string;
  /** Written into the text: the part, the separator's line in it and the part's line where `text` starts. */
  readonly written?: {
    readonly source: TextPart['source'];
    readonly filename?: string;
    readonly separatorLine: number;
    readonly textLine: number;
  };
  /** Inside a message attached to the sender's. */
  readonly withinAttached?: boolean;
}

/**
 * At most this many are named one by one; past them one line counts the rest. Ten: a message
 * forwarding a whole submission names each of its templates (at most ten are accepted).
 */
const NOT_APPLIED_LISTED = 10;

const WHY_FORWARDED = 'what someone else wrote is not applied on your authority';
const WHY_QUOTED =
  'a quoted template is someone else\u2019s, and only templates written in your own text are applied';

/** Sender-written text as a sentence names it: quoted, cut to SHOWN characters (a Subject can be long). */
const SHOWN = 100;
function shown(text: string): string {
  return JSON.stringify(text.length > SHOWN ? `${text.slice(0, SHOWN - 3)}...` : text);
}

/** A form name as written, cut as the rest is (`Template: ARIN-` then a megabyte of letters). */
export function formShown(form: string): string {
  return form.length > SHOWN ? `${form.slice(0, SHOWN - 3)}...` : form;
}

/** A line of the message's text as the sender finds it: `line 3 of the attachment "x.txt"`. */
export function lineInPart(line: number, parts: readonly TextPart[]): string {
  const part = parts.findLast((p) => p.firstLine <= line);
  return part ? `line ${line - part.firstLine + 1} of ${partName(part)}` : `line ${line}`;
}

function partName(part: Pick<TextPart, 'source' | 'filename'>): string {
  if (part.source === 'body') return 'the message body';
  if (part.source === 'html') return "the message's HTML part";
  return part.filename ? `the attachment ${shown(part.filename)}` : 'an attachment';
}

/**
 * The problems as they are found: the first NOT_APPLIED_LISTED written out, the rest only
 * counted (a 10 MiB forward of two-line templates holds hundreds of thousands: no sentence each).
 */
class Found {
  readonly listed: Problem[] = [];
  more = 0;
  moreCode: ErrorCode | undefined;
  add(code: ErrorCode, sentence: () => string): void {
    if (this.listed.length < NOT_APPLIED_LISTED) this.listed.push(problem(code, sentence()));
    else {
      this.more++;
      this.moreCode ??= code;
    }
  }
}

/** Each template header in the text, behind quote markers or not: its form and 1-based line. */
function eachHeader(text: string, found: (form: string, line: number) => void): void {
  if (!holdsTemplateHeader(text, true)) return;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const form = templateNameBehindQuotes(lines[i]!);
    if (form !== undefined) found(form, i + 1);
  }
}

/** Templates quoted with `>` in the sender's own text. */
function quoted(text: string, parts: readonly TextPart[], found: Found): void {
  // Most messages quote nothing: no `>`, no line to walk (the worker reads every message so).
  if (!text.includes('>')) return;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!raw.includes('>') || !isQuotedLine(raw)) continue;
    const form = templateNameBehindQuotes(raw);
    if (form === undefined) continue;
    const line = i + 1;
    found.add('E_QUOTED_TEMPLATE', () => {
      return `template ${formShown(form)} at ${lineInPart(line, parts)} is quoted (its lines start with ">"): not applied; ${WHY_QUOTED}`;
    });
  }
}

/** Templates inside one forwarded message. */
function forwardedIn(f: ForwardedText, found: Found): void {
  const subject = f.subject ? ` ${shown(f.subject)}` : '';
  eachHeader(f.text, (form, line) =>
    found.add('E_FORWARDED_TEMPLATE', () => {
      let where: string;
      if (f.withinAttached) where = `is inside a message forwarded within the attached message${subject}`;
      else if (f.written && f.separator !== undefined)
        where = `at line ${f.written.textLine + line - 1} of ${partName(f.written)} is inside a forwarded or quoted message, written into your message below the line ${shown(f.separator)} (line ${f.written.separatorLine})`;
      else
        where = `at line ${line} of the attached message${subject} (message/rfc822) is inside a forwarded message`;
      return `template ${formShown(form)} ${where}: not applied; ${WHY_FORWARDED}`;
    }),
  );
}

/**
 * Every template of the message that is not applied because someone else wrote it, in the order
 * a reader meets them (quoted ones in the sender's text, then each forward), at most
 * NOT_APPLIED_LISTED and a last one counting the rest.
 */
export function templatesNotApplied(input: {
  readonly text: string;
  readonly parts?: readonly TextPart[];
  readonly forwarded?: readonly ForwardedText[];
}): Problem[] {
  const found = new Found();
  quoted(input.text, input.parts ?? [], found);
  for (const f of input.forwarded ?? []) forwardedIn(f, found);
  if (found.moreCode === undefined) return found.listed;
  const count = found.more.toLocaleString('en-US');
  return [
    ...found.listed,
    problem(
      found.moreCode,
      `and ${count} more templates in forwarded or quoted text, not applied and not listed one by one`,
    ),
  ];
}
