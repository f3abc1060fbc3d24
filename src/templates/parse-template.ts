/**
 * One template block -> the typed request, or every problem in it (not only the first), each
 * with the field number as the sender wrote it and the line in the whole message text.
 */
import { type Problem, problem, type Result } from '../shared/errors.ts';
import { redactApiKeys } from './api-key.ts';
import type { Action, FieldSpec, FormDefinition, FormVersion } from './definition.ts';
import { fieldId } from './definition.ts';
import { FieldValues, type Slot } from './field-values.ts';
import { apiKeyField } from './forms/common.ts';
import { acceptedVersions, FORMS, findForm, findVersion } from './forms/index.ts';
import { type FieldLine, normalizeLabel, readFields } from './read-fields.ts';
import type { ApiKey, RequestKind, TemplateRequest } from './requests.ts';
import type { TemplateBlock } from './split.ts';
import { checkValue, type Scalar } from './values.ts';

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
  readonly result: Result<TemplateRequest, readonly Problem[]>;
}

export function templateKind(t: ParsedTemplate): RequestKind | undefined {
  return t.result.ok ? t.result.value.kind : undefined;
}

const HEADER_NAME = /^(.+?)-(\d{1,3})(?:\.(\d{1,3}))?$/;

function allFormNames(): string {
  return FORMS.map((f) => `${f.name} (${acceptedVersions(f)})`).join(', ');
}

type Resolved =
  | { readonly form: FormDefinition; readonly version: FormVersion; readonly written: string }
  | { readonly problem: Problem; readonly form?: FormDefinition; readonly written?: string };

function resolveForm(header: string, line: number): Resolved {
  const m = HEADER_NAME.exec(header);
  if (!m) {
    const what = header
      ? `"${header.slice(0, 60)}" is not a form name with a version`
      : 'the Template: line names no form';
    return { problem: problem('E_UNKNOWN_TEMPLATE', `${what}; we accept ${allFormNames()}`, { line }) };
  }
  const written = `${m[2]}${m[3] !== undefined ? `.${m[3]}` : ''}`;
  const form = findForm(m[1]!);
  if (!form) {
    return {
      problem: problem(
        'E_UNKNOWN_TEMPLATE',
        `"${m[1]!.slice(0, 60)}" is not a form we know; we accept ${allFormNames()}`,
        { line },
      ),
      written,
    };
  }
  const version = findVersion(form, Number(m[2]));
  if (!version) {
    return {
      form,
      written,
      problem: problem(
        'E_UNKNOWN_TEMPLATE',
        `version ${written} of ${form.name} is not supported; we accept versions ${acceptedVersions(form)}`,
        { line },
      ),
    };
  }
  return { form, version, written };
}

interface RawValue {
  readonly text: string;
  readonly line: number;
}

/** All non-empty values written for one field, continuation lines included. */
function rawValues(lines: readonly FieldLine[]): RawValue[] {
  const out: RawValue[] = [];
  for (const f of lines) {
    if (f.value.length > 0) out.push({ text: f.value, line: f.line });
    for (const c of f.continuations) out.push({ text: c.text, line: c.line });
  }
  return out;
}

function fieldRange(version: FormVersion): string {
  const live = version.fields.filter((f) => !f.retired);
  return `${live[0]?.number ?? ''}-${live[live.length - 1]?.number ?? ''}`;
}

/** Per version, built once: fields by number, by key, and by normalized label. */
interface VersionIndex {
  readonly byId: ReadonlyMap<string, FieldSpec>;
  readonly byKey: ReadonlyMap<string, FieldSpec>;
  readonly byLabel: ReadonlyMap<string, FieldSpec>;
  readonly labelOf: ReadonlyMap<FieldSpec, string>;
}
const INDEX = new WeakMap<FormVersion, VersionIndex>();

function indexOf(version: FormVersion): VersionIndex {
  let index = INDEX.get(version);
  if (!index) {
    const byId = new Map<string, FieldSpec>();
    const byLabel = new Map<string, FieldSpec>();
    const labelOf = new Map<FieldSpec, string>();
    for (const spec of version.fields) {
      byId.set(fieldId(spec.number), spec);
      labelOf.set(spec, normalizeLabel(spec.label));
      if (!spec.retired) byLabel.set(normalizeLabel(spec.label), spec);
    }
    // Line 00 is accepted on every version: some billing systems add it to 4.x templates.
    if (!byId.has('0')) byId.set('0', apiKeyField);
    index = { byId, byKey: new Map(version.fields.map((f) => [f.key, f])), byLabel, labelOf };
    INDEX.set(version, index);
  }
  return index;
}

