/**
 * Merging Space-Saving tables (the time buckets merge their port tables when they widen): a
 * merged table equals one table fed everything while it is exact, and keeps its bounds where it
 * is approximate.
 */
import { assert, assertEquals } from "../../testing/std.ts";
import { SpaceSaving } from "../../src/report/space_saving.ts";

/** A seeded stream of skewed keys (mostly small numbers, a long tail). */
function skewed(seed: number, n: number, keys: number): number[] {
  let state = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out.push(Math.floor(keys * (state / 2 ** 32) ** 3));
  }
  return out;
}

function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[i % parts]?.push(item));
  return out;
}

Deno.test("SpaceSaving.merge: exact while no table evicted and the keys fit, equal to one table", () => {
  const stream = skewed(1, 5000, 300);
  const one = new SpaceSaving<number>(400);
  for (const key of stream) one.offer(key);
  const parts = split(stream, 3).map((part) => {
    const table = new SpaceSaving<number>(400);
    for (const key of part) table.offer(key);
    return table;
  });
  const merged = parts[0] as SpaceSaving<number>;
  for (const part of parts.slice(1)) merged.merge(part);
  assertEquals(merged.evictions, 0);
  assertEquals(merged.total, one.total);
  assertEquals(merged.top(1000), one.top(1000));
  assertEquals(merged.floor, 0);
});

Deno.test("SpaceSaving.merge: past the capacity every bound holds, and it says it is not exact", () => {
  const capacity = 40;
  const stream = skewed(7, 60_000, 5000);
  const truth = new Map<number, number>();
  for (const key of stream) truth.set(key, (truth.get(key) ?? 0) + 1);
  const parts = split(stream, 4).map((part) => {
    const table = new SpaceSaving<number>(capacity);
    for (const key of part) table.offer(key);
    return table;
  });
  // A merge of two exact tables whose keys do not fit together is not exact either.
  const small = [new SpaceSaving<string>(2), new SpaceSaving<string>(2)];
  small[0]?.offer("a");
  small[1]?.offer("b");
  small[1]?.offer("c");
  small[0]?.merge(small[1] as SpaceSaving<string>);
  assertEquals(small[0]?.evictions, 1);
  assertEquals(small[0]?.size, 2);

  const merged = parts[0] as SpaceSaving<number>;
  for (const part of parts.slice(1)) merged.merge(part);
  assertEquals(merged.total, stream.length);
  assertEquals(merged.size, capacity);
  assert(merged.evictions > 0);
  for (const e of merged.entries()) {
    const real = truth.get(e.key) ?? 0;
    assert(
      e.count >= real && e.count - e.error <= real,
      `${e.key}: ${real} vs ${e.count}-${e.error}`,
    );
  }
  for (const [key, real] of truth) {
    if (merged.entries().some((e) => e.key === key)) continue;
    assert(real <= merged.floor, `absent ${key}: ${real} > floor ${merged.floor}`);
  }
});
