/**
 * What the sender should know about fields read by their label: a line is the field its label
 * names, its number only a hint (read-fields.ts, check-fields.ts's `fieldOf`), so a number that
 * names another field, a label line where a continuation was plausible, or a continuation that
 * starts like a misspelt label is said in a `Note:` of the reply, not acted on silently. Pure.
 */
import { fieldOf } from './check-fields.ts';
import type { FieldSpec } from './definition.ts';
import { fieldId } from './definition.ts';
import { nearest } from './nearest.ts';
import { type FieldLine, writtenLabel } from './read-fields.ts';
import type { VersionIndex } from './version-index.ts';

/** Past this many lines a note names the count, not the lines: a whole template renumbered stays one readable line. */
const LINES_NAMED = 3;

/** Fields that take more than their own line: a line below them may have been meant as one more. */
const takesMoreLines = (spec: FieldSpec) => spec.multi !== undefined || spec.kind === 'freeText';

function listed(items: readonly string[]): string {
  const shown = items.slice(0, LINES_NAMED).join('; ');
  const more = items.length - LINES_NAMED;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

/**
 * Numbered lines whose label names another field than the one their number names: read as the
 * label says (4.1 numbers under a 5.x header are common), and said, because the sender may have
 * meant the number's field. A number that names no live field of the form (`37. Public
 * Comments` of the 5.0-era forms) could mean nothing else: nothing to say.
 */
function renumbered(
  fields: readonly FieldLine[],
  index: VersionIndex,
  layout: string,
  at: (line: number) => number,
) {
  const items: string[] = [];
  for (const f of fields) {
    // A line found by its number has its number's id: a different one was found by its label.
    const spec = f.numbered ? fieldOf(f, index) : undefined;
    if (!spec || fieldId(spec.number) === f.id) continue;
    const other = index.byId.get(f.id);
    if (!other || other.retired) continue;
    items.push(
      `line ${at(f.line)} "${f.number}. ${f.label}" is field ${spec.number} (${spec.label}); on ${layout} ${f.number} is ${other.label}`,
    );
  }
  return items.length > 0 ? `read by their labels, the number only a hint: ${listed(items)}` : undefined;
}

/**
 * Lines written as `Label:` without a number right below a field that takes more lines (written
 * with its number, or free text where prose may hold a colon): never that field's continuation.
 */
function notContinued(fields: readonly FieldLine[], index: VersionIndex, at: (line: number) => number) {
  const items: string[] = [];
  for (let i = 1; i < fields.length; i++) {
    const f = fields[i]!;
    const above = fields[i - 1]!;
    if (f.numbered) continue;
    const aboveSpec = fieldOf(above, index);
    if (!aboveSpec || !takesMoreLines(aboveSpec)) continue;
    if (!above.numbered && aboveSpec.kind !== 'freeText') continue;
    const spec = fieldOf(f, index);
    if (!spec || spec.key === aboveSpec.key) continue;
    items.push(
      `line ${at(f.line)} "${f.label}:" is field ${spec.number} (${spec.label}), not one more line of field ${above.number} (${aboveSpec.label})`,
    );
  }
  return items.length > 0 ? `read by their labels without a number: ${listed(items)}` : undefined;
}

/**
 * Continuation lines that start like a misspelt label of another field (`Cty: Reston` below an
 * Address): kept as the value's line, as written, but said, since the sender likely meant that
 * field. Only close misspellings count (`nearest`), so `Attn: Billing` goes without a word.
 */
function nearLabels(fields: readonly FieldLine[], index: VersionIndex, at: (line: number) => number) {
  const items: string[] = [];
  for (const f of fields) {
    const spec = fieldOf(f, index);
    for (const c of f.continuations) {
      const written = writtenLabel(c.text);
      if (!written) continue;
      const near = nearest(written.label, index.byLabel);
      if (!near || near.key === spec?.key) continue;
      const label = c.text.slice(0, written.colon).trim();
      items.push(
        `line ${at(c.line)} "${label}:" is one more line of field ${f.number} (${spec?.label ?? f.label}); for field ${near.number} (${near.label}) write its label as the form prints it`,
      );
    }
  }
  return items.length > 0 ? `read as lines of the field above: ${listed(items)}` : undefined;
}

/**
 * The notes, each one sentence; none when every line's number and label agree. `layout` names the
 * form's version (`ARIN-POC-5.x`); lines count from the `Template:` line (`headerLine`), as the
 * reply's echo numbers them.
 */
export function labelNotes(
  fields: readonly FieldLine[],
  index: VersionIndex,
  layout: string,
  headerLine: number,
): string[] {
  const at = (line: number) => line - headerLine + 1;
  return [
    renumbered(fields, index, layout, at),
    notContinued(fields, index, at),
    nearLabels(fields, index, at),
  ].filter((n): n is string => n !== undefined);
}
