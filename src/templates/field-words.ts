/**
 * A request's field keys in the words of the form the sender used (`publicComments` ->
 * `Public Comments`, `legalName` -> `Organization's Legal Name`): how a reply names what a
 * modify changed. The registry compares and names fields by their request keys; the form is data
 * here, so the words follow the form's definition (and its version) without a second list.
 */
import { findForm, findVersion } from './forms/index.ts';

export type FieldWords = (key: string) => string | undefined;

const NONE: FieldWords = () => undefined;

/** The field words of `form` at `version` (`5.3`: its major picks the version); none for a form we do not know. */
export function fieldWords(form: string | undefined, version: string | undefined): FieldWords {
  const definition = form ? findForm(form) : undefined;
  const major = Number.parseInt(version ?? '', 10);
  const fields = definition
    ? (findVersion(definition, major) ?? definition.versions[definition.versions.length - 1])?.fields
    : undefined;
  if (!fields) return NONE;
  const words = new Map(fields.map((f) => [f.key, f.label]));
  return (key) => words.get(key);
}
