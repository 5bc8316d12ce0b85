import { assertEquals, assertMatch, assertThrows } from "../../testing/std.ts";
import { newSessionId } from "../../src/record/session_id.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function timeOf(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

Deno.test("newSessionId() makes a UUIDv7 of the given time", () => {
  for (const timeMs of [0, 1, 1_795_708_141_767, 0xffff_ffff_ffff]) {
    const id = newSessionId(timeMs);
    assertMatch(id, UUID_V7);
    assertEquals(timeOf(id), timeMs);
  }
});

Deno.test("newSessionId() uses the current time by default", () => {
  const before = Date.now();
  const id = newSessionId();
  const after = Date.now();
  const time = timeOf(id);
  assertEquals(time >= before && time <= after, true, `${time} not in [${before}, ${after}]`);
});

Deno.test("newSessionId() never repeats", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) seen.add(newSessionId(1_795_708_141_767));
  assertEquals(seen.size, 20_000);
});

Deno.test("newSessionId() sets the version and variant and leaves 74 bits random", () => {
  // Over many ids of one time, every random hex digit takes every value it may.
  const digits = Array.from({ length: 36 }, () => new Set<string>());
  for (let i = 0; i < 5_000; i++) {
    const id = newSessionId(42);
    for (let c = 0; c < 36; c++) digits[c]?.add(id[c] ?? "");
  }
  const sizes = digits.map((set) => set.size);
  // 0-13: the time (fixed here) and its hyphens; 14: version 7; 19: variant 8, 9, a or b.
  assertEquals(sizes.slice(0, 14), Array(14).fill(1));
  assertEquals([...(digits[14] ?? [])], ["7"]);
  assertEquals([...(digits[19] ?? [])].sort(), ["8", "9", "a", "b"]);
  for (const c of [15, 16, 17, 20, 21, 22, ...Array.from({ length: 12 }, (_, i) => 24 + i)]) {
    assertEquals(sizes[c], 16, `hex digit ${c}`);
  }
});

Deno.test("newSessionId() rejects a time that is not a 48-bit integer", () => {
  for (const bad of [-1, 1.5, 2 ** 48, NaN]) {
    assertThrows(() => newSessionId(bad), RangeError, "Cannot make a session id");
  }
});
