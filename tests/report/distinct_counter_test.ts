import { assert, assertEquals } from "../../testing/std.ts";
import { DISTINCT_RELATIVE_ERROR, DistinctCounter } from "../../src/report/distinct_counter.ts";
import { hashString } from "../../src/report/string_hash.ts";

Deno.test("DistinctCounter: exact below its limit, then within 4 standard errors", () => {
  const counter = new DistinctCounter(1, 1000);
  for (let i = 0; i < 1000; i++) counter.add(`10.0.${i >> 8}.${i & 255}`);
  for (let i = 0; i < 1000; i++) counter.add(`10.0.${i >> 8}.${i & 255}`);
  assertEquals(counter.count(), { count: 1000, exact: true });
  for (let i = 0; i < 200_000; i++) counter.add(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  const { count, exact } = counter.count();
  assertEquals(exact, false);
  assert(Math.abs(count - 200_000) / 200_000 < 4 * DISTINCT_RELATIVE_ERROR, `estimate ${count}`);
});

Deno.test("DistinctCounter: per group and overall, exact and past the limit", () => {
  const counter = new DistinctCounter(2, 100);
  for (let i = 0; i < 80; i++) counter.add(`a${i}`, 0);
  for (let i = 40; i < 90; i++) counter.add(`a${i}`, 1);
  assertEquals([counter.count(0), counter.count(1), counter.count()], [
    { count: 80, exact: true },
    { count: 50, exact: true },
    { count: 90, exact: true },
  ]);
  for (let i = 0; i < 5000; i++) counter.add(`b${i}`, 1);
  const [tcp, udp, all] = [counter.count(0).count, counter.count(1).count, counter.count().count];
  assert(Math.abs(tcp - 80) <= 2, `group 0: ${tcp}`);
  assert(Math.abs(udp - 5050) / 5050 < 0.05, `group 1: ${udp}`);
  assert(Math.abs(all - 5090) / 5090 < 0.05, `all: ${all}`);
});

Deno.test("DistinctCounter: a hash given by the caller counts as the computed one", () => {
  const given = new DistinctCounter(2, 1000);
  const computed = new DistinctCounter(2, 1000);
  for (let i = 0; i < 5000; i++) {
    const key = `10.0.${i % 2500 >> 8}.${i % 256}`;
    given.add(key, i % 2, hashString(key));
    computed.add(key, i % 2);
  }
  for (const group of [0, 1, undefined]) assertEquals(given.count(group), computed.count(group));
  const small = new DistinctCounter(1);
  for (let i = 0; i < 3000; i++) small.add(`s${i % 1500}`, 0, (i % 1500) % 7);
  assertEquals(small.count(), { count: 1500, exact: true }, "colliding hashes, exact");
});

Deno.test("DistinctCounter: add gives each key its number while exact, -1 from the fold on, and onFold the keys", () => {
  const folds: (readonly string[])[] = [];
  const counter = new DistinctCounter(2, 3, (keys) => folds.push([...keys]));
  assertEquals(counter.add("a", 0), 0);
  assertEquals(counter.add("b", 1), 1);
  assertEquals(counter.add("a", 1), 0, "the same key in another group");
  assertEquals(counter.add("a", 1), 0, "the same key again");
  assertEquals(counter.add("c", 0), 2);
  assertEquals(counter.keys(), ["a", "b", "c"]);
  assert(counter.exact);
  assertEquals(counter.add("d", 0), -1, "the key past the limit");
  assertEquals(folds, [["a", "b", "c", "d"]]);
  assert(!counter.exact);
  assertEquals(counter.keys(), []);
  assertEquals(counter.add("a", 0), -1);
  assertEquals(folds.length, 1, "folded once");
});
