import { assert, assertEquals } from "../../testing/std.ts";
import { SourceSessions } from "../../src/report/source_sessions.ts";
import { hashString } from "../../src/report/string_hash.ts";

Deno.test("SourceSessions: exact by number, ties in text order, per group", () => {
  const keys = ["b", "a", "c"];
  const sessions = new SourceSessions(2, 2, 1000);
  for (const [group, source] of [[0, 0], [0, 1], [0, 0], [0, 1], [0, 2], [1, 2]] as const) {
    sessions.add(group, source, keys[source] as string, hashString(keys[source] as string));
  }
  assert(sessions.exact);
  assertEquals(sessions.top(0, 2, keys), {
    entries: [{ label: "a", count: 2, error: 0 }, { label: "b", count: 2, error: 0 }],
    total: 5,
    exact: true,
    capacity: 1000,
  });
  assertEquals(sessions.top(1, 5, keys).entries, [{ label: "c", count: 1, error: 0 }]);
});

Deno.test("SourceSessions: after the fold, Space-Saving from the exact counts keeps every bound", () => {
  const capacity = 20;
  const sessions = new SourceSessions(1, capacity, 100);
  const truth = new Map<string, number>();
  const keys: string[] = [];
  const numbers = new Map<string, number>();
  let state = 99;
  const next = (): string => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return `s${Math.floor(500 * (state / 2 ** 32) ** 3)}`;
  };
  // Exact while fewer than 100 keys have numbers, as the distinct counter gives them.
  for (let i = 0; i < 20_000; i++) {
    const key = next();
    truth.set(key, (truth.get(key) ?? 0) + 1);
    let number = numbers.get(key);
    if (number === undefined && keys.length < 100) {
      number = keys.length;
      keys.push(key);
      numbers.set(key, number);
    }
    if (number === undefined && sessions.exact) sessions.fold(keys);
    sessions.add(0, sessions.exact ? number ?? -1 : -1, key, hashString(key));
  }
  assert(!sessions.exact);
  const list = sessions.top(0, capacity, []);
  assertEquals(list.total, 20_000);
  assertEquals(list.exact, false);
  assertEquals(list.entries.length, capacity);
  for (const e of list.entries) {
    const real = truth.get(e.label) ?? 0;
    assert(e.count >= real && e.count - e.error <= real, `${e.label}: ${real} vs ${e.count}`);
  }
  for (const [key, real] of truth) {
    if (real > list.total / capacity) {
      assert(list.entries.some((e) => e.label === key), `heavy ${key} listed`);
    }
  }
});

Deno.test("SourceSessions: a fold with no more keys than the table holds stays exact", () => {
  const sessions = new SourceSessions(1, 10, 100);
  const keys = ["x", "y"];
  sessions.add(0, 0, "x", hashString("x"));
  sessions.add(0, 1, "y", hashString("y"));
  sessions.add(0, 1, "y", hashString("y"));
  sessions.fold(keys);
  sessions.add(0, -1, "x", hashString("x"));
  assertEquals(sessions.top(0, 5, []), {
    entries: [{ label: "x", count: 2, error: 0 }, { label: "y", count: 2, error: 0 }],
    total: 4,
    exact: true,
    capacity: 10,
  });
});
