/**
 * A line diff for staff to read before an edit is applied: which lines of the template they
 * removed, added or kept. Templates are tens of lines; a text past MAX_LINES is not compared
 * line by line (the table is quadratic) but shown as wholly replaced.
 */

export type DiffLine =
  | { readonly kind: 'same'; readonly text: string }
  | { readonly kind: 'removed'; readonly text: string }
  | { readonly kind: 'added'; readonly text: string };

const MAX_LINES = 2000;

const linesOf = (text: string) =>
  text
    .replace(/\r\n|\r/g, '\n')
    .replace(/\n+$/, '')
    .split('\n');

/** The lines of `before` and `after` in order, each kept, removed or added (longest common subsequence). */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = linesOf(before);
  const b = linesOf(after);
  if (a.length > MAX_LINES || b.length > MAX_LINES) {
    return [
      ...a.map((text) => ({ kind: 'removed' as const, text })),
      ...b.map((text) => ({ kind: 'added' as const, text })),
    ];
  }
  // common[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const common = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] =
        a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (common[i + 1]![j]! >= common[i]![j + 1]!) {
      out.push({ kind: 'removed', text: a[i++]! });
    } else {
      out.push({ kind: 'added', text: b[j++]! });
    }
  }
  while (i < a.length) out.push({ kind: 'removed', text: a[i++]! });
  while (j < b.length) out.push({ kind: 'added', text: b[j++]! });
  return out;
}

/** Whether two texts differ in more than line endings and trailing blank lines. */
export function textsDiffer(before: string, after: string): boolean {
  return linesOf(before).join('\n') !== linesOf(after).join('\n');
}
