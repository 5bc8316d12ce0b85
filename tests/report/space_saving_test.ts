import { assert, assertEquals, assertThrows } from "../../testing/std.ts";
import { SpaceSaving } from "../../src/report/space_saving.ts";

Deno.test("SpaceSaving: exact while the keys fit, with ties in text order", () => {
  const table = new SpaceSaving<string>(10);
  for (const key of ["b", "a", "b", "c", "b", "a"]) table.offer(key);
  assertEquals(table.top(2), [{ key: "b", count: 3, error: 0 }, { key: "a", count: 2, error: 0 }]);
  assertEquals(table.evictions, 0);
  assertEquals(table.get("zzz"), { key: "zzz", count: 0, error: 0 });
  assertThrows(() => new SpaceSaving(0), RangeError);
});

Deno.test("SpaceSaving: on a skewed stream past its capacity, every bound holds and heavy keys stay", () => {
  const capacity = 50;
  const table = new SpaceSaving<number>(capacity);
  const truth = new Map<number, number>();
  let state = 12345;
  for (let i = 0; i < 100_000; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const key = Math.floor(10_000 * (state / 2 ** 32) ** 4);
    truth.set(key, (truth.get(key) ?? 0) + 1);
    table.offer(key);
  }
  assert(table.evictions > 0);
  assertEquals(table.size, capacity);
  for (const e of table.entries()) {
    const real = truth.get(e.key) ?? 0;
    assert(
      e.count >= real && e.count - e.error <= real,
      `key ${e.key}: ${real} vs ${e.count}-${e.error}`,
    );
  }
  for (const [key, real] of truth) {
    if (real > table.total / capacity) {
      assert(table.entries().some((e) => e.key === key), `heavy ${key}`);
    }
  }
});

Deno.test("SpaceSaving: merging two summaries keeps the bounds", () => {
  const a = new SpaceSaving<string>(3);
  const b = new SpaceSaving<string>(3);
  for (const k of "aaaabbbcdx") a.offer(k);
  for (const k of "aaeeeeffg") b.offer(k);
  a.merge(b);
  assertEquals(a.total, 19);
  const got = a.get("a");
  assert(got.count >= 6 && got.count - got.error <= 6);
  const e = a.get("e");
  assert(e.count >= 4 && e.count - e.error <= 4);
});

Deno.test("SpaceSaving: its typed-array key table finds every key, whatever the hashes (colliding, given or computed)", () => {
  let state = 7;
  const stream: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    stream.push(`k${Math.floor(3000 * (state / 2 ** 32) ** 3)}`);
  }
  const computed = new SpaceSaving<string>(64);
  // Every key in one of four hash chains: lookups and deletions walk and shift long probe runs.
  const colliding = new SpaceSaving<string>(64);
  const truth = new Map<string, number>();
  for (const key of stream) {
    computed.offer(key);
    colliding.offer(key, 1, 0, key.length & 3);
    truth.set(key, (truth.get(key) ?? 0) + 1);
  }
  // The same answers with colliding hashes: the table layout never changes what is counted.
  assertEquals(colliding.entries(), computed.entries());
  assertEquals(colliding.evictions, computed.evictions);
  assert(computed.evictions > 1000);
  assertEquals(computed.size, 64);
  assertEquals(new Set(computed.entries().map((e) => e.key)).size, 64, "no key twice");
  for (const e of computed.entries()) {
    const real = truth.get(e.key) ?? 0;
    assert(e.count >= real && e.count - e.error <= real, `${e.key}: ${real} vs ${e.count}`);
    assertEquals(computed.get(e.key), e, `get(${e.key})`);
  }
});
