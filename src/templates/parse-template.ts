/**
 * One template block -> the typed request, or every problem in it (not only the first), each
 * with the field number as the sender wrote it and the line counted from the `Template:` line; past
 * MAX_PROBLEMS_LISTED, the first ones by line and one line counting the rest (problem-list.ts).
 */
import { type Problem, problem, type Result, redactApiKeys } from '../shared/index.ts';
import {
  type CheckedFields,
  checkFieldValues,
  checkRequired,
  type FieldGroup,
  groupFields,
  readAction,
} from './check-fields.ts';
import type { FormDefinition, FormVersion } from './definition.ts';
import { FieldValues } from './field-values.ts';
import { labelNotes } from './label-notes.ts';
import { ProblemList, type ProblemSink } from './problem-list.ts';
import { type FieldLine, readFields } from './read-fields.ts';
import type { ApiKey, TemplateRequest } from './requests.ts';
import { resolveForm } from './resolve-form.ts';
import type { TemplateBlock } from './split.ts';
import { type SubjectFields, subjectsRead } from './subjects.ts';
import { indexOf } from './version-index.ts';

export interface ParsedTemplate {
  /** 1-based position in the message. */
  readonly index: number;
  /** What followed `Template:`, as written (`ARIN-REASSIGN-SIMPLE-5.3`). */
  readonly formAsWritten: string;
  /** Canonical form name (`ARIN-REASSIGN-SIMPLE`) when we know the form. */
  readonly form?: string;
  /** Version as written (`5.3`) when it could be read. */
  readonly version?: string;
  readonly headerLine: number;
  readonly endLine?: number;
  /** The template as sent, API keys redacted: safe to echo in replies and to store. */
  readonly echo: string;
  /**
   * The key from line 00, only for authorization. Not enumerable, so it stays out of
   * JSON.stringify and of anything stored from this object.
   */
  readonly apiKey?: ApiKey;
  /** What reading deliberately left aside, one sentence each, for `Note:` lines of the reply. */
  readonly notes: readonly string[];
  /**
   * The form's Additional Information, API keys redacted: a note to the hostmaster, kept on the
   * ticket for staff whether or not the template is applied (a refused template's note is what
   * staff read when they work the refusal). Read even when other fields are refused.
   */
  readonly additionalInfo?: string;
  readonly result: Result<TemplateRequest, readonly Problem[]>;
  /**
   * A template refused at reading: what the fields that did read say it is about (subjects.ts's
   * `subjectsRead`), so that its sender's corrected template, once approved, closes its
   * rejection. Absent when the request was built (its subjects are the request's) or when
   * nothing unambiguous was read.
   */
  readonly subjectsRead?: readonly string[];
  /**
   * A template refused at reading whose fields that read still make a request: that request,
   * each refused field left out, or as the sender evidently meant it (`USA`: `US`). Never
   * applied: the worker runs the registry's checks on it (undone) so that the first reply names
   * the registry's problems beside the field errors (docs/reply-format.md, "Errors"). Absent
   * when the template was read (`result` is the request) or when what read makes no request.
   */
  readonly checkedAsRead?: TemplateRequest;
  /** The field numbers the reading refused (a registry problem about one of them is not reported). */
  readonly refusedFields?: readonly string[];
}

/** Numbers of the fields written but refused (already reported). */
function fieldsInError(groups: ReadonlyMap<string, FieldGroup>, checked: CheckedFields): Set<string> {
  const numbers = new Set<string>();
  for (const key of checked.refused) {
    const group = groups.get(key);
    if (group) numbers.add(group.spec.number);
  }
  return numbers;
}

/** The cross-field problems worth adding once some fields are already refused. */
class FollowUps implements ProblemSink {
  constructor(
    private readonly problems: ProblemSink,
    private readonly refusedFields: ReadonlySet<string>,
  ) {}
  get length(): number {
    return this.problems.length;
  }
  push(p: Problem): void {
    if (p.code === 'E_NOTHING_TO_CHANGE') return;
    if (p.field !== undefined && this.refusedFields.has(p.field)) return;
    this.problems.push(p);
  }
}

/** The key every form's Additional Information line is read into (see forms/). */
const ADDITIONAL_INFO_KEY = 'additionalInfo';

/**
 * A filled Additional Information line: its text for the ticket, and the reply's note saying
 * where it went (ARIN's forms carried it as a note to the hostmaster; it is never published).
 * Blank or NONE is no note. Taken whatever else the template got wrong: staff read it beside the
 * refusal too.
 */
