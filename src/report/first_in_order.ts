/**
 * The first items of a list in a given order, without sorting the whole list: a report's top
 * lists take the 10 (or `--top N`) largest of up to 131,072 ports or 8,192 counted keys.
 *
 * @module
 */

/**
 * The first `n` items in the order `compare` gives, exactly as a stable sort of the whole list
 * followed by `slice(0, n)` gives them (items that compare equal keep their order in `items`),
 * in O(length x log n) instead of O(length x log length): a bounded heap keeps the `n` best seen
 * so far, and only those are sorted at the end.
 *
 * @param items The items (not changed).
 * @param n How many at most.
 * @param compare Negative when `a` comes before `b`, as for `Array.prototype.sort`.
 * @returns At most `n` items, first first.
 */
export function firstInOrder<T>(
  items: readonly T[],
  n: number,
  compare: (a: T, b: T) => number,
): T[] {
  const count = Math.max(0, Math.min(Math.floor(n), items.length));
  if (count === 0) return [];
  // The order with ties broken by position: a total order, so the heap gives the stable sort's.
  const before = (i: number, j: number): boolean => {
    const c = compare(items[i] as T, items[j] as T);
    return c < 0 || (c === 0 && i < j);
  };
  // A heap of positions whose root is the last of the best `count` seen so far.
  const heap: number[] = [];
  const siftDown = (from: number): void => {
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) return;
      const right = left + 1;
      const child = right < heap.length && before(heap[left] as number, heap[right] as number)
        ? right
        : left;
      if (!before(heap[i] as number, heap[child] as number)) return;
      [heap[i], heap[child]] = [heap[child] as number, heap[i] as number];
      i = child;
    }
  };
  for (let k = 0; k < items.length; k++) {
    if (heap.length < count) {
      heap.push(k);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!before(heap[parent] as number, heap[i] as number)) break;
        [heap[i], heap[parent]] = [heap[parent] as number, heap[i] as number];
        i = parent;
      }
    } else if (before(k, heap[0] as number)) {
      heap[0] = k;
      siftDown(0);
    }
  }
  return heap.sort((i, j) => (before(i, j) ? -1 : 1)).map((i) => items[i] as T);
}
