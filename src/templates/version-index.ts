/** Lookups over one form version, built once per version (parsing runs them for every line). */
import type { FieldSpec, FormVersion } from './definition.ts';
import { fieldId } from './definition.ts';
import { apiKeyField } from './forms/common.ts';
import { normalizeLabel } from './read-fields.ts';

export interface VersionIndex {
  /** By numeric identity (`3` for `03`); `0` (API key) on every version. */
  readonly byId: ReadonlyMap<string, FieldSpec>;
  readonly byKey: ReadonlyMap<string, FieldSpec>;
  readonly byLabel: ReadonlyMap<string, FieldSpec>;
  /** `00-18`, for messages. */
  readonly numbers: string;
}

const INDEX = new WeakMap<FormVersion, VersionIndex>();

export function indexOf(version: FormVersion): VersionIndex {
  const cached = INDEX.get(version);
  if (cached) return cached;
  const byId = new Map<string, FieldSpec>();
  const byLabel = new Map<string, FieldSpec>();
  for (const spec of version.fields) {
    byId.set(fieldId(spec.number), spec);
    if (!spec.retired) byLabel.set(normalizeLabel(spec.label), spec);
  }
  // Line 00 is accepted on every version: some billing systems add it to 4.x templates.
  if (!byId.has('0')) {
    byId.set('0', apiKeyField);
    byLabel.set(normalizeLabel(apiKeyField.label), apiKeyField);
  }
  const live = version.fields.filter((f) => !f.retired);
  const numbers = `${live[0]?.number ?? ''}-${live[live.length - 1]?.number ?? ''}`;
  const index = { byId, byKey: new Map(version.fields.map((f) => [f.key, f])), byLabel, numbers };
  INDEX.set(version, index);
  return index;
}

/** The live field whose label this is, compared loosely (case, spacing, parentheticals). */
export function labelledField(label: string, index: VersionIndex): FieldSpec | undefined {
  const written = normalizeLabel(label);
  return written ? index.byLabel.get(written) : undefined;
}
