import { assertEquals, assertStrictEquals, assertThrows } from "../../testing/std.ts";
import { ByteStringCache, hashBytes } from "../../src/report/byte_string_cache.ts";

const encoder = new TextEncoder();

/** A buffer holding `text` at `offset`, with other bytes around it. */
function span(text: string, offset: number): [Uint8Array, DataView, number, number] {
  const bytes = encoder.encode(text);
  const buffer = new Uint8Array(offset + bytes.length + 5).fill(0x41);
  buffer.set(bytes, offset);
  return [buffer, new DataView(buffer.buffer), offset, offset + bytes.length];
}

Deno.test("ByteStringCache: finds a span by its bytes at any offset, every length", () => {
  const cache = new ByteStringCache(64, 16);
  for (let length = 0; length <= 16; length++) {
    const text = "0123456789abcdef".slice(0, length);
    const [bytes, , start, end] = span(text, 3);
    cache.set(bytes, start, end, hashBytes(bytes, start, end), text);
    for (const offset of [0, 1, 2, 7]) {
      const [other, view, s, e] = span(text, offset);
      assertStrictEquals(cache.get(view, other, s, e, hashBytes(other, s, e)), text, text);
    }
  }
});

Deno.test("ByteStringCache: spans that differ in any byte, or share a slot, are not confused", () => {
  // One slot: every span lands in it, so each lookup must compare the bytes.
  const cache = new ByteStringCache(1, 16);
  const [a, , as, ae] = span("198.51.100.7", 0);
  cache.set(a, as, ae, hashBytes(a, as, ae), "198.51.100.7");
  for (
    const text of ["198.51.100.8", "198.51.100.", "198.51.100.77", "298.51.100.7", "198.5.1100.7"]
  ) {
    const [b, view, s, e] = span(text, 1);
    // The same hash as the cached span, to reach the byte comparison.
    assertEquals(cache.get(view, b, s, e, hashBytes(a, as, ae)), undefined, text);
    assertEquals(cache.get(view, b, s, e, hashBytes(b, s, e)), undefined, text);
  }
  // A new span takes the slot over.
  const [c, view, cs, ce] = span("203.0.113.1", 2);
  cache.set(c, cs, ce, hashBytes(c, cs, ce), "203.0.113.1");
  assertEquals(cache.get(view, c, cs, ce, hashBytes(c, cs, ce)), "203.0.113.1");
  const [, aView] = span("198.51.100.7", 0);
  assertEquals(cache.get(aView, a, as, ae, hashBytes(a, as, ae)), undefined);
});

Deno.test("ByteStringCache: spans longer than its limit are never kept; slots must be a power of two", () => {
  const cache = new ByteStringCache(8, 8);
  const [bytes, view, start, end] = span("123456789", 0);
  const hash = hashBytes(bytes, start, end);
  cache.set(bytes, start, end, hash, "123456789");
  assertEquals(cache.get(view, bytes, start, end, hash), undefined);
  assertThrows(() => new ByteStringCache(12, 8), RangeError, "power of two");
});

Deno.test("hashBytes: murmur3 x86 32-bit (seed 0) reference values, at any offset", () => {
  const cases: [string, number][] = [
    ["", 0],
    ["a", 0x3c2569b2],
    ["abc", 0xb3dd93fa],
    ["Hello, world!", 0xc0363e43],
    ["The quick brown fox jumps over the lazy dog", 0x2e4ff723],
  ];
  for (const [text, expected] of cases) {
    for (const offset of [0, 1, 3]) {
      const [bytes, , start, end] = span(text, offset);
      assertEquals(hashBytes(bytes, start, end) >>> 0, expected, `${text} at ${offset}`);
    }
  }
});
