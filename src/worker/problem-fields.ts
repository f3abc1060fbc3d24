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

/**
 * The line of the template (1 = its `Template:` line, as the echo numbers it) where the field
 * stands first, so a registry rule's error names and quotes it as a parse error does.
 */
export function lineOfField(template: ParsedTemplate, field: string): number | undefined {
  const wanted = /^0*(\d+)([a-z]?)$/i.exec(field);
  if (!wanted) return undefined;
  const lines = template.echo.split(/\r\n|\r|\n/);
  for (let i = 1; i < lines.length; i++) {
    const m = /^\s*0*(\d{1,3})([a-z]?)\s*\./i.exec(lines[i]!);
    if (m && m[1] === wanted[1] && m[2]!.toLowerCase() === wanted[2]!.toLowerCase()) return i + 1;
  }
  return undefined;
}

export function pinToField(template: ParsedTemplate, p: Problem): Problem {
  const field = p.field ?? fieldOf(template, p);
  if (!field) return p;
  const line = p.line ?? lineOfField(template, field);
  return { ...p, field, ...(line !== undefined ? { line } : {}) };
}
