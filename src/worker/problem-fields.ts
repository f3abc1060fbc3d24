/**
 * The registry speaks of values, not of form lines. So the sender can find what to fix, a rule
 * broken by a template's range or handle is pinned to the field number that carried it in the
 * form and version the sender used (`Error: E_OVERLAP field 03: ...`).
 */
import { errorCodeEntry, type Problem } from '../shared/index.ts';
import { fieldMentioned, findForm, findVersion, type ParsedTemplate } from '../templates/index.ts';

export function fieldNumberOf(template: ParsedTemplate, key: string): string | undefined {
  const form = template.form ? findForm(template.form) : undefined;
  const major = Number.parseInt(template.version ?? '', 10);
  const version = form && Number.isInteger(major) ? findVersion(form, major) : undefined;
  return version?.fields.find((f) => f.key === key && !f.retired)?.number;
}

function subjectKey(template: ParsedTemplate): string {
  const kind = template.result.ok ? template.result.value.kind : '';
  return /^(poc|org)\./.test(kind) ? 'handle' : 'range';
}

/**
 * The field the catalogue says a code is about: a form key (range, handle) in the sender's
 * version; for `named` (a POC, an org, a net the sentence names) the field whose value it quotes,
 * else the object the request is about (its handle, or its range).
 */
function fieldOf(template: ParsedTemplate, p: Problem): string | undefined {
  const about = errorCodeEntry(p.code)?.field;
  if (about === 'range' || about === 'handle') return fieldNumberOf(template, about);
  if (about === 'named') {
    return fieldMentioned(template, p.message) ?? fieldNumberOf(template, subjectKey(template));
  }
  return undefined;
}

export function pinToField(template: ParsedTemplate, p: Problem): Problem {
  if (p.field) return p;
  const field = fieldOf(template, p);
  return field ? { ...p, field } : p;
}
