/**
 * What an edit is checked against before it is shown or applied: the template's versions. Staff
 * edit the current text; an edit written on an older one (someone edited meanwhile) or one that
 * changes nothing is refused before anything is claimed.
 */

import type { Database } from '../db/index.ts';
import { fail, ok, problem, type Result } from '../shared/index.ts';
import { type TemplateVersionView, templateVersions } from './template-versions.ts';
import { textsDiffer } from './text-diff.ts';

/** The longest template text an edit may hold: forms are a few kilobytes. */
export const MAX_TEMPLATE_TEXT = 64 * 1024;

export interface CheckedEdit {
  readonly versions: readonly TemplateVersionView[];
  readonly customer: TemplateVersionView;
  readonly current: TemplateVersionView;
}

export async function checkEdit(
  db: Database,
  target: { readonly submissionId: string; readonly templateIndex: number },
  edit: { readonly text: string; readonly basedOnVersion: number },
): Promise<Result<CheckedEdit>> {
  const versions = await templateVersions(db, target.submissionId, target.templateIndex);
  const customer = versions[0];
  const current = versions.at(-1);
  if (!customer || !current) {
    return fail(problem('E_NOT_FOUND', `template ${target.templateIndex} of this submission does not exist`));
  }
  if (edit.basedOnVersion !== current.version) {
    const by = current.author === 'customer' ? 'the customer' : current.author.replace(/^staff:/, '');
    return fail(
      problem(
        'E_EDIT_CONFLICT',
        `the template is at version ${current.version} (by ${by}), not version ${edit.basedOnVersion} that this edit was written on: reload the page and edit the current text`,
      ),
    );
  }
  if (!edit.text.trim()) {
    return fail(problem('E_NOTHING_EDITED', 'the text is empty: an edit holds the whole template'));
  }
  if (edit.text.length > MAX_TEMPLATE_TEXT) {
    return fail(problem('E_EDIT_TOO_LONG', `keep the template under ${MAX_TEMPLATE_TEXT / 1024} KiB`));
  }
  if (!textsDiffer(current.text, edit.text)) {
    return fail(
      problem(
        'E_NOTHING_EDITED',
        'the text is the same as the current version: change it, or reprocess or override instead',
      ),
    );
  }
  return ok({ versions, customer, current });
}
