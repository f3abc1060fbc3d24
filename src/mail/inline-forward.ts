/**
 * A forward or a quote written into the text itself, as mail programs write them when they do
 * not attach the message (message/rfc822) nor quote it with `>`:
 *
 *   -----Original Message-----                  Outlook (a reply or a forward), Outlook Express
 *   ________________________________ + From:    Outlook 2010 and later, Outlook on the web
 *   From: / Sent: / To: / Subject:              Outlook's header block alone (also Von:, De:...)
 *   ---------- Forwarded message ---------      Gmail
 *   -------- Forwarded Message --------         Thunderbird (also "Original Message")
 *   ----- Forwarded by X/Org on ... -----       Lotus Notes
 *   Begin forwarded message:                    Apple Mail
 *   each in many languages (forward-words.ts), and in any language a dashed banner or a
 *   `...:` line over a header block naming an address, or a header block naming an address
 *   and a date
 *   On <date>, X wrote:  + lines without `>`    a reply quoted without markers (Gmail's may wrap
 *                                               over two lines; Am ... schrieb, Le ... a écrit)
 *
 * What follows such a line, to the end of its part, was written by someone else (another
 * customer, a colleague, a billing system, or our own reply), exactly as an attached forward is:
 * it is kept apart from the sender's own text and never read for templates. `On ... wrote:`
 * followed by `>` lines is an ordinary quote: the `>` lines are skipped where they stand, and
 * what the sender writes between them (an answer written inline) stays theirs.
 */
import { isQuotedLine, templateLine, withoutInvisible } from '../shared/index.ts';
import {
  DASHED,
  DATE_FIELD,
  FROM_FIELD,
  KNOWN_HEADER_LINE,
  LINE_PHRASE,
  SUBJECT_FIELD,
} from './forward-words.ts';
import type { ExtractedMail } from './types.ts';

export interface InlineForward {
  /** The line it starts under, as written (trimmed, at most SEPARATOR_SHOWN characters). */
  readonly separator: string;
  /** 1-based line of the separator in the text it was found in. */
  readonly line: number;
  /** The From address its header block names, lower-cased, if it names one. */
  readonly from?: string;
  /** The Subject its header block names, if it names one. */
  readonly subject?: string;
  /** Everything after the separator, to the end of the text. */
  readonly text: string;
  /** 1-based line where `text` starts (the separator's own for a header block, which is its text). */
  readonly textLine: number;
}

export interface ForwardSplit {
  /** The sender's own text: everything before the separator (all of it when there is none). */
  readonly own: string;
  readonly forward?: InlineForward;
}

/** A separator is shown to the sender this long at most (an attribution line can be long). */
const SEPARATOR_SHOWN = 100;

/** Outlook's rule above its header block. */
const UNDERSCORES = /^_{10,}$/;

/**
 * A header line in any script: a label of a few words, a colon (or a fullwidth one), a value.
 * A template's own lines are none: its fields start with their number, and `Template:` is excluded.
 */
