/**
 * The steps from a template body to validated values, each adding every problem it finds:
 * group lines by field, read the action (it decides what is required), check each field's
 * values, then check required and must-be-blank fields for that action.
 */
import { problem } from '../shared/index.ts';
import type { Action, FieldSpec, FormDefinition, FormVersion } from './definition.ts';
import type { Slot } from './field-values.ts';
import { nearest } from './nearest.ts';
import { MAX_PROBLEMS_LISTED, type ProblemSink } from './problem-list.ts';
import type { FieldLine } from './read-fields.ts';
import { normalizeLabel } from './read-fields.ts';
import type { NumberedLine } from './split.ts';
import { checkValue, type Scalar } from './values.ts';
import { labelledField, type VersionIndex } from './version-index.ts';

export interface FieldGroup {
  readonly spec: FieldSpec;
  readonly lines: FieldLine[];
}

/** All non-empty values written for one field, continuation lines included. */
export function rawValues(lines: readonly FieldLine[]): NumberedLine[] {
  const out: NumberedLine[] = [];
  for (const f of lines) {
    if (f.value.length > 0) out.push({ text: f.value, line: f.line });
    for (const c of f.continuations) out.push(c);
  }
  return out;
}

/**
 * The field a line is: by its label when the label is one of the version's (the number is then
 * only a hint, as ARIN's own processor reads templates: 5.0-era forms number Public Comments 37
 * and clients still send 4.1 numbering under a 5.x header), else by its number; a line whose
 * label and number are both unknown is reported.
 */
export function fieldOf(f: FieldLine, index: VersionIndex): FieldSpec | undefined {
  // The reader found it already when it was given the form (every caller here gives it).
  return f.spec ?? labelledField(f.label, index) ?? index.byId.get(f.id);
}

function nearestLabel(label: string, index: VersionIndex): FieldSpec | undefined {
  return nearest(normalizeLabel(label), index.byLabel);
}

/** Field lines by semantic key; lines that are no field of the version reported. */
export function groupFields(
  fields: readonly FieldLine[],
  form: FormDefinition,
  version: FormVersion,
  index: VersionIndex,
  problems: ProblemSink,
): Map<string, FieldGroup> {
  const groups = new Map<string, FieldGroup>();
  const layout = `${form.name}-${version.major}.x`;
  for (const f of fields) {
    const spec = fieldOf(f, index);
    if (!spec) {
      const label = f.label ? ` and no field labelled ${JSON.stringify(f.label.slice(0, 60))}` : '';
      // Past the listed problems a suggestion would never be read: not worth the comparisons.
      const near = problems.length < MAX_PROBLEMS_LISTED ? nearestLabel(f.label, index) : undefined;
      const meant = near ? `; did you mean ${near.number}. ${near.label}?` : '';
      const message = `there is no field ${f.number} on ${layout} (fields ${index.numbers})${label}${meant}`;
      problems.push(problem('E_UNKNOWN_FIELD', message, { field: f.number, line: f.line }));
      continue;
    }
    const group = groups.get(spec.key);
    if (group) group.lines.push(f);
    else groups.set(spec.key, { spec, lines: [f] });
  }
  return groups;
}

/** The registration action; forms without one only create (`N`). Undefined when missing or wrong (reported). */
export function readAction(
  form: FormDefinition,
  version: FormVersion,
  groups: ReadonlyMap<string, FieldGroup>,
  headerLine: number,
  problems: ProblemSink,
): Action | undefined {
  if (!form.actionKey) return 'N';
  const group = groups.get(form.actionKey);
  const first = group ? rawValues(group.lines)[0] : undefined;
  if (!group || !first) {
    const spec = version.fields.find((f) => f.key === form.actionKey);
    const where = { ...(spec ? { field: spec.number } : {}), line: group?.lines[0]?.line ?? headerLine };
    problems.push(
      problem(
        'E_MISSING_FIELD',
        `the registration action is missing: write ${form.actions.join(', ')}`,
        where,
      ),
    );
    return undefined;
  }
  const where = { field: group.spec.number, line: first.line };
  const checked = checkValue('action', first.text);
  if (!checked.ok) {
    problems.push(
      problem(checked.code, `${checked.message}; ${form.name} accepts ${form.actions.join(', ')}`, where),
    );
    return undefined;
  }
  const action = checked.value as Action;
  if (!form.actions.includes(action)) {
    problems.push(
      problem(
        'E_INVALID_ACTION',
        `${form.name} does not accept action ${action}; it accepts ${form.actions.join(' or ')}`,
        where,
      ),
    );
    return undefined;
  }
  return action;
}

