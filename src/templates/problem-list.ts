/**
 * The problems of one template, bounded. A sender (or a broken generator) can write a template
 * with a problem on every one of a million lines; the reply, the stored rows and lint list the
 * first ones by line and count the rest in one closing problem. Keeping only those first ones
 * while collecting holds memory to the listed few, however many are found.
 */
import { type Problem, problem } from '../shared/index.ts';

/** Problems listed per template; the rest are counted in one E_TOO_MANY_PROBLEMS line. */
export const MAX_PROBLEMS_LISTED = 100;

/** What the parsing steps report into: a `Problem[]` is one, and so is a `ProblemList`. */
export interface ProblemSink {
  push(p: Problem): unknown;
  /** Every problem reported so far, listed or not. */
  readonly length: number;
}

export class ProblemList implements ProblemSink {
  /** The lowest lines first; problems on one line in the order they were reported. */
  private readonly kept: Problem[] = [];
  private reported = 0;

  constructor(private readonly limit: number = MAX_PROBLEMS_LISTED) {}

  get length(): number {
    return this.reported;
  }

  push(p: Problem): void {
    this.reported++;
    const line = p.line ?? 0;
    const kept = this.kept;
    const last = kept[kept.length - 1];
    if (kept.length >= this.limit && last && (last.line ?? 0) <= line) return;
    // After every problem on the same or an earlier line: a stable order by line.
    let at = kept.length;
    while (at > 0 && (kept[at - 1]!.line ?? 0) > line) at--;
    kept.splice(at, 0, p);
    if (kept.length > this.limit) kept.pop();
  }

  /** The listed problems by line, and one last problem counting those not listed. */
  listed(): Problem[] {
    const more = this.reported - this.kept.length;
    if (more === 0) return [...this.kept];
    const n = more.toLocaleString('en-US');
    return [
      ...this.kept,
      problem(
        'E_TOO_MANY_PROBLEMS',
        `and ${n} more ${more === 1 ? 'problem' : 'problems'} in this template, not listed (only the first ${this.limit} by line are); fix the ones above, which often cause the rest, and check the template against its blank form`,
      ),
    ];
  }
}
