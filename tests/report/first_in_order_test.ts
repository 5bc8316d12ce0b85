import { assertEquals } from "../../testing/std.ts";
import { firstInOrder } from "../../src/report/first_in_order.ts";

Deno.test("firstInOrder: the first n of a stable sort, ties in the list's order", () => {
  let seed = 11;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
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
