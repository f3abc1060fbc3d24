/**
 * Reads a template body into field lines. A field line is `NN. Label: value`, or, as ARIN's own
 * processor reads templates (`^\s*(?:\d+\.)?\s*(label)\s*:`, the number optional), `Label: value`
 * when the label is one of the form's. Senders vary (case, spacing, a different parenthetical,
 * no space after the colon, tabs): labels are compared loosely (`normalizeLabel`). Other lines
 * continue the previous field; a line that starts with a label of the form never does (it would
 * carry a private note into a published field, or a city into the street).
 */
import { problem } from '../shared/index.ts';
import type { FieldSpec } from './definition.ts';
import type { ProblemSink } from './problem-list.ts';
import type { NumberedLine } from './split.ts';
import type { VersionIndex } from './version-index.ts';

export interface FieldLine {
  /** As written: `03`, `5a`; for a line written without one, the form's number of its label's field. */
  readonly number: string;
  /** Numeric identity: `03` -> `3`, `5a` -> `5`. */
  readonly id: string;
  /** Written with its number; false for `City: Reston`, known by its label alone. */
  readonly numbered: boolean;
  /**
   * The field of the form this line is, found once by the reader (by its label when that is one
   * of the form's, else by its number); absent without the form or when neither names a field.
   */
  readonly spec?: FieldSpec;
  readonly label: string;
  readonly value: string;
  readonly line: number;
  /** Unlabelled lines that followed it. */
  readonly continuations: NumberedLine[];
  /**
   * `#` lines standing right below its value when it takes more lines (`08. Address: 100 Main St`
   * then `#200`): comments, as the forms say, but as likely a suite number; the reply names them.
   */
  readonly commentsAmidValue?: NumberedLine[];
}

