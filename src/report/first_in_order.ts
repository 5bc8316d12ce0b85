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

/**
 * The positions of the `n` largest values above 0 in `values`, from `from` to before `to`, largest
 * first, ties by lower position: what {@linkcode firstInOrder} gives for the positions whose value
 * is above 0 and the order `values[b] - values[a] || a - b`, without a call per comparison.
 *
 * A report takes its top ports this way from the counts of all 131,072 ports, several times in a
 * summary that runs once, so never optimised: {@linkcode firstInOrder} with a comparison function
 * cost tens of milliseconds there (`docs/report.md`, "a summary that runs cold").
 *
 * @param values The values, by position (not changed).
 * @param from The first position to look at.
 * @param to The position after the last one.
 * @param n How many at most.
 * @returns At most `n` positions, the largest value first.
 */
export function largestFirst(
  values: ArrayLike<number>,
  from: number,
  to: number,
  n: number,
): number[] {
  const count = Math.max(0, Math.floor(n));
  const end = Math.min(to, values.length);
  // A heap of positions whose root is the worst of the best `count` seen so far.
  const heap: number[] = [];
  /** Whether position `a` comes after position `b` in the order asked for. */
  const worse = (a: number, b: number): boolean => {
    const x = values[a] as number;
    const y = values[b] as number;
    return x < y || (x === y && a > b);
  };
  for (let p = Math.max(0, from); p < end && count > 0; p++) {
    const value = values[p] as number;
    if (!(value > 0)) continue;
    if (heap.length < count) {
      let i = heap.length;
      heap.push(p);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const above = heap[parent] as number;
        if (!worse(p, above)) break;
        heap[i] = above;
        i = parent;
      }
      heap[i] = p;
      continue;
    }
    // `p` comes after every position held, so only a larger value puts it in.
    if (value <= (values[heap[0] as number] as number)) continue;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= count) break;
      const right = left + 1;
      const child = right < count && worse(heap[right] as number, heap[left] as number)
        ? right
        : left;
      const below = heap[child] as number;
      if (!worse(below, p)) break;
      heap[i] = below;
      i = child;
    }
    heap[i] = p;
  }
  return heap.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
}
