/**
 * Templates: message text -> at most ten typed requests, or line-numbered problems.
 * Pure: no I/O. The worker uses `parseSubmission`; `lint` and tests use the rest.
 */
export { findApiKeys } from './api-key.ts';
export type { Action, FieldSpec, FormDefinition, FormVersion } from './definition.ts';
export { fieldId } from './definition.ts';
export { type FieldEdit, fieldEdits } from './field-edits.ts';
export { type FieldWords, fieldWords } from './field-words.ts';
export { acceptedVersions, FORMS, findForm, findVersion, formVersionNames } from './forms/index.ts';
export { fieldMentioned } from './mentioned-field.ts';
export { editDistance } from './nearest.ts';
export type { ForwardedText, TextPart } from './not-applied.ts';
export { type ParsedTemplate, parseTemplateBlock } from './parse-template.ts';
export { type FormValue, formColumns, recordAsForm } from './record-fields.ts';
export type * from './requests.ts';
export { type JsonValue, toJsonValue } from './serialize.ts';
export { type NumberedLine, splitTemplates, type TemplateBlock } from './split.ts';
export { rangeSubject, requestSubjects } from './subjects.ts';
export {
  BLANK_FORMS_HINT,
  MAX_TEMPLATES_PER_MESSAGE,
  parseSubmission,
  type SubmissionInput,
  type SubmissionOptions,
  type SubmissionParse,
  type UnreadPart,
} from './submission.ts';
export { NET_HANDLE, ORG_HANDLE, POC_HANDLE } from './values.ts';
