/**
 * `items` itself when `map` returns every item unchanged, else a copy with the changed ones:
 * the walks over every message's requests (hiding keys, the audit's plain form) find nothing to
 * change nearly always, and copying each array on the way was most of their garbage.
 */
export function mapArrayOnChange(
  items: readonly unknown[],
  map: (item: unknown) => unknown,
): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const mapped = map(item);
    if (mapped !== item) {
      copy ??= items.slice();
      copy[i] = mapped;
    }
  }
  return copy ?? items;
}
