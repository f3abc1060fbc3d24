/** `Template: ARIN-REASSIGN-SIMPLE-5.3` -> the form definition and the version's layout. */
import { type Problem, problem } from '../shared/index.ts';
import type { FormDefinition, FormVersion } from './definition.ts';
import { acceptedVersions, FORMS, findForm, findVersion } from './forms/index.ts';
import { nearest } from './nearest.ts';

const HEADER_NAME = /^(.+?)-(\d{1,3})(?:\.(\d{1,3}))?$/;

export type ResolvedForm =
  | { readonly form: FormDefinition; readonly version: FormVersion; readonly written: string }
  | { readonly problem: Problem; readonly form?: FormDefinition; readonly written?: string };

function allFormNames(): string {
  return FORMS.map((f) => `${f.name} (${acceptedVersions(f)})`).join(', ');
}

/** Any minor of a known major is accepted; anything else names the forms and versions we do accept. */
export function resolveForm(header: string, line: number): ResolvedForm {
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
    const near = nearest(
      m[1]!.toUpperCase(),
      FORMS.flatMap((f) => [
        [f.name.toUpperCase(), f] as const,
        [f.name.toUpperCase().replace(/^ARIN-/, ''), f] as const,
      ]),
    );
    const meant = near ? ` (did you mean ${near.name}-${written}?)` : '';
    const message = `"${m[1]!.slice(0, 60)}" is not a form we know${meant}; we accept ${allFormNames()}`;
    return { problem: problem('E_UNKNOWN_TEMPLATE', message, { line }), written };
  }
  const version = findVersion(form, Number(m[2]));
  if (!version) {
    const message = `version ${written} of ${form.name} is not supported; we accept versions ${acceptedVersions(form)}`;
    return { form, written, problem: problem('E_UNKNOWN_TEMPLATE', message, { line }) };
  }
  return { form, version, written };
}
