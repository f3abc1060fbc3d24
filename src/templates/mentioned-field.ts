/**
 * Which line of a template a sentence is about, when it quotes the line's value: the registry and
 * the authority check speak of handles and ranges (`POC JD1-ARIN does not exist`), and the
 * sender must be told the field that carried it.
 */
import { fieldOf } from './check-fields.ts';
import { findForm, findVersion } from './forms/index.ts';
import type { ParsedTemplate } from './parse-template.ts';
import { readFields } from './read-fields.ts';
import { splitTemplates } from './split.ts';
import { indexOf } from './version-index.ts';

/** Shorter values (`N`, `US`) would be found in any sentence. */
const MIN_VALUE_LENGTH = 4;

/** The field number (as the sender wrote it) whose value `sentence` quotes; the first such line. */
export function fieldMentioned(template: ParsedTemplate, sentence: string): string | undefined {
  const form = template.form ? findForm(template.form) : undefined;
  const version = form ? findVersion(form, Number.parseInt(template.version ?? '', 10)) : undefined;
  const [block] = splitTemplates(template.echo);
  if (!version || !block) return undefined;
  const index = indexOf(version);
  const text = sentence.toUpperCase();
  for (const line of readFields(block.body, [], index)) {
    const spec = fieldOf(line, index);
    if (!spec || spec.key === 'apiKey' || line.value.length < MIN_VALUE_LENGTH) continue;
    if (text.includes(line.value.toUpperCase())) return line.number;
  }
  return undefined;
}
