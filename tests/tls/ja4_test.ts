import { assertEquals } from "../../testing/std.ts";
import { parseClientHello } from "../../src/tls/client_hello.ts";
import { ja4 } from "../../src/tls/ja4.ts";
import {
  alpnBody,
  buildClientHello,
  captureClientHello,
  ja4SpecHello,
  sniBody,
  TLS_CLIENTS,
  u16ListBody,
  versionsBody,
} from "./_fixtures.ts";
import { referenceHello } from "./_cross_check.ts";

Deno.test("ja4() reproduces every rendering of the JA4 specification's example", () => {
  const hello = parseClientHello(ja4SpecHello());
  assertEquals(ja4(hello), "t13d1516h2_8daaf6152771_e5627efa2ab1");
  assertEquals(ja4(hello, { original: true }), "t13d1516h2_acb858a92679_18f69afefd3d");
  assertEquals(
    ja4(hello, { raw: true }),
    "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_" +
      "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_" +
      "0403,0804,0401,0503,0805,0501,0806,0601",
  );
  assertEquals(
    ja4(hello, { raw: true, original: true }),
    "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_" +
      "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_" +
      "0403,0804,0401,0503,0805,0501,0806,0601",
  );
});

Deno.test("ja4() hashes the extensions alone when there are no signature algorithms", () => {
  // The specification's example: this list alone hashes to 6d807ffa2a79.
  const types = [0x0005, 0x000a, 0x000b, 0x0012, 0x0015, 0x0017, 0x001b, 0x0023, 0x002b];
  const more = [0x002d, 0x0033, 0x4469, 0xff01, 0x000d];
  const extensions = [...types, ...more].map((t): [number, Uint8Array] => [t, new Uint8Array()]);
  const hello = parseClientHello(buildClientHello({ extensions }));
  assertEquals(ja4(hello).split("_")[2], "6d807ffa2a79");
});

Deno.test("ja4() encodes the ALPN value as the specification's examples say", () => {
  const cases: [Uint8Array | string | null, string][] = [
    ["h2", "h2"],
    ["http/1.1", "h1"],
    ["h", "hh"],
    [new Uint8Array([0xab]), "ab"],
    [new Uint8Array([0xab, 0xcd]), "ad"],
    [new Uint8Array([0x30, 0xab]), "3b"],
    [new Uint8Array([0x30, 0x31, 0xab, 0xcd]), "3d"],
    [new Uint8Array([0x30, 0xab, 0xcd, 0x31]), "01"],
    [new Uint8Array(), "00"],
    [null, "00"],
  ];
  for (const [value, code] of cases) {
    const extensions: [number, Uint8Array][] = value === null ? [] : [[0x10, alpnBody([value])]];
    assertEquals(ja4(parseClientHello(buildClientHello({ extensions }))).slice(8, 10), code);
  }
});

Deno.test("ja4() takes the version from supported_versions, else the legacy version", () => {
  const versions = (v: number[], legacy = 0x0303): string =>
    ja4(parseClientHello(buildClientHello({
      legacyVersion: legacy,
      extensions: v.length ? [[0x2b, versionsBody(v)]] : [],
    }))).slice(1, 3);
  assertEquals(versions([0x0a0a, 0x0303, 0x0304]), "13");
  assertEquals(versions([0x0302, 0x0301]), "11");
  assertEquals(versions([]), "12");
  assertEquals(versions([], 0x0301), "10");
  assertEquals(versions([], 0x0300), "s3");
  assertEquals(versions([], 0x0200), "00");
  assertEquals(versions([0x7f1c]), "00");
});

Deno.test("ja4() counts without GREASE, caps at 99, and marks empty lists with zeros", () => {
  const many = Array.from({ length: 120 }, (_, i) => 0x0100 + i);
  const hello = parseClientHello(buildClientHello({
    ciphers: [0x0a0a, ...many],
    extensions: many.map((t): [number, Uint8Array] => [t, new Uint8Array()]),
  }));
  assertEquals(ja4(hello).slice(0, 10), "t12i999900");
  const bare = parseClientHello(buildClientHello({ ciphers: [], extensions: null }));
  assertEquals(ja4(bare), "t12i000000_000000000000_000000000000");
  const sniOnly = parseClientHello(buildClientHello({
    ciphers: [0x1301],
    extensions: [[0, sniBody("x.example")], [0x0a0a, new Uint8Array()]],
  }));
  assertEquals(ja4(sniOnly).slice(0, 10), "t12d010100");
  assertEquals(ja4(sniOnly).split("_")[2], "000000000000");
});

Deno.test("ja4() drops GREASE signature algorithms", () => {
  const make = (sigs: number[]): string =>
    ja4(parseClientHello(buildClientHello({ extensions: [[0x0d, u16ListBody(sigs)]] })));
  assertEquals(make([0x0a0a, 0x0403, 0x0804]), make([0x0403, 0x0804]));
});

for (const client of TLS_CLIENTS) {
  Deno.test(`ja4() agrees with read-tls-client-hello on ${client.name}`, async () => {
    const bytes = await captureClientHello(client);
    const hello = parseClientHello(bytes);
    const reference = await referenceHello(bytes);
    assertEquals(ja4(hello), reference.ja4);
    assertEquals(hello.cipherSuites, reference.message.cipherSuites);
    assertEquals(
      hello.extensions.map((e) => e.type),
      reference.message.extensions.map((e) => e.id),
    );
    assertEquals(hello.serverName ?? undefined, reference.serverName);
    assertEquals(hello.alpn.length > 0 ? hello.alpn : undefined, reference.alpn);
  });
}
