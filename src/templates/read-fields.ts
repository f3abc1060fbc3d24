/**
 * Reads a template body into numbered field lines. Senders vary (case, spacing, a different
 * parenthetical, no space after the colon, tabs): the NUMBER identifies a field; the label is
 * kept only for a loose sanity check. Unlabelled lines continue the previous field.
 */
import { problem } from '../shared/index.ts';
import type { ProblemSink } from './problem-list.ts';
import type { NumberedLine } from './split.ts';

export interface FieldLine {
  /** As written: `03`, `5a`. */
  readonly number: string;
  /** Numeric identity: `03` -> `3`, `5a` -> `5`. */
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly line: number;
  /** Unlabelled lines that followed it. */
  readonly continuations: NumberedLine[];
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

/** Index of the first `:` outside parentheses (`Referral Server (rwhois://host:port):`). */
function labelEnd(text: string): number {
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

/** The field lines of a body; lines that are no field are reported into `problems`. */
export function readFields(body: readonly NumberedLine[], problems: ProblemSink): FieldLine[] {
  const fields: FieldLine[] = [];
  let current: FieldLine | undefined;
  for (const { text, line } of body) {
    const trimmed = text.trim();
    if (trimmed.length === 0 || isComment(trimmed)) continue;
    const start = FIELD_START.exec(text);
    if (!start) {
      if (current) current.continuations.push({ text: trimmed, line });
      else
        problems.push(
          problem(
            'E_UNEXPECTED_LINE',
            `this line is not a numbered field (like "01. Label: value"): ${JSON.stringify(trimmed.slice(0, 60))}`,
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
    current = {
      number,
      id: String(Number.parseInt(start[1]!, 10)),
      label: rest.slice(0, colon).trim(),
      value: rest.slice(colon + 1).trim(),
      line,
      continuations: [],
    };
    fields.push(current);
  }
  return fields;
}

/** Lower-case, no parenthetical, letters and digits only: `Customer  Name (Blah)` -> `customername`. */
export function normalizeLabel(label: string): string {
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
