/**
 * The nearest of some known names to a misspelled one (`ARIN-REASIGN-SIMPLE`, `Custmer Name`),
 * by edit distance, for "did you mean" in refusals. Only close matches count: a word that is
 * near nothing gets no suggestion rather than a random one.
 */

/** Longer words are not compared: no form name or label comes close, and the cost is quadratic. */
const MAX_COMPARED = 64;

/** Levenshtein distance; stops early (returns `limit + 1`) once every path exceeds `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < best) best = value;
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate nearest to `word` within a quarter of its length (at least 2 edits), if any. */
export function nearest<T>(word: string, candidates: Iterable<readonly [string, T]>): T | undefined {
  if (word.length === 0 || word.length > MAX_COMPARED) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 4));
  let found: T | undefined;
  let foundDistance = limit + 1;
  for (const [name, value] of candidates) {
    const d = editDistance(word, name, Math.min(limit, foundDistance - 1));
    if (d < foundDistance) {
      found = value;
      foundDistance = d;
    }
  }
  return found;
}