function additionalInformation(
  groups: ReadonlyMap<string, FieldGroup>,
  checked: CheckedFields,
  headerLine: number,
): { text: string; note: string } | undefined {
  const slot = checked.slots.get(ADDITIONAL_INFO_KEY);
  const group = groups.get(ADDITIONAL_INFO_KEY);
  if (slot?.state !== 'value' || !group) return undefined;
  const text = slot.values.map(String).join('\n').trim();
  if (text === '') return undefined;
  const line = slot.line - headerLine + 1;
  return {
    text: redactApiKeys(text),
    // The number as the sender wrote it (a 5.0-era REALLOCATE's 38 is our 24), as errors name it.
    note: `field ${group.lines[0]?.number ?? group.spec.number} (${group.spec.label}, line ${line}) passed to hostmaster staff with this template's ticket; it is not published`,
  };
}

/**
 * `#` lines right below a value that takes more lines (`08. Address: 100 Main St` then `#200`):
 * comments, as the forms say, so left aside, but as likely a suite number: said, so the sender
 * does not believe it taken (docs/reply-format.md, "Note").
 */
function commentsAmidValues(fields: readonly FieldLine[], headerLine: number): string[] {
  const notes: string[] = [];
  for (const field of fields) {
    for (const comment of field.commentsAmidValue ?? []) {
      const said = JSON.stringify(
        comment.text.length > 40 ? `${comment.text.slice(0, 40)}...` : comment.text,
      );
      const label = field.spec?.label ?? field.label;
      notes.push(
        `line ${comment.line - headerLine + 1} ${said} read as a comment (a line starting with # is one), not as a line of field ${field.number} (${label}): to keep it, write it without the # (e.g. "Suite 200")`,
      );
    }
  }
  return notes;
}

/** The range and the existing handle, each only when it read without a problem (see `subjectsRead`). */
function subjectFields(
  form: FormDefinition,
  groups: ReadonlyMap<string, FieldGroup>,
  checked: CheckedFields,
): SubjectFields {
  const readValue = (key: string) => {
    const slot = checked.slots.get(key);
    return slot?.state === 'value' && slot.values.length === 1 ? slot.values[0] : undefined;
  };
  const text = (key: string) => {
    const value = readValue(key);
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  };
  const range = readValue('range');
  const handle = readValue('handle');
  const handleKind = groups.get('handle')?.spec.kind;
  const networkName = text('networkName');
  const holder = text('customerName') ?? text('orgHandle') ?? text('orgName');
  return {
    form: form.name,
    ...(typeof range === 'object' && range !== null && 'start' in range ? { range } : {}),
    ...(typeof handle === 'string' && (handleKind === 'pocHandle' || handleKind === 'orgHandle')
      ? { handle: { kind: handleKind === 'pocHandle' ? 'poc' : 'org', value: handle } }
      : {}),
    ...(networkName ? { networkName } : {}),
    ...(holder ? { holder } : {}),
  };
}

/** Runs the steps over a well-formed block; problems collected, request built only if there are none. */
function parseBody(
  block: TemplateBlock,
  form: FormDefinition,
  version: FormVersion,
  problems: ProblemList,
): {
  request?: TemplateRequest;
  apiKey?: ApiKey;
  notes: readonly string[];
  additionalInfo?: string;
  /** Refused: what its fields that read say it is about (only then: parsing is the hot path). */
  subjectsRead?: readonly string[];
  /** Refused, yet what read makes a request: for the registry's checks only (`ParsedTemplate.checkedAsRead`). */
  checkedAsRead?: TemplateRequest;
  refusedFields?: readonly string[];
} {
  const index = indexOf(version);
  const fields = readFields(block.body, problems, index);
  const groups = groupFields(fields, form, version, index, problems);
  const action = readAction(form, version, groups, block.headerLine, problems);
  const checked = checkFieldValues(groups, form, version, action, problems);

  const keySlot = checked.slots.get('apiKey');
  const key = keySlot?.state === 'value' ? keySlot.values[0] : undefined;
  const forStaff = additionalInformation(groups, checked, block.headerLine);
  // A label is the sender's text: a key pasted into one must not leak through a note.
  const byLabel = labelNotes(fields, index, `${form.name}-${version.major}.x`, block.headerLine).map(
    redactApiKeys,
  );
  const amid = commentsAmidValues(fields, block.headerLine).map(redactApiKeys);
  const keyOnly = {
    ...(typeof key === 'string' ? { apiKey: key as ApiKey } : {}),
    ...(forStaff ? { additionalInfo: forStaff.text } : {}),
    notes: [...byLabel, ...amid, ...checked.notes, ...(forStaff ? [forStaff.note] : [])],
  };
  if (!action) return keyOnly;

  checkRequired(version, form, action, groups, checked, block.headerLine, problems);
  // The cross-field rules run even when fields were refused, so the first reply names every
  // problem that does not hang on another (a missing city and a missing postal code together;
  // with `USA` for a country, the state a US address needs). What they would say again about a
  // field already refused, or "nothing to change" when the changes were refused, is left out.
  const earlier = problems.length;
  const sink = earlier === 0 ? problems : new FollowUps(problems, fieldsInError(groups, checked));
  const fieldLines = new Map<string, number>();
  for (const [key, group] of groups) {
    const line = group.lines[0]?.line;
    if (line !== undefined) fieldLines.set(key, line);
  }
  const values = new FieldValues(index.byKey, checked.slots, sink, block.headerLine, fieldLines);
  const request = form.build({ action, values, version });
  if (problems.length === 0 && request) return { request, ...keyOnly };
  return {
    ...keyOnly,
    subjectsRead: subjectsRead(action, subjectFields(form, groups, checked)),
    ...(request ? { checkedAsRead: request, refusedFields: [...fieldsInError(groups, checked)] } : {}),
  };
}

