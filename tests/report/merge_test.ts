/**
 * Merging the report's tables: a merged result equals one table fed everything wherever the
 * table is exact, and keeps its bounds where it is approximate; each table survives its plain
 * state (structured clone, as between threads).
 */
import { assert, assertEquals, assertThrows } from "../../testing/std.ts";
import { SpaceSaving } from "../../src/report/space_saving.ts";
import { DistinctCounter } from "../../src/report/distinct_counter.ts";
import { FirstSeen } from "../../src/report/first_seen.ts";
import { TIME_BUCKETS_MAX, TimeBuckets } from "../../src/report/time_buckets.ts";

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

const clone = <T>(value: T): T => structuredClone(value);

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
  for (const part of parts.slice(1)) merged.merge(SpaceSaving.fromState(clone(part.toState())));
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

Deno.test("SpaceSaving state: round trip keeps counts, errors, floor and later offers", () => {
  const table = new SpaceSaving<string>(3);
  for (const key of "aaabbcddeef") table.offer(key);
  const copy = SpaceSaving.fromState(clone(table.toState()));
  assertEquals(
    copy.entries().sort((x, y) => x.key.localeCompare(y.key)),
    table.entries().sort((x, y) => x.key.localeCompare(y.key)),
  );
  assertEquals([copy.total, copy.evictions, copy.floor], [
    table.total,
    table.evictions,
    table.floor,
  ]);
  table.offer("z");
  copy.offer("z");
  assertEquals(copy.top(3), table.top(3));
  const bad = { ...table.toState(), keys: ["a", "b", "c", "d"] };
  assertThrows(() => SpaceSaving.fromState(bad), RangeError, "Cannot rebuild");
});

Deno.test("DistinctCounter.merge: the union, exact below the limit and the same sketch past it", () => {
  const keys = Array.from({ length: 3000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
  for (const limit of [10_000, 1000]) {
    const one = new DistinctCounter(2, limit);
    const a = new DistinctCounter(2, limit);
    const b = new DistinctCounter(2, limit);
    keys.forEach((key, i) => {
      const group = i % 3 === 0 ? 1 : 0;
      one.add(key, group);
      // Overlapping parts: every key goes to one part, every fifth to both.
      (i % 2 === 0 ? a : b).add(key, group);
      if (i % 5 === 0) (i % 2 === 0 ? b : a).add(key, group);
    });
    const merged = DistinctCounter.fromState(clone(a.toState()));
    merged.merge(DistinctCounter.fromState(clone(b.toState())));
    for (const group of [0, 1, undefined]) assertEquals(merged.count(group), one.count(group));
    assertEquals(merged.count().exact, limit === 10_000);
  }
  // One part exact, the other past the limit.
  const one = new DistinctCounter(1, 500);
  const exact = new DistinctCounter(1, 500);
  const sketched = new DistinctCounter(1, 500);
  keys.slice(0, 400).forEach((k) => (exact.add(k), one.add(k)));
  keys.slice(300).forEach((k) => (sketched.add(k), one.add(k)));
  exact.merge(sketched);
  assertEquals(exact.count(), one.count());
  assertThrows(() => exact.merge(new DistinctCounter(2)), RangeError, "Cannot merge");
});

Deno.test("FirstSeen.merge: the earliest time per key; past the limit the rest is untracked", () => {
  const a = new FirstSeen<string>();
  const b = new FirstSeen<string>();
  a.note("x", 50);
  a.note("y", 10);
  b.note("x", 20);
  b.note("z", 30);
  a.merge(FirstSeen.fromState(clone(b.toState())));
  assertEquals(a.since(0).sort((p, q) => p.key.localeCompare(q.key)), [
    { key: "x", firstSeen: 20 },
    { key: "y", firstSeen: 10 },
    { key: "z", firstSeen: 30 },
  ]);
  assertEquals(a.untracked, 0);
  const small = new FirstSeen<string>(2);
  small.note("a", 1);
  small.note("b", 2);
  small.note("c", 3); // untracked
  const other = new FirstSeen<string>(2);
  other.note("a", 0);
  other.note("d", 4);
  other.note("e", 5);
  other.note("f", 6); // untracked
  small.merge(other);
  assertEquals(small.since(0).map((e) => `${e.key}@${e.firstSeen}`).sort(), ["a@0", "b@2"]);
  // c, f untracked before; d and e found the table full.
  assertEquals(small.untracked, 4);
});

function bucketsOf(table: TimeBuckets, ports: number[]): unknown[] {
  return table.buckets().map((b) => ({
    start: b.start,
    total: b.total,
    ports: ports.map((p) => b.port(p)),
  }));
}

Deno.test("TimeBuckets.merge: the coarser width wins and the buckets equal one table's", () => {
  const start = 1_796_083_200;
  const sessions: [number, number][] = [];
  // A part spanning ten days (coarse buckets) and a part of one busy hour (one-minute buckets).
  for (let i = 0; i < 2000; i++) sessions.push([start + i * 432, 22 + (i % 3)]);
  for (let i = 0; i < 600; i++) sessions.push([start + 86_400 + i * 6, 80 + (i % 5)]);
  const one = new TimeBuckets();
  for (const [t, p] of sessions) one.add(t, p);
  const long = new TimeBuckets();
  const short = new TimeBuckets();
  sessions.forEach(([t, p], i) => (i < 2000 ? long : short).add(t, p));
  assert(short.widthSeconds < long.widthSeconds);
  const ports = [22, 23, 24, 80, 81, 82, 83, 84];
  for (const [into, from] of [[short, long], [long, short]] as const) {
    const merged = TimeBuckets.fromState(clone(into.toState()));
    merged.merge(from);
    assertEquals(merged.widthSeconds, one.widthSeconds);
    assertEquals(bucketsOf(merged, ports), bucketsOf(one, ports));
    assert(merged.buckets().length <= TIME_BUCKETS_MAX);
  }
});

Deno.test("TimeBuckets.merge: parts that fit alone but not together coarsen to one table's width", () => {
  const start = 1_796_083_200;
  const one = new TimeBuckets();
  const a = new TimeBuckets();
  const b = new TimeBuckets();
  for (let i = 0; i < 400; i++) {
    const t = start + i * 60;
    one.add(t, 443);
    (i % 2 === 0 ? a : b).add(t, 443);
  }
  assertEquals([a.widthSeconds, b.widthSeconds], [60, 60]);
  a.merge(b);
  assertEquals(a.widthSeconds, one.widthSeconds);
  assertEquals(bucketsOf(a, [443]), bucketsOf(one, [443]));
});
