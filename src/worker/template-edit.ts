/**
 * Staff "edit and apply": staff rewrite the whole text of a refused template (its form line,
 * fields and END line) and it is parsed again exactly as if the sender had written it so. Pure.
 */

import { fail, ok, type Problem, problem, type Result, redactApiKeys } from '../shared/index.ts';
import { type ParsedTemplate, parseTemplateBlock, splitTemplates } from '../templates/index.ts';

const lines = (text: string) => text.split(/\r\n|\r|\n/);

/**
 * Staff see and edit the template with its API keys hidden (as every page shows them). A line
 * they left as it was shown gets the sender's line back, key included, so the key line of an
 * edited template still reads; a line they changed stays as they wrote it.
 */
export function restoreHiddenKeys(edited: string, original: string): string {
  const byShown = new Map<string, string>();
  for (const line of lines(original)) {
    const shown = redactApiKeys(line);
    if (shown !== line && !byShown.has(shown)) byShown.set(shown, line);
  }
  if (byShown.size === 0) return edited;
  return lines(edited)
    .map((line) => byShown.get(line) ?? line)
    .join('\n');
}

/**
 * The edited text as a template: it must still be one template, `Template:` line to END OF
 * TEMPLATE (a second one would be a new template staff cannot add in place of this one).
 */
export function reparseEditedText(
  editedText: string,
  originalText: string,
  index: number,
): Result<ParsedTemplate, Problem> {
  const blocks = splitTemplates(restoreHiddenKeys(editedText, originalText));
  const [block] = blocks;
  if (!block) {
    return fail(problem('E_NO_TEMPLATE', 'the edited text holds no template: it needs its "Template:" line'));
  }
  if (blocks.length > 1) {
    return fail(
      problem(
        'E_NO_TEMPLATE',
        `the edited text holds ${blocks.length} templates; an edit replaces one template with one`,
      ),
    );
  }
  return ok(parseTemplateBlock(block, index));
}