export interface CheckedFields {
  readonly slots: Map<string, Slot>;
  /** Written but refused (already reported), so not reported as missing too. */
  readonly refused: Set<string>;
  /** What the reply says about lines deliberately left unread (`Note:` lines). */
  readonly notes: string[];
}

/** A key as our replies show it (redactedKey): stars for every group but the last. */
const HIDDEN_KEY = /^API(?:-\*{4}){3,7}-[0-9A-F]{4}$/i;
const HIDDEN_KEY_NOTE = (line: number) =>
  `line ${line} (field 00) holds an API key as our replies show it, hidden; it was read as blank, so the key written in the Subject or elsewhere in the message was used (write the key out if the message has none)`;

const isNone = (values: readonly NumberedLine[]) =>
  values.length === 1 && values[0]!.text.toUpperCase() === 'NONE';

/** Each field's values: count, NONE, retired, syntax. */
export function checkFieldValues(
  groups: ReadonlyMap<string, FieldGroup>,
  form: FormDefinition,
  version: FormVersion,
  action: Action | undefined,
  problems: ProblemSink,
): CheckedFields {
  const slots = new Map<string, Slot>();
  const refused = new Set<string>();
  const skipped: { readonly spec: FieldSpec; readonly by: string }[] = [];
  let hiddenKeyLine: number | undefined;
  for (const { spec, lines } of groups.values()) {
    let values = rawValues(lines);
    if (values.length === 0) continue;
    const first = values[0]!;
    if (spec.key === form.actionKey) {
      if (action) slots.set(spec.key, { state: 'value', values: [action], line: first.line });
      continue;
    }
    // Our own reply's echo of line 00 (`API-****-****-****-58E6`) pasted back as the reply invites:
    // no key written here, so the key in the Subject (or another line 00) serves; said in a note.
    if (spec.kind === 'apiKey' && values.every((v) => HIDDEN_KEY.test(v.text))) {
      hiddenKeyLine = first.line;
      continue;
    }
    const skippedBy = skippingField(spec, groups);
    if (skippedBy) {
      skipped.push({ spec, by: skippedBy });
      continue;
    }
    if (spec.retired) {
      const message = `field ${spec.number} is retired on ${form.name}-${version.major}.x: ${spec.retired}`;
      problems.push(problem('E_RETIRED_FIELD', message, { field: spec.number, line: first.line }));
      continue;
    }
    // Free text may span lines: one value.
    if (spec.kind === 'freeText') values = [{ text: values.map((v) => v.text).join('\n'), line: first.line }];
    const max = spec.multi ?? 1;
    if (values.length > max) {
      const why = spec.multi
        ? `at most ${max} values are allowed`
        : 'it takes one value on one line (a repeated or continued line is not allowed)';
      const message = `too many values for field ${spec.number} (${spec.label}): ${why}`;
      problems.push(problem('E_TOO_MANY_VALUES', message, { field: spec.number, line: values[max]!.line }));
      refused.add(spec.key);
      continue;
    }
    if (isNone(values) && spec.kind !== 'apiKey') {
      if (action !== 'M') continue; // NONE on a create means "nothing here"
      if (spec.required?.includes('N') || spec.required?.includes('M')) {
        const message = `field ${spec.number} (${spec.label}) is required and cannot be cleared with NONE`;
        problems.push(problem('E_CANNOT_CLEAR', message, { field: spec.number, line: first.line }));
        refused.add(spec.key);
      } else slots.set(spec.key, { state: 'cleared', line: first.line });
      continue;
    }
    const checkedValues: Scalar[] = [];
    const meantValues: Scalar[] = [];
    for (const v of values) {
      const checked = checkValue(spec.kind, v.text, spec.maxLength);
      if (checked.ok) {
        checkedValues.push(checked.value);
        meantValues.push(checked.value);
      } else {
        problems.push(problem(checked.code, checked.message, { field: spec.number, line: v.line }));
        if (checked.meant !== undefined) meantValues.push(checked.meant);
      }
    }
    const valueLines = values.map((v) => v.line);
    if (checkedValues.length === values.length)
      slots.set(spec.key, { state: 'value', values: checkedValues, line: first.line, lines: valueLines });
    else {
      refused.add(spec.key);
      if (meantValues.length === values.length)
        slots.set(spec.key, { state: 'meant', values: meantValues, line: first.line });
    }
  }
  const notes = skippedNotes(skipped, groups);
  if (hiddenKeyLine !== undefined) notes.push(HIDDEN_KEY_NOTE(hiddenKeyLine));
  return { slots, refused, notes };
}

