/**
 * The validated values of one template, by semantic key, with typed accessors for the forms'
 * `build` functions and a way for them to report cross-field problems at the right field/line.
 */
import type { IpRange } from '../ip/index.ts';
import { type ErrorCode, problem } from '../shared/index.ts';
import type { FieldSpec } from './definition.ts';
import type { ProblemSink } from './problem-list.ts';
import type { Scalar } from './values.ts';

export type Slot =
  | {
      readonly state: 'value';
      readonly values: readonly Scalar[];
      readonly line: number;
      /** The line of each value, when it has one of its own (a repeatable field). */
      readonly lines?: readonly number[];
    }
  /**
   * Refused, but what the sender evidently meant (`USA`: `US`): checks that depend on it run
   * with it; it never makes a request (the refusal is already reported).
   */
  | { readonly state: 'meant'; readonly values: readonly Scalar[]; readonly line: number }
  /** The sender wrote NONE on a modify. */
  | { readonly state: 'cleared'; readonly line: number };

function isRange(v: Scalar | undefined): v is IpRange {
  return typeof v === 'object' && v !== null && 'start' in v;
}

export class FieldValues {
  constructor(
    private readonly specs: ReadonlyMap<string, FieldSpec>,
    private readonly slots: ReadonlyMap<string, Slot>,
    private readonly problems: ProblemSink,
    /** Where to point an error about a field that is not in the template at all. */
    private readonly headerLine: number,
    /**
     * The line of each field the template has, a value written or not: an error about a field
     * left blank (a postal code an address in the US needs) points at the field's own line.
     */
    private readonly fieldLines: ReadonlyMap<string, number> = new Map(),
  ) {}

  /** A value (or NONE) was written. */
  given(key: string): boolean {
    return this.slots.has(key);
  }

  cleared(key: string): boolean {
    return this.slots.get(key)?.state === 'cleared';
  }

  private first(key: string): Scalar | undefined {
    const slot = this.slots.get(key);
    return slot?.state === 'value' || slot?.state === 'meant' ? slot.values[0] : undefined;
  }

  str(key: string): string | undefined {
    const v = this.first(key);
    return typeof v === 'string' ? v : undefined;
  }

  strs(key: string): string[] {
    const slot = this.slots.get(key);
    if (slot?.state !== 'value') return [];
    return slot.values.filter((v): v is string => typeof v === 'string');
  }

  bool(key: string): boolean | undefined {
    const v = this.first(key);
    return typeof v === 'boolean' ? v : undefined;
  }

  range(key: string): IpRange | undefined {
    const v = this.first(key);
    return isRange(v) ? v : undefined;
  }

  numbers(key: string): readonly number[] | undefined {
    const v = this.first(key);
    return Array.isArray(v) ? (v as readonly number[]) : undefined;
  }

  /** For modify patches: undefined = not written, null = NONE, else the value. */
  patch<T>(key: string, value: T | undefined): T | null | undefined {
    return this.cleared(key) ? null : value;
  }

  numberOf(key: string): string | undefined {
    return this.specs.get(key)?.number;
  }

  /** The line of each value of a repeatable field, in order. */
  linesOf(key: string): readonly number[] {
    const slot = this.slots.get(key);
    if (slot?.state !== 'value') return [];
    return slot.lines ?? slot.values.map(() => slot.line);
  }

  lineOf(key: string): number {
    return this.slots.get(key)?.line ?? this.fieldLines.get(key) ?? this.headerLine;
  }

  report(key: string, code: ErrorCode, message: string): void {
    const field = this.numberOf(key);
    this.problems.push(problem(code, message, { ...(field ? { field } : {}), line: this.lineOf(key) }));
  }
}
