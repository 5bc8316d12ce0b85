import { assertEquals } from "../../testing/std.ts";
import { createHash } from "node:crypto";
import { parseClientHello } from "../../src/tls/client_hello.ts";
import { ja3 } from "../../src/tls/ja3.ts";
import {
  buildClientHello,
  captureClientHello,
  pointFormatsBody,
  TLS_CLIENTS,
  u16ListBody,
} from "./_fixtures.ts";
import { referenceHello } from "./_cross_check.ts";

Deno.test("ja3() writes version, ciphers, extensions, groups and formats without GREASE", () => {
  const hello = parseClientHello(buildClientHello({
    legacyVersion: 0x0303,
    ciphers: [0x0a0a, 0x1301, 0xc02b],
    extensions: [
      [0x1a1a, new Uint8Array()],
      [0x0000, new Uint8Array()],
      [0x000a, u16ListBody([0x2a2a, 29, 23])],
      [0x000b, pointFormatsBody([0])],
      [0xff01, new Uint8Array([0])],
    ],
  }));
  const result = ja3(hello);
  assertEquals(result.text, "771,4865-49195,0-10-11-65281,29-23,0");
  assertEquals(result.hash, createHash("md5").update(result.text).digest("hex"));
});

Deno.test("ja3() hashes the JA3 string with MD5", () => {
  const hello = parseClientHello(buildClientHello({ extensions: null, ciphers: [47, 53] }));
  const result = ja3(hello);
  assertEquals(result.text, "771,47-53,,,");
  assertEquals(result.hash, createHash("md5").update("771,47-53,,,").digest("hex"));
  // A published JA3 string and its MD5 (salesforce/ja3 README).
  const published = "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0";
  assertEquals(
    createHash("md5").update(published).digest("hex"),
    "ada70206e40642a3e4461f35503241d5",
  );
  const same = parseClientHello(buildClientHello({
    legacyVersion: 0x0301,
    ciphers: [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
    extensions: [[0, new Uint8Array()], [10, u16ListBody([23, 24, 25])], [
      11,
      pointFormatsBody([0]),
    ]],
  }));
  assertEquals(ja3(same), { text: published, hash: "ada70206e40642a3e4461f35503241d5" });
});

for (const client of TLS_CLIENTS) {
  Deno.test(`ja3() agrees with read-tls-client-hello on ${client.name}`, async () => {
    const bytes = await captureClientHello(client);
    const reference = await referenceHello(bytes);
    assertEquals(ja3(parseClientHello(bytes)).hash, reference.ja3Hash);
  });
}