const ANY_HEADER_LINE = /^\*?([\p{L}][\p{L}\p{M}'’.\- ]{0,30}?)\*?\s*[:：]\s*(.*)$/u;
/** A dashed banner with words in it, in any language: `-------- 転送メッセージ --------`. */
const DASHED_BANNER = /^-{2,}\s*[^-\s].*?-{2,}$/u;
/** A short line ending in a colon, as `Forwarded message:` (a banner, when a header block follows it). */
const COLON_LINE = /^[^:：]{3,80}[:：]$/u;

/**
 * A block is this many header lines at least, one naming who wrote and one when, as every mail
 * program writes a quoted message's header: a From: line alone is prose, and a letterhead a
 * billing system writes above its templates (From:, To:, Subject:) names no date.
 */
const MIN_HEADER_LINES = 3;

/** `On <date>, X wrote:` and its translations: the whole line (or two, joined). */
const ATTRIBUTION =
  /^(?:on\s.{1,300}\swrote|am\s.{1,300}\sschrieb.{0,300}|le\s.{1,300}\sa\s+écrit|el\s.{1,300}\sescribió|op\s.{1,300}\sschreef.{0,300})\s*:$/i;
const ATTRIBUTION_START = /^(?:on|am|le|el|op)\s/i;

const ADDRESS = /[\w.+'-]+@[\w-]+(?:\.[\w-]+)*/;

/** The line as its shape is read: trimmed, invisible format characters left out. */
const shape = (line: string): string => withoutInvisible(line).trim();

/** `[label, value]` of a header line, in any script; undefined for any other line (a template's too). */
function headerLine(line: string): readonly [string, string] | undefined {
  if (!line.includes(':') && !line.includes('\uff1a')) return undefined;
  const known = KNOWN_HEADER_LINE.exec(line);
  if (known) return [known[1]!, line.slice(known[0].length).trim()];
  const m = ANY_HEADER_LINE.exec(line);
  if (!m || /^template$/i.test(m[1]!.trim())) return undefined;
  return [m[1]!.trim(), m[2]!.trim()];
}

/** A value as a mail program writes a date: a year, and a time or a month's name (`Mon, 7 Dec 2026`, `2026年12月7日`). */
const looksLikeDate = (value: string) =>
  /(?:19|20)\d\d/.test(value) && (/\d{1,2}:\d\d/.test(value) || /\p{L}{2,}|年/u.test(value));
const holdsAddress = (value: string) => ADDRESS.test(value.slice(0, 320));

/** The header lines from `at` on, as `[field, value]`, until the first line that is none. */
function headerRun(lines: readonly string[], at: number): Array<readonly [string, string]> {
  const run: Array<readonly [string, string]> = [];
  for (let i = at; i < lines.length && run.length < 12; i++) {
    const line = shape(lines[i]!);
    const m = headerLine(line);
    if (!m) break;
    run.push(m);
  }
  return run;
}

/**
 * A header block: enough header lines, naming who wrote it and when: by their labels (From:,
 * Sent:, in the languages of forward-words.ts), or, in any script, two lines at least whose
 * values hold an address and a date.
 */
function isHeaderBlock(run: ReadonlyArray<readonly [string, string]>): boolean {
  if (
    run.length >= MIN_HEADER_LINES &&
    run.some(([field]) => FROM_FIELD.test(field)) &&
    run.some(([field]) => DATE_FIELD.test(field))
  )
    return true;
  return (
    run.length >= 2 &&
    run.some(([, value]) => holdsAddress(value)) &&
    run.some(([, value]) => looksLikeDate(value))
  );
}

/**
 * The header block under a banner (a dashed line, a `...:` line): fewer lines do, as long as one
 * names who wrote it (an address), as Gmail's `От: X <x@y>` alone under its banner.
 */
function isHeaderUnderBanner(run: ReadonlyArray<readonly [string, string]>, least: number): boolean {
  return run.length >= least && (isHeaderBlock(run) || run.some(([, value]) => holdsAddress(value)));
}

/** The first line at or after `at` that is not blank, or -1. */
function nextNonBlank(lines: readonly string[], at: number): number {
  for (let i = at; i < lines.length; i++) if (shape(lines[i]!) !== '') return i;
  return -1;
}

/** How many lines an attribution starting at `at` spans (1 or 2), or 0 when none starts there. */
function attributionLines(lines: readonly string[], at: number): number {
  const first = shape(lines[at]!);
  if (!ATTRIBUTION_START.test(first)) return 0;
  if (ATTRIBUTION.test(first)) return 1;
  const second = at + 1 < lines.length ? shape(lines[at + 1]!) : '';
  return second !== '' && ATTRIBUTION.test(`${first} ${second}`) ? 2 : 0;
}

/** A separator at a line: how many lines it spans, and whether it is itself the header block (the forward's text). */
interface Separator {
  readonly span: number;
  readonly block: boolean;
}

/** Where a forward or an unmarked quote starts at line `at`, or undefined. */
function separatorAt(lines: readonly string[], at: number): Separator | undefined {
  // A template's field lines start with their number: no separator does.
  const first = lines[at]!.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) return undefined;
  const line = shape(lines[at]!);
  // Blank, or quoted (`> -----Original Message-----` quotes on: the quote is skipped where it stands).
  if (line === '' || line.charCodeAt(0) === 0x3e) return undefined;
  // The tables' long alternations only for lines that may be one of their lines (cheap tests first).
  const dashed = line.charCodeAt(0) === 0x2d;
  if (dashed ? DASHED.test(line) : line.length <= 60 && LINE_PHRASE.test(line))
    return { span: 1, block: false };
  if (UNDERSCORES.test(line)) {
    const next = nextNonBlank(lines, at + 1);
    return next >= 0 && isHeaderBlock(headerRun(lines, next)) ? { span: 1, block: false } : undefined;
  }
  // A banner in a language the table lacks: known by the header block under it.
  if (dashed && DASHED_BANNER.test(line)) {
    const next = nextNonBlank(lines, at + 1);
    return next >= 0 && isHeaderUnderBanner(headerRun(lines, next), 1)
      ? { span: 1, block: false }
      : undefined;
  }
  if (headerLine(line) !== undefined) {
    if (isHeaderBlock(headerRun(lines, at))) return { span: 1, block: true };
    // `Forwarded message:` in words the table lacks: a header block right under it.
    if (COLON_LINE.test(line) && at + 1 < lines.length && isHeaderUnderBanner(headerRun(lines, at + 1), 2))
      return { span: 1, block: false };
    return undefined;
  }
  const attribution = attributionLines(lines, at);
  if (attribution > 0) {
    // Quoted with `>` after it: an ordinary quote, read line by line (an inline answer stays own).
    const next = nextNonBlank(lines, at + attribution);
    return next >= 0 && !isQuotedLine(lines[next]!) ? { span: attribution, block: false } : undefined;
  }
  return undefined;
}

type TemplateMark = 'header' | 'end' | 'none';

/**
 * For each line, the template grammar's nearest mark above it and at or below it (a
 * `Template:` line, `END OF TEMPLATE`, or none): one pass each way, so a text of many separator
 * look-alikes costs time that grows with it, not with its square.
 */
function templateMarks(lines: readonly string[]): { above: TemplateMark[]; below: TemplateMark[] } {
  const kinds = lines.map((line): TemplateMark => {
    const kind = templateLine(line).kind;
    return kind === 'header' || kind === 'end' ? kind : 'none';
  });
  const above: TemplateMark[] = new Array(lines.length + 1);
  const below: TemplateMark[] = new Array(lines.length + 1);
  let last: TemplateMark = 'none';
  for (let i = 0; i <= lines.length; i++) {
    above[i] = last;
    if (i < lines.length && kinds[i] !== 'none') last = kinds[i]!;
  }
  last = 'none';
  for (let i = lines.length; i >= 0; i--) {
    if (i < lines.length && kinds[i] !== 'none') last = kinds[i]!;
    below[i] = last;
  }
  return { above, below };
}

/** The text cut where a forward or an unmarked quote starts; all of it own when none does. */
export function splitInlineForward(text: string): ForwardSplit {
  const lines = text.split('\n');
  let marks: ReturnType<typeof templateMarks> | undefined;
  for (let i = 0; i < lines.length; i++) {
    const found = separatorAt(lines, i);
    if (found === undefined) continue;
    const { span, block: isBlock } = found;
    // Inside one of the sender's templates (a `Template:` line above, its END below before any
    // other template opens), a line shaped like a separator is a field's value continued ("On 1
    // May the customer wrote:" in a comment): cutting there would drop the template's end and
    // every template after it.
    marks ??= templateMarks(lines);
    if (marks.above[i] === 'header' && marks.below[i + span] === 'end') continue;
    const separatorLines = lines.slice(i, i + span).map(shape);
    const header = headerRun(lines, nextNonBlank(lines, isBlock ? i : i + span));
    const from =
      header.find(([field]) => FROM_FIELD.test(field))?.[1] ??
      header.find(([, value]) => holdsAddress(value))?.[1];
    const subject = header.find(([field]) => SUBJECT_FIELD.test(field))?.[1];
    // The first 320 characters hold an address if any does (and no scan of a huge line is quadratic).
    const address = from ? ADDRESS.exec(from.slice(0, 320))?.[0].toLowerCase() : undefined;
    const separator = separatorLines.join(' ');
    return {
      own: lines.slice(0, i).join('\n').trimEnd(),
      forward: {
        separator:
          separator.length > SEPARATOR_SHOWN ? `${separator.slice(0, SEPARATOR_SHOWN - 3)}...` : separator,
        line: i + 1,
        ...(address ? { from: address } : {}),
        ...(subject !== undefined ? { subject } : {}),
        text: lines.slice(isBlock ? i : i + span).join('\n'),
        textLine: (isBlock ? i : i + span) + 1,
      },
    };
  }
  return { own: text };
}

/**
 * The text as the sender's mail program shows it: their own text, then each forward or quote that
 * was written into it, under its line (attached messages aside). For what is looked for in quotes
 * too (a validation mail's token, quoted back by an Outlook reply), never for templates.
 */
export function textWithInlineForwards(mail: Pick<ExtractedMail, 'text' | 'forwarded'>): string {
  const inline = mail.forwarded.flatMap((f) =>
    f.separator !== undefined ? [`${f.separator}\n${f.text}`] : [],
  );
  return inline.length === 0 ? mail.text : [mail.text, ...inline].join('\n\n');
}