/** A label that is exactly another field's label means the sender used another layout: say so. */
function labelMismatch(spec: FieldSpec, label: string, index: VersionIndex): FieldSpec | undefined {
  const written = normalizeLabel(label);
  // The usual case, the field's own label, is a plain comparison (no hashing of a built string).
  if (!written || written === index.labelOf.get(spec)) return undefined;
  const match = index.byLabel.get(written);
  return match && match !== spec && match.label !== spec.label ? match : undefined;
}

function parseBody(
  block: TemplateBlock,
  form: FormDefinition,
  version: FormVersion,
  problems: Problem[],
): { request?: TemplateRequest; apiKey?: ApiKey } {
  const index = indexOf(version);
  const specs = index.byId;

  const read = readFields(block.body);
  problems.push(...read.problems);
  const byKey = new Map<string, { spec: FieldSpec; lines: FieldLine[] }>();
  for (const f of read.fields) {
    const spec = specs.get(f.id);
    if (!spec) {
      problems.push(
        problem(
          'E_UNKNOWN_FIELD',
          `there is no field ${f.number} on ${form.name}-${version.major}.x (fields ${fieldRange(version)})`,
          { field: f.number, line: f.line },
        ),
      );
      continue;
    }
    const other = labelMismatch(spec, f.label, index);
    if (other) {
      problems.push(
        problem(
          'E_FIELD_MISMATCH',
          `field ${spec.number} is "${spec.label}" on ${form.name}-${version.major}.x, but this line is labelled as field ${other.number} ("${other.label}"); check the template version`,
          {
            field: f.number,
            line: f.line,
          },
        ),
      );
      continue;
    }
    const entry = byKey.get(spec.key) ?? { spec, lines: [] };
    entry.lines.push(f);
    byKey.set(spec.key, entry);
  }

  // The action decides what is required, so read it first.
  let action: Action | undefined = form.actionKey ? undefined : 'N';
  const slots = new Map<string, Slot>();
  /** Keys whose value was written but refused: already reported, so not "missing" too. */
  const refused = new Set<string>();
  const actionEntry = form.actionKey ? byKey.get(form.actionKey) : undefined;
  if (actionEntry) {
    const values = rawValues(actionEntry.lines);
    const first = values[0];
    if (first) {
      const checked = checkValue('action', first.text);
      if (!checked.ok) {
        problems.push(
          problem(checked.code, `${checked.message}; ${form.name} accepts ${form.actions.join(', ')}`, {
            field: actionEntry.spec.number,
            line: first.line,
          }),
        );
      } else if (!form.actions.includes(checked.value as Action)) {
        problems.push(
          problem(
            'E_INVALID_ACTION',
            `${form.name} does not accept action ${String(checked.value)}; it accepts ${form.actions.join(' or ')}`,
            { field: actionEntry.spec.number, line: first.line },
          ),
        );
      } else {
        action = checked.value as Action;
      }
    }
  }

  for (const { spec, lines } of byKey.values()) {
    const where = (line: number) => ({ field: spec.number, line });
    let values = rawValues(lines);
    const firstLine = lines[0]?.line ?? block.headerLine;
    if (values.length === 0) continue;
    if (spec.retired) {
      problems.push(
        problem(
          'E_RETIRED_FIELD',
          `field ${spec.number} is retired on ${form.name}-${version.major}.x: the downstream org must already exist and be named by its Org ID in field 01`,
          where(values[0]!.line),
        ),
      );
      continue;
    }
    if (spec.kind === 'freeText') {
      values = [{ text: values.map((v) => v.text).join('\n'), line: values[0]!.line }];
    }
    const max = spec.multi ?? 1;
    if (values.length > max) {
      const extra = values[max]!;
      const why = spec.multi
        ? `at most ${max} values are allowed`
        : 'it takes one value on one line (a repeated or continued line is not allowed)';
      problems.push(
        problem(
          'E_TOO_MANY_VALUES',
          `too many values for field ${spec.number} (${spec.label}): ${why}`,
          where(extra.line),
        ),
      );
      refused.add(spec.key);
      continue;
    }
    if (
      values.length === 1 &&
      values[0]!.text.toUpperCase() === 'NONE' &&
      spec.key !== form.actionKey &&
      spec.kind !== 'apiKey'
    ) {
      if (action !== 'M') continue; // NONE on a create means "nothing here"
      if (spec.required?.includes('N') || spec.required?.includes('M')) {
        problems.push(
          problem(
            'E_CANNOT_CLEAR',
            `field ${spec.number} (${spec.label}) is required and cannot be cleared with NONE`,
            where(values[0]!.line),
          ),
        );
        refused.add(spec.key);
        continue;
      }
      slots.set(spec.key, { state: 'cleared', line: values[0]!.line });
      continue;
    }
    if (spec.key === form.actionKey) {
      if (action) slots.set(spec.key, { state: 'value', values: [action], line: firstLine });
      continue;
    }
    const checkedValues: Scalar[] = [];
    for (const v of values) {
      const checked = checkValue(spec.kind, v.text, spec.maxLength);
      if (checked.ok) checkedValues.push(checked.value);
      else problems.push(problem(checked.code, checked.message, where(v.line)));
    }
    if (checkedValues.length === values.length)
      slots.set(spec.key, { state: 'value', values: checkedValues, line: values[0]!.line });
    else refused.add(spec.key);
  }

  const apiKeySlot = slots.get('apiKey');
  const apiKey =
    apiKeySlot?.state === 'value' && typeof apiKeySlot.values[0] === 'string'
      ? (apiKeySlot.values[0] as ApiKey)
      : undefined;
  const keyOnly = apiKey ? { apiKey } : {};

  if (!action) {
    if (!actionEntry || rawValues(actionEntry.lines).length === 0) {
      const spec = version.fields.find((f) => f.key === form.actionKey);
      problems.push(
        problem('E_MISSING_FIELD', `the registration action is missing: write ${form.actions.join(', ')}`, {
          ...(spec ? { field: spec.number } : {}),
          line: actionEntry?.lines[0]?.line ?? block.headerLine,
        }),
      );
    }
    return keyOnly;
  }

  for (const spec of version.fields) {
    if (spec.retired) continue;
    const entry = byKey.get(spec.key);
    const given = slots.get(spec.key)?.state === 'value';
    const line = entry?.lines[0]?.line ?? block.headerLine;
    if (spec.required?.includes(action) && !given && !refused.has(spec.key)) {
      problems.push(
        problem(
          'E_MISSING_FIELD',
          `field ${spec.number} (${spec.label}) is required${form.actionKey ? ` for action ${action}` : ''}`,
          { field: spec.number, line },
        ),
      );
    }
    if (spec.blankFor?.includes(action) && given) {
      problems.push(
        problem(
          'E_UNEXPECTED_VALUE',
          `field ${spec.number} (${spec.label}) must be blank for action ${action}`,
          { field: spec.number, line },
        ),
      );
    }
  }
  if (problems.length > 0) return keyOnly;

  const values = new FieldValues(index.byKey, slots, problems, block.headerLine);
  const request = form.build({ action, values });
  return problems.length === 0 && request ? { request, ...keyOnly } : keyOnly;
}