/** `03.` / `5a.` then a label (starting with a letter or a parenthesis) or directly the colon; `10.0.0.0` is not a field. */
const FIELD_START = /^\s*(\d{1,3})([a-zA-Z]?)\s*\.\s*(?=[A-Za-z(:'"])/;

/** A row of `-`, `=`, `*` or `#` (spaces between allowed): a rule under a banner, as ARIN printed its forms. */
const RULE = /^[-=*#][-=*#\s]*$/;

/**
 * Comment and banner lines of ARIN's forms: `#` lines (the 2002 forms open with `## As of June
 * 2002` and a row of `#`; Perl clients still send them), `**` notes, and rules of `-` or `=`.
 */
export function isComment(trimmed: string): boolean {
  const c = trimmed.charCodeAt(0);
  if (c === 35 /* # */) return true;
  if (c === 42 /* * */) return trimmed.charCodeAt(1) === 42 || RULE.test(trimmed);
  return (c === 45 /* - */ || c === 61) /* = */ && trimmed.length > 1 && RULE.test(trimmed);
}

/**
 * A `#` line that may be data of the value above it (`#200`, `# 5`): not a banner (`## ...`) nor a
 * rule of `#`. Only these are named in the reply; every comment line is still left aside.
 */
function amidValue(trimmed: string): boolean {
  return trimmed.charCodeAt(0) === 35 && trimmed.charCodeAt(1) !== 35 && !RULE.test(trimmed);
}

/** Index of the first `:` outside parentheses (`Referral Server (rwhois://host:port):`). */
function labelEnd(text: string): number {
  // Most lines hold no parenthesis before their first colon (or no colon): no walk needed.
  const first = text.indexOf(':');
  if (first < 0) return -1;
  const open = text.indexOf('(');
  if (open < 0 || open > first) return first;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ':' && depth === 0) return i;
  }
  // Unbalanced parentheses: fall back to the first colon.
  return text.indexOf(':');
}

/**
 * How far into a line its label may end: the forms' longest label with its parenthetical is
 * under 60 characters; a line whose first colon is further on is text (a comment, an address
 * line), and is not copied and compared.
 */
const LABEL_SPAN = 256;

/**
 * The loosely compared label (`normalizeLabel`) before a line's first colon outside parentheses,
 * and where that colon is; undefined when the line holds no colon or nothing of a label before it.
 */
export function writtenLabel(
  trimmed: string,
): { readonly label: string; readonly colon: number } | undefined {
  const colon = labelEnd(trimmed);
  if (colon <= 0 || colon > LABEL_SPAN) return undefined;
  const label = normalizeLabel(trimmed.slice(0, colon));
  return label ? { label, colon } : undefined;
}

/**
 * `City: Reston` when `City` is a label of the form (`index`): that field's line, its number the
 * form's. The whole text before the colon must be the label (`Attn City: Reston` is not), so
 * an address or a comment line that merely holds a colon still continues its field.
 */
function labelledLine(trimmed: string, line: number, index: VersionIndex): FieldLine | undefined {
  const written = writtenLabel(trimmed);
  const spec = written ? index.byLabel.get(written.label) : undefined;
  if (!written || !spec) return undefined;
  return {
    number: spec.number,
    id: String(Number.parseInt(spec.number, 10)),
    numbered: false,
    spec,
    label: trimmed.slice(0, written.colon).trim(),
    value: trimmed.slice(written.colon + 1).trim(),
    line,
    continuations: [],
  };
}

/**
 * The field lines of a body; lines that are no field are reported into `problems`. Without the
 * form's `index` (a form we do not know), only numbered lines are fields.
 */
export function readFields(
  body: readonly NumberedLine[],
  problems: ProblemSink,
  index?: VersionIndex,
): FieldLine[] {
  const fields: FieldLine[] = [];
  let current: FieldLine | undefined;
  /** Blanks before the number of `current`'s line: a numbered line indented deeper may be its value's. */
  let currentIndent = 0;
  /** The line above was `current`'s (its field line or one more line of its value). */
  let belowValue = false;
  for (const { text, line } of body) {
    const trimmed = text.trim();
    if (trimmed.length === 0) {
      belowValue = false;
      continue;
    }
    if (isComment(trimmed)) {
      if (belowValue && current?.spec && takesMoreLines(current.spec) && amidValue(trimmed)) {
        const amid = current.commentsAmidValue ?? [];
        if (amid.length === 0) (current as { commentsAmidValue?: NumberedLine[] }).commentsAmidValue = amid;
        amid.push({ text: trimmed, line });
        continue;
      }
      belowValue = false;
      continue;
    }
    belowValue = true;
    const start = FIELD_START.exec(text);
    if (!start) {
      const labelled = index ? labelledLine(trimmed, line, index) : undefined;
      if (labelled) {
        current = labelled;
        currentIndent = text.length - text.trimStart().length;
        fields.push(labelled);
      } else if (current) current.continuations.push({ text: trimmed, line });
      else
        problems.push(
          problem(
            'E_UNEXPECTED_LINE',
            `this line is not a field (like "01. Label: value", or "Label: value" with a label of this form): ${JSON.stringify(trimmed.slice(0, 60))}`,
            { line },
          ),
        );
      continue;
    }
    const rest = text.slice(start[0].length);
    const colon = labelEnd(rest);
    const number = `${start[1]}${start[2]}`;
    if (colon < 0) {
      problems.push(
        problem('E_MALFORMED_LINE', 'there is no ":" between the label and the value', {
          field: number,
          line,
        }),
      );
      current = undefined;
      continue;
    }
    const id = String(Number.parseInt(start[1]!, 10));
    const label = rest.slice(0, colon).trim();
    // The blanks before the number: the match holds them (and no more than a few blanks after it).
    const indent = start[0].length - start[0].trimStart().length;
    const labelled = index ? index.byLabel.get(normalizeLabel(label)) : undefined;
    const under =
      index && current && !labelled
        ? numberedUnder(current, currentIndent, { number, id, label, indent }, index)
        : FIELD;
    if (current && under.is === 'continuation') {
      current.continuations.push({ text: trimmed, line });
      continue;
    }
    if (under.is === 'ambiguous') {
      problems.push(problem('E_AMBIGUOUS_LINE', under.why, { field: number, line }));
      current = undefined;
      continue;
    }
    const spec = labelled ?? index?.byId.get(id);
    current = {
      number,
      id,
      numbered: true,
      ...(spec ? { spec } : {}),
      label,
      value: rest.slice(colon + 1).trim(),
      line,
      continuations: [],
    };
    currentIndent = indent;
    fields.push(current);
  }
  return fields;
}

/** What a numbered line below a field is: a field, one more line of that field's value, or refused (why). */
type NumberedReading =
  | { readonly is: 'field' }
  | { readonly is: 'continuation' }
  | { readonly is: 'ambiguous'; readonly why: string };
const FIELD: NumberedReading = { is: 'field' };
const CONTINUATION: NumberedReading = { is: 'continuation' };

/** Fields whose value may go on over more lines: a line below them may be one more of theirs. */
const takesMoreLines = (spec: FieldSpec) => spec.multi !== undefined || spec.kind === 'freeText';

/**
 * A numbered line whose label is none of the form's (`12. step: call the customer`; the caller
 * has looked its label up), below a
 * field that takes more lines: a numbered list inside that value, or the field its number names
 * under a label of the sender's own (`06. Cust Name:`)? Indented deeper than the field's line,
 * it is the value's (`continuation`); its number going back above that field (`7. floor: 3` under
 * `12. Public Comments`), it is refused (the sentence returned) rather than guessed, since either
 * reading may publish what was not meant; otherwise it is the field its number names, as ever.
 */
function numberedUnder(
  above: FieldLine,
  aboveIndent: number,
  line: { readonly number: string; readonly id: string; readonly label: string; readonly indent: number },
  index: VersionIndex,
): NumberedReading {
  if (line.label === '') return FIELD;
  const spec = above.spec;
  if (!spec || !takesMoreLines(spec)) return FIELD;
  if (line.indent > aboveIndent) return CONTINUATION;
  const numbered = index.byId.get(line.id);
  if (!numbered || Number(line.id) >= Number(above.id)) return FIELD;
  const said = JSON.stringify(`${line.number}. ${line.label.slice(0, 40)}:`);
  const why = `the line ${said} stands under field ${above.number} (${spec.label}), which goes on over more lines, but its label is none of this form's and its number goes back to field ${numbered.number} (${numbered.label}): write "${numbered.number}. ${numbered.label}:" to give that field, or indent the line or leave its number out to go on with field ${above.number}`;
  return { is: 'ambiguous', why };
}

/** Lower-case, no parenthetical, letters and digits only: `Customer  Name (Blah)` -> `customername`. */
export function normalizeLabel(label: string): string {
  if (label.length > CACHED_LABEL_LENGTH) return normalized(label);
  let out = NORMALIZED.get(label);
  if (out === undefined) {
    // Senders write the same few hundred labels: a bounded memo, emptied when full.
    if (NORMALIZED.size >= CACHED_LABELS) NORMALIZED.clear();
    out = normalized(label);
    NORMALIZED.set(label, out);
  }
  return out;
}

/**
 * Labels as written -> as compared: a line is looked up by its label several times (the
 * reader, the grouping, the reply's notes, line 00's search), each a string built char by char.
 */
const NORMALIZED = new Map<string, string>();
const CACHED_LABELS = 4096;
/** Longer than any form's label with a parenthetical: not worth keeping. */
const CACHED_LABEL_LENGTH = 80;

function normalized(label: string): string {
  // A character loop: this runs for every field line, and three regex passes showed in profiles.
  let out = '';
  let depth = 0;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth = depth > 0 ? depth - 1 : 0;
    else if (depth === 0) {
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) out += label[i];
      else if (c >= 65 && c <= 90) out += String.fromCharCode(c + 32);
    }
  }
  return out;
}
