/**
 * What a staff edit changed in a template, field by field: the customer's text against staff's
 * corrected one, each read as the parser reads a template (fields by their label, else their
 * number; continuation lines with their field), so the answer can tell the customer which values
 * it sent are not the ones applied (`Edited: field 11 (Customer Country Code): XX -> US`). Fields
 * are matched by what they mean (their key), so an edit that moves a template to another version
 * of its form, renumbering its fields, lists only values that changed. Pure.
 */
import { fieldOf, rawValues } from './check-fields.ts';
import { ProblemList } from './problem-list.ts';
import { readFields } from './read-fields.ts';
import { resolveForm } from './resolve-form.ts';
import { splitTemplates } from './split.ts';
import { indexOf } from './version-index.ts';

export interface FieldEdit {
  /** The field's number as the corrected text's form prints it (`11`); absent for the `Template:` line. */
  readonly field?: string;
  /** The form's label of the field (`Customer Country Code`), or `Template` for the form line. */
  readonly label: string;
  /** The values before and after, one per line of the field; none when the field was blank. */
  readonly before: readonly string[];
  readonly after: readonly string[];
}

interface ReadField {
  readonly number: string;
  readonly label: string;
  readonly values: string[];
}

interface ReadTemplate {
  readonly header: string;
  /** By the field's key on its form (`country`), or `#<number>` for a line no field of the form. */
  readonly fields: Map<string, ReadField>;
}

function readTemplate(text: string): ReadTemplate | undefined {
  const [block] = splitTemplates(text);
  if (!block) return undefined;
  const resolved = resolveForm(block.header, block.headerLine);
  const index = 'version' in resolved ? indexOf(resolved.version) : undefined;
  const fields = new Map<string, ReadField>();
  // Problems in either text were told (the customer's reply, staff's page): only the values matter here.
  for (const line of readFields(block.body, new ProblemList(), index)) {
    const spec = index ? fieldOf(line, index) : undefined;
    const key = spec?.key ?? `#${line.id}`;
    const values = rawValues([line]).map((v) => v.text);
    const known = fields.get(key);
    if (known) known.values.push(...values);
    else fields.set(key, { number: spec?.number ?? line.number, label: spec?.label ?? line.label, values });
  }
  return { header: block.header, fields };
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The fields whose values differ between the two texts, in the corrected text's order (then the
 * fields staff took out), the `Template:` line first when staff changed it. Empty when either
 * text holds no template, or when only the layout changed (a label, spacing).
 */
export function fieldEdits(before: string, after: string): FieldEdit[] {
  const old = readTemplate(before);
  const now = readTemplate(after);
  if (!old || !now) return [];
  const edits: FieldEdit[] = [];
  if (old.header !== now.header) edits.push({ label: 'Template', before: [old.header], after: [now.header] });
  for (const [key, field] of now.fields) {
    const was = old.fields.get(key)?.values ?? [];
    if (!same(was, field.values))
      edits.push({ field: field.number, label: field.label, before: was, after: field.values });
  }
  for (const [key, field] of old.fields) {
    if (!now.fields.has(key) && field.values.length > 0)
      edits.push({ field: field.number, label: field.label, before: field.values, after: [] });
  }
  return edits;
}
