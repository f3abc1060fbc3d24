/** The registry of forms we accept. Adding a form or a version is adding data here. */
import type { FormDefinition, FormVersion } from '../definition.ts';
import { netModForm4, netModForm6 } from './net-mod.ts';
import { orgForm } from './org.ts';
import { pocForm } from './poc.ts';
import { reassignSimpleForm } from './reassign-simple.ts';
import {
  ipv6ReallocateForm,
  ipv6ReassignForm,
  reallocateForm,
  reassignDetailedForm,
} from './subdelegation.ts';

export const FORMS: readonly FormDefinition[] = [
  pocForm,
  orgForm,
  reassignSimpleForm,
  reassignDetailedForm,
  reallocateForm,
  netModForm4,
  ipv6ReassignForm,
  ipv6ReallocateForm,
  netModForm6,
];

const BY_NAME = new Map<string, FormDefinition>();
for (const form of FORMS) {
  BY_NAME.set(form.name.toUpperCase(), form);
  // Old billing systems write the name without the ARIN- prefix (`REASSIGN-SIMPLE-4.1`).
  BY_NAME.set(form.name.toUpperCase().replace(/^ARIN-/, ''), form);
}

export function findForm(name: string): FormDefinition | undefined {
  return BY_NAME.get(name.toUpperCase());
}

export function findVersion(form: FormDefinition, major: number): FormVersion | undefined {
  return form.versions.find((v) => v.major === major);
}

/** `4.x, 5.x` — how we name the versions of a form we accept. */
export function acceptedVersions(form: FormDefinition): string {
  return form.versions.map((v) => `${v.major}.x`).join(', ');
}

/**
 * Every `form-version` name a template we accept may be counted under (`ARIN-POC-5`,
 * `ARIN-POC-5.0`, ... up to the minor we publish): the closed set of the metrics' `form`
 * label. A minor beyond the published one is accepted too but counted as `unknown`.
 */
export function formVersionNames(): string[] {
  return FORMS.flatMap((form) =>
    form.versions.flatMap((v) => [
      `${form.name}-${v.major}`,
      ...Array.from({ length: v.latestMinor + 1 }, (_, minor) => `${form.name}-${v.major}.${minor}`),
    ]),
  );
}
