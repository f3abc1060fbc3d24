/**
 * The registry speaks of values, not of form lines. So the sender can find what to fix, a rule
 * broken by a template's range or handle is pinned to the field number that carried it in the
 * form and version the sender used (`Error: E_OVERLAP field 03: ...`).
 */
import type { Problem } from '../shared/index.ts';
import { fieldMentioned, findForm, findVersion, type ParsedTemplate } from '../templates/index.ts';

/** Which semantic field of a form a registry code is about. */
const FIELD_KEY_OF_CODE: Readonly<Record<string, string>> = {
  E_NOT_WITHIN_PARENT: 'range',
  E_OVERLAP: 'range',
  E_PREFIX_TOO_SMALL: 'range',
  E_AMBIGUOUS_RANGE: 'range',
  E_WRONG_FORM: 'range',
  E_POC_IN_USE: 'handle',
  E_ORG_IN_USE: 'handle',
};

export function fieldNumberOf(template: ParsedTemplate, key: string): string | undefined {
  const form = template.form ? findForm(template.form) : undefined;
  const major = Number.parseInt(template.version ?? '', 10);
  const version = form && Number.isInteger(major) ? findVersion(form, major) : undefined;
  return version?.fields.find((f) => f.key === key && !f.retired)?.number;
}

/**
 * Codes about whichever object the sentence names (a POC, an org, a net): the field whose value
 * it quotes, else the object the request is about (its handle, or its range).
 */
const NAMED_OBJECT_CODES: ReadonlySet<string> = new Set(['E_NOT_AUTHORIZED', 'E_OBJECT_NOT_FOUND']);

function subjectKey(template: ParsedTemplate): string {
  const kind = template.result.ok ? template.result.value.kind : '';
  return /^(poc|org)\./.test(kind) ? 'handle' : 'range';
}

export function pinToField(template: ParsedTemplate, p: Problem): Problem {
  if (p.field) return p;
  const field = NAMED_OBJECT_CODES.has(p.code)
    ? (fieldMentioned(template, p.message) ?? fieldNumberOf(template, subjectKey(template)))
    : FIELD_KEY_OF_CODE[p.code] && fieldNumberOf(template, FIELD_KEY_OF_CODE[p.code]!);
  return field ? { ...p, field } : p;
}
