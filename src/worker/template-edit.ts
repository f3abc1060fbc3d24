/**
 * Staff "edit and apply": correct fields of a refused template by number, then parse it again
 * exactly as if the sender had written it so. Pure.
 */

import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { type ParsedTemplate, parseTemplateBlock, splitTemplates } from '../templates/index.ts';

const FIELD_LINE = /^(\s*)(\d{1,2}[a-z]?)(\.\s*[^:\n]*:)(.*)$/i;
const END = /^\s*END\s+OF\s+TEMPLATE\b/i;

function fieldKey(number: string): string {
  const m = /^0*(\d+)([a-z]?)$/i.exec(number.trim());
  return m ? `${Number(m[1])}${(m[2] ?? '').toLowerCase()}` : number.trim().toLowerCase();
}

/**
 * Replaces the value of each named field (all its lines: a repeated number is one field), and
 * appends fields the template did not have before END OF TEMPLATE. Multi-line values (a value
 * holding newlines) become repeated lines of that field.
 */
export function editTemplateText(text: string, fieldValues: Readonly<Record<string, string>>): string {
  const wanted = new Map(Object.entries(fieldValues).map(([k, v]) => [fieldKey(k), { number: k, value: v }]));
  const written = new Set<string>();
  const out: string[] = [];
  let skippingContinuation = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    const m = FIELD_LINE.exec(line);
    if (m) {
      skippingContinuation = false;
      const key = fieldKey(m[2]!);
      const edit = wanted.get(key);
      if (edit) {
        skippingContinuation = true;
        if (!written.has(key)) {
          written.add(key);
          for (const value of edit.value.split(/\r\n|\n/)) out.push(`${m[1]}${m[2]}${m[3]} ${value.trim()}`);
        }
        continue;
      }
      out.push(line);
      continue;
    }
    if (END.test(line)) {
      for (const [key, edit] of wanted) {
        if (written.has(key)) continue;
        written.add(key);
        const number = /^\d$/.test(edit.number) ? `0${edit.number}` : edit.number;
        for (const value of edit.value.split(/\r\n|\n/))
          out.push(`${number}. Field ${number}: ${value.trim()}`);
      }
      skippingContinuation = false;
      out.push(line);
      continue;
    }
    // An unlabelled line continues the field before it: gone with the value it continued.
    if (skippingContinuation && line.trim() !== '' && !/^\s*\*\*/.test(line)) continue;
    skippingContinuation = false;
    out.push(line);
  }
  return out.join('\n');
}

export function reparseEdited(
  originalText: string,
  index: number,
  fieldValues: Readonly<Record<string, string>>,
): Result<ParsedTemplate, Problem> {
  const edited = editTemplateText(originalText, fieldValues);
  const [block] = splitTemplates(edited);
  if (!block) return fail(problem('E_NO_TEMPLATE', 'the edited text no longer holds a template'));
  return ok(parseTemplateBlock(block, index));
}
