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
  /**
   * A retired field, and why, as the refusal of a filled one says it: retired fields are known (so
   * a filled one gets a precise error) but not on the blank form.
   */
  readonly retired?: string;
  /**
   * Key of the field that, when given, makes the form skip this one (REASSIGN-DETAILED 5.x: "if
   * Downstream Org ID is provided skip to line 20"): a filled one is then left unread, with one
   * note in the reply, instead of refused. Several keys: skipped when any of them is given (the
   * first given names the note): ARIN-REASSIGN-DETAILED-4.1's org POC lines 09-19 are skipped for
   * an Org ID (01) and for an Org POC Handle (08), each "or leave blank to create ... below".
   */
  readonly skippedWhen?: string | readonly string[];
  readonly maxLength?: number;
  /** How the blank form prints a repeatable field's lines, e.g. `['5a', '5b']` on REASSIGN-SIMPLE-3.0. */
  readonly printedAs?: readonly string[];
}

/**
 * One version of a form, declared: its fields and, for a form whose versions differ in more than
 * their fields, what else differs (a form's own extension of this, handed to its `build`). A new
 * version is one more entry in the form's `versions`.
 */
export interface FormVersion {
  readonly major: number;
  /** The minor we publish as a blank form; any minor of this major is accepted. */
  readonly latestMinor: number;
  readonly fields: readonly FieldSpec[];
}

export interface BuildContext<V extends FormVersion = FormVersion> {
  readonly action: Action;
  readonly values: FieldValues;
  /** The version the sender used, one of the form's `versions`. */
  readonly version: V;
}

export interface FormDefinition<V extends FormVersion = FormVersion> {
  /** `ARIN-REASSIGN-SIMPLE`, as on the `Template:` line. */
  readonly name: string;
  /** Short description for the blank form and error messages. */
  readonly title: string;
  /** Key of the registration action field; absent when the form only creates. */
  readonly actionKey?: string;
  readonly actions: readonly Action[];
  readonly versions: readonly V[];
  /**
   * Turns validated values into the request; reports cross-field problems through `values`.
   * Written as a method so a form of richer versions is still a `FormDefinition`: it is only
   * ever called with one of its own `versions`.
   */
  build(ctx: BuildContext<V>): TemplateRequest | undefined;
}

/** `03` -> `3`, `5a` -> `5`: the identity of a field number. */
export function fieldId(number: string): string {
  return String(Number.parseInt(number, 10));
}
