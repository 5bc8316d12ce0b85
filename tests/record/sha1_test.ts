import { createHash } from "node:crypto";
import { assertEquals, assertThrows } from "../../testing/std.ts";
import { SHA1_SHORT_MAX, sha1Short } from "../../src/record/sha1.ts";

Deno.test("sha1Short matches node:crypto for every length from 0 to 55", () => {
  for (let length = 0; length <= SHA1_SHORT_MAX; length++) {
    for (let trial = 0; trial < 20; trial++) {
      const input = crypto.getRandomValues(new Uint8Array(length));
      const expected = createHash("sha1").update(input).digest("hex");
      assertEquals(sha1Short(input).toHex(), expected, `length ${length}`);
    }
  }
});

Deno.test("sha1Short gives the FIPS 180 digest of 'abc'", () => {
  assertEquals(
    sha1Short(new TextEncoder().encode("abc")).toHex(),
    "a9993e364706816aba3e25717850c26c9cd0d89d",
  );
});

Deno.test("sha1Short refuses inputs longer than one block", () => {
  assertThrows(() => sha1Short(new Uint8Array(56)), RangeError, "Cannot hash 56 bytes");
});
