import { assertEquals } from "../../testing/std.ts";
import { formatCount } from "../../src/report/terminal.ts";

Deno.test("formatCount() writes what toLocaleString('en-US') writes for the rounded number", () => {
  const values = [
    0,
    -0,
    1,
    999,
    1000,
    1234,
    999_999,
    1_000_000,
    1_591_886,
    123_456_789_012,
    Number.MAX_SAFE_INTEGER,
    -1,
    -1000,
    -1_234_567,
    0.4,
    0.5,
    1.5,
    999.5,
    -0.5,
    -1.5,
    1e21,
    1.5e22,
    Infinity,
    -Infinity,
    NaN,
  ];
  // And a spread of magnitudes from a fixed sequence (no randomness in tests).
  let x = 7;
  for (let i = 0; i < 2000; i++) {
    x = (x * 48271) % 2147483647;
    values.push((x % 10 ** (1 + (i % 15))) * (i % 11 === 0 ? -1 : 1));
  }
  for (const value of values) {
    assertEquals(formatCount(value), Math.round(value).toLocaleString("en-US"), String(value));
  }
});
