/**
 * What a form is, as data: its versions, and per version the fields by number. Each field has a
 * semantic `key` that stays the same across versions, so one `build` per form turns any
 * version's values into the one typed request for the operation.
 */

import type { FieldValues } from './field-values.ts';
import type { TemplateRequest } from './requests.ts';
import type { FieldKind } from './values.ts';

export type Action = 'N' | 'M' | 'R';

export interface FieldSpec {
  /** As printed on the form: `03`, or `5` on REASSIGN-SIMPLE-3.0. Matched by numeric value. */
  readonly number: string;
  /** Label as printed on our blank form; senders' labels are compared loosely. */
  readonly label: string;
  /** Parenthetical hint printed after the label on the blank form. */
  readonly hint?: string;
  /** Same meaning across versions of one form (e.g. `customerName`). */
  readonly key: string;
  readonly kind: FieldKind;
  /** Repeatable: each line (repeated number or unlabelled continuation) is one more value. At most this many. */
  readonly multi?: number;
  /** The value must be given for these actions (forms without an action count as `N`). */
  readonly required?: readonly Action[];
  /** The value must be blank for these actions (e.g. the handle when creating). */
  readonly blankFor?: readonly Action[];
  /** Retired fields are known (so a filled one gets a precise error) but not on the blank form. */
  readonly retired?: boolean;
  /**
   * Key of the field that, when given, makes the form skip this one (REASSIGN-DETAILED 5.x: "if
   * Downstream Org ID is provided skip to line 20"): a filled one is then left unread, with one
   * note in the reply, instead of refused.
   */
  readonly skippedWhen?: string;
  readonly maxLength?: number;
  /** How the blank form prints a repeatable field's lines, e.g. `['5a', '5b']` on REASSIGN-SIMPLE-3.0. */
  readonly printedAs?: readonly string[];
}

export interface FormVersion {
  readonly major: number;
  /** The minor we publish as a blank form; any minor of this major is accepted. */
  readonly latestMinor: number;
  readonly fields: readonly FieldSpec[];
}

export interface BuildContext {
  readonly action: Action;
  readonly values: FieldValues;
}

export interface FormDefinition {
  /** `ARIN-REASSIGN-SIMPLE`, as on the `Template:` line. */
  readonly name: string;
  /** Short description for the blank form and error messages. */
  readonly title: string;
  /** Key of the registration action field; absent when the form only creates. */
  readonly actionKey?: string;
  readonly actions: readonly Action[];
  readonly versions: readonly FormVersion[];
  /** Turns validated values into the request; reports cross-field problems through `values`. */
  readonly build: (ctx: BuildContext) => TemplateRequest | undefined;
}

/** `03` -> `3`, `5a` -> `5`: the identity of a field number. */
export function fieldId(number: string): string {
  return String(Number.parseInt(number, 10));
}