export function parseTemplateBlock(block: TemplateBlock, index: number): ParsedTemplate {
  const problems = new ProblemList();
  const resolved = resolveForm(block.header, block.headerLine);
  let request: TemplateRequest | undefined;
  let apiKey: ApiKey | undefined;
  let notes: readonly string[] = [];
  let additionalInfo: string | undefined;
  let subjects: readonly string[] = [];
  let asRead: { request: TemplateRequest; refused: readonly string[] } | undefined;
  if ('problem' in resolved) {
    problems.push(resolved.problem);
  } else if (block.endLine === undefined) {
    problems.push(
      problem('E_MISSING_END', 'the template has no "END OF TEMPLATE" line; add it after the last field', {
        line: block.headerLine,
      }),
    );
  } else {
    const parsed = parseBody(block, resolved.form, resolved.version, problems);
    request = parsed.request;
    apiKey = parsed.apiKey;
    notes = parsed.notes;
    additionalInfo = parsed.additionalInfo;
    subjects = parsed.subjectsRead ?? [];
    if (parsed.checkedAsRead) asRead = { request: parsed.checkedAsRead, refused: parsed.refusedFields ?? [] };
    if (!request && problems.length === 0) {
      // Safety net: a build that gives up must have said why; never fail silently.
      problems.push(
        problem('E_INVALID_TEMPLATE', 'the template could not be read; check the required fields', {
          line: block.headerLine,
        }),
      );
    }
  }
  // Values are quoted in messages: a key pasted into a wrong field must not leak through them.
  // Lines count from the template's own `Template:` line (1), as the echo numbers them: what a
  // sender finds in the reply, whatever came before the template in the message.
  const safeProblems = problems.listed().map((p) => ({
    ...p,
    message: redactApiKeys(p.message),
    ...(p.line !== undefined ? { line: p.line - block.headerLine + 1 } : {}),
  }));
  const form = resolved.form?.name;
  const version = resolved.written;
  const built = safeProblems.length === 0 ? request : undefined;
  const parsed: ParsedTemplate = {
    index,
    // The Template: line is the sender's text too (`ARIN-API-<key>-5.0`): it names rows, replies, metrics.
    formAsWritten: redactApiKeys(block.header),
    ...(form ? { form } : {}),
    ...(version ? { version } : {}),
    headerLine: block.headerLine,
    ...(block.endLine !== undefined ? { endLine: block.endLine } : {}),
    echo: redactApiKeys(block.text),
    notes,
    ...(additionalInfo !== undefined ? { additionalInfo } : {}),
    result: built ? { ok: true, value: built } : { ok: false, error: safeProblems },
    ...(!built && subjects.length > 0 ? { subjectsRead: subjects } : {}),
    ...(!built && asRead
      ? {
          checkedAsRead: asRead.request,
          // The fields the problems name as the sender numbered them, and the form's own numbers.
          refusedFields: [
            ...new Set([
              ...asRead.refused,
              ...safeProblems.flatMap((p) => (p.field !== undefined ? [p.field] : [])),
            ]),
          ],
        }
      : {}),
  };
  if (apiKey) Object.defineProperty(parsed, 'apiKey', { value: apiKey, enumerable: false });
  return parsed;
}