export function parseTemplateBlock(block: TemplateBlock, index: number): ParsedTemplate {
  const problems: Problem[] = [];
  const resolved = resolveForm(block.header, block.headerLine);
  let request: TemplateRequest | undefined;
  let apiKey: ApiKey | undefined;
  if ('problem' in resolved) {
    problems.push(resolved.problem);
  } else if (block.endLine === undefined) {
    problems.push(
      problem(
        'E_MISSING_END',
        `the template that starts on line ${block.headerLine} has no "END OF TEMPLATE" line; add it after the last field`,
        { line: block.headerLine },
      ),
    );
  } else {
    const parsed = parseBody(block, resolved.form, resolved.version, problems);
    request = parsed.request;
    apiKey = parsed.apiKey;
    if (!request && problems.length === 0) {
      // Safety net: a build that gives up must have said why; never fail silently.
      problems.push(
        problem('E_INVALID_TEMPLATE', 'the template could not be read; check the required fields', {
          line: block.headerLine,
        }),
      );
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  // Values are quoted in messages: a key pasted into a wrong field must not leak through them.
  const safeProblems = problems.map((p) => ({ ...p, message: redactApiKeys(p.message) }));
  const form = resolved.form?.name;
  const version = resolved.written;
  const parsed: ParsedTemplate = {
    index,
    formAsWritten: block.header,
    ...(form ? { form } : {}),
    ...(version ? { version } : {}),
    headerLine: block.headerLine,
    ...(block.endLine !== undefined ? { endLine: block.endLine } : {}),
    echo: redactApiKeys(block.text),
    result:
      request && safeProblems.length === 0
        ? { ok: true, value: request }
        : { ok: false, error: safeProblems },
  };
  if (apiKey) Object.defineProperty(parsed, 'apiKey', { value: apiKey, enumerable: false });
  return parsed;
}
