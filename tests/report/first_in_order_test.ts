import { assertEquals } from "../../testing/std.ts";
import { firstInOrder, largestFirst } from "../../src/report/first_in_order.ts";

/** A small seeded generator of integers below `n`, so that every run tests the same lists. */
function randomBelow(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}

Deno.test("firstInOrder: the first n of a stable sort, ties in the list's order", () => {
  const random = randomBelow(11);
  for (let round = 0; round < 300; round++) {
    const length = random(300);
    // Few distinct counts, so ties are common; the label tells equal items apart.
    const items = Array.from({ length }, (_, i) => ({ count: random(8), label: `k${i}` }));
    const byCount = (a: { count: number }, b: { count: number }) => b.count - a.count;
    for (const n of [0, 1, 2, 5, 10, length - 1, length, length + 3, 2.5]) {
      const expected = [...items].sort(byCount).slice(0, Math.max(0, n));
      assertEquals(firstInOrder(items, n, byCount), expected, `length ${length}, n ${n}`);
    }
  }
});

Deno.test("firstInOrder: leaves the list as it was, and takes nothing for n below 1", () => {
  const items = [3, 1, 2];
  assertEquals(firstInOrder(items, 2, (a, b) => a - b), [1, 2]);
  assertEquals(items, [3, 1, 2]);
  assertEquals(firstInOrder(items, -1, (a, b) => a - b), []);
  assertEquals(firstInOrder([], 5, (a: number, b: number) => a - b), []);
});

Deno.test("largestFirst: the positions firstInOrder gives for values above 0, largest first, ties by position", () => {
  const random = randomBelow(7);
  for (let round = 0; round < 300; round++) {
    const length = random(400);
    // Few distinct values, zeros among them, so ties and skipped positions are common.
    const values = Float64Array.from({ length }, () => random(6));
    const from = random(length + 1);
    const to = from + random(length - from + 2);
    for (const n of [0, 1, 2, 5, 10, length, length + 3, 2.5]) {
      const positions: number[] = [];
      for (let p = from; p < Math.min(to, length); p++) {
        if ((values[p] as number) > 0) positions.push(p);
      }
      const expected = firstInOrder(
        positions,
        n,
        (a, b) => (values[b] as number) - (values[a] as number) || a - b,
      );
      assertEquals(
        largestFirst(values, from, to, n),
        expected,
        `length ${length}, ${from}-${to}, n ${n}`,
      );
    }
  }
});

Deno.test("largestFirst: skips values that are not above 0, NaN included", () => {
  assertEquals(largestFirst([0, -1, NaN, 3, 0, 3, 1], 0, 7, 10), [3, 5, 6]);
  assertEquals(largestFirst([5, 4], 0, 2, 0), []);
  assertEquals(largestFirst([], 0, 10, 3), []);
});