/** A value written, NONE aside (`NONE` for an Org ID names no org, so nothing is skipped for it). */
const given = (group: FieldGroup | undefined) => {
  const values = group ? rawValues(group.lines) : [];
  return values.length > 0 && !isNone(values);
};

/** The first of the fields whose being given makes the form skip `spec`, if any is given. */
function skippingField(spec: FieldSpec, groups: ReadonlyMap<string, FieldGroup>): string | undefined {
  const keys =
    spec.skippedWhen === undefined
      ? []
      : typeof spec.skippedWhen === 'string'
        ? [spec.skippedWhen]
        : spec.skippedWhen;
  return keys.find((key) => given(groups.get(key)));
}

/** One sentence per field that made the form skip lines, naming the lines it skipped. */
function skippedNotes(
  skipped: readonly { readonly spec: FieldSpec; readonly by: string }[],
  groups: ReadonlyMap<string, FieldGroup>,
): string[] {
  const byField = new Map<string, FieldSpec[]>();
  for (const { spec, by } of skipped) byField.set(by, [...(byField.get(by) ?? []), spec]);
  return [...byField].map(([key, specs]) => skippedNote(specs, groups.get(key)!.spec));
}

/** One sentence for every skipped line, by the fields the form skips to. */
function skippedNote(skipped: readonly FieldSpec[], by: FieldSpec): string {
  const numbers = skipped.map((s) => s.number).sort();
  const span =
    numbers.length > 1 ? `fields ${numbers[0]}-${numbers[numbers.length - 1]}` : `field ${numbers[0]}`;
  return `${span} not read: field ${by.number} (${by.label}) is given, and the form skips them then`;
}

/** Fields required for the action but blank, and fields that must be blank but are filled. */
export function checkRequired(
  version: FormVersion,
  form: FormDefinition,
  action: Action,
  groups: ReadonlyMap<string, FieldGroup>,
  checked: CheckedFields,
  headerLine: number,
  problems: ProblemSink,
): void {
  for (const spec of version.fields) {
    if (spec.retired) continue;
    const given = checked.slots.get(spec.key)?.state === 'value';
    const where = { field: spec.number, line: groups.get(spec.key)?.lines[0]?.line ?? headerLine };
    if (spec.required?.includes(action) && !given && !checked.refused.has(spec.key)) {
      const forAction = form.actionKey ? ` for action ${action}` : '';
      problems.push(
        problem('E_MISSING_FIELD', `field ${spec.number} (${spec.label}) is required${forAction}`, where),
      );
    }
    if (spec.blankFor?.includes(action) && given) {
      problems.push(
        problem(
          'E_UNEXPECTED_VALUE',
          `field ${spec.number} (${spec.label}) must be blank for action ${action}`,
          where,
        ),
      );
    }
  }
}
