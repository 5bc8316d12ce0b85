import { assert, assertEquals, assertThrows } from "../../testing/std.ts";
import {
  clientHelloBytesNeeded,
  ClientHelloError,
  isGrease,
  MAX_CLIENT_HELLO_BYTES,
  offeredVersions,
  parseClientHello,
  sniffTls,
} from "../../src/tls/client_hello.ts";
import {
  alpnBody,
  buildClientHello,
  captureClientHello,
  ja4SpecHello,
  pointFormatsBody,
  sniBody,
  TLS_CLIENTS,
  u16ListBody,
  versionsBody,
} from "./_fixtures.ts";

function assertHelloError(fn: () => unknown, code: ClientHelloError["code"]): void {
  const error = assertThrows(fn, ClientHelloError);
  assertEquals(error.code, code, error.message);
  assert(error.message.startsWith("Cannot parse TLS ClientHello: "));
}

/** Re-cuts the handshake message of single-record hello bytes into records of `size` bytes. */
function refragment(bytes: Uint8Array, size: number): Uint8Array {
  const message = bytes.subarray(5, 5 + ((bytes[3] ?? 0) << 8 | (bytes[4] ?? 0)));
  const out: number[] = [];
  for (let at = 0; at < message.length; at += size) {
    const part = message.subarray(at, at + size);
    out.push(0x16, 3, 1, part.length >> 8, part.length & 0xff, ...part);
  }
  return new Uint8Array(out);
}

Deno.test("isGrease() accepts exactly the 16 RFC 8701 values", () => {
  const grease = [];
  for (let v = 0; v < 0x10000; v++) if (isGrease(v)) grease.push(v);
  assertEquals(grease, Array.from({ length: 16 }, (_, i) => (i << 12) | 0x0a00 | (i << 4) | 0x0a));
  assert(!isGrease(0x0a1a));
});

Deno.test("sniffTls() tells TLS, not TLS and need-more from the first bytes", () => {
  const hello = buildClientHello();
  assertEquals(sniffTls(hello), "tls");
  assertEquals(sniffTls(hello.subarray(0, 6)), "tls");
  for (let n = 0; n < 6; n++) assertEquals(sniffTls(hello.subarray(0, n)), "need-more", `${n}`);
  for (const minor of [0, 1, 2, 3, 4]) {
    assertEquals(sniffTls(new Uint8Array([0x16, 3, minor, 0, 10, 1])), "tls");
  }
  assertEquals(sniffTls(new TextEncoder().encode("GET / HTTP/1.1\r\n")), "not-tls");
  assertEquals(sniffTls(new Uint8Array([0x16, 2])), "not-tls");
  assertEquals(sniffTls(new Uint8Array([0x16, 3, 5])), "not-tls");
  assertEquals(sniffTls(new Uint8Array([0x16, 3, 1, 0, 0])), "not-tls");
  assertEquals(sniffTls(new Uint8Array([0x16, 3, 1, 0xff, 0xff])), "not-tls");
  assertEquals(sniffTls(new Uint8Array([0x16, 3, 1, 0, 10, 2])), "not-tls");
  assertEquals(sniffTls(new Uint8Array([0x80, 0x2e, 1, 3, 1])), "not-tls"); // SSLv2 hello
  assertEquals(sniffTls(new Uint8Array([0x15, 3, 1, 0, 2, 2, 40])), "not-tls"); // alert
});

Deno.test("parseClientHello() reads every field of a built hello", () => {
  const bytes = buildClientHello({
    ciphers: [0x0a0a, 0x1301, 0xc02f, 0x00ff],
    compression: [1, 0],
    extensions: [
      [0x0000, sniBody("www.example.org")],
      [0x0010, alpnBody(["h2", "http/1.1"])],
      [0x002b, versionsBody([0x2a2a, 0x0304, 0x0303])],
      [0x000a, u16ListBody([0x1a1a, 0x001d, 0x0017])],
      [0x000b, pointFormatsBody([0, 1, 2])],
      [0x000d, u16ListBody([0x0403, 0x0804])],
      [0x0a0a, new Uint8Array([0])],
    ],
  });
  const hello = parseClientHello(bytes);
  assertEquals(hello.recordVersion, 0x0301);
  assertEquals(hello.legacyVersion, 0x0303);
  assertEquals(hello.random, new Uint8Array(32).fill(0x42));
  assertEquals(hello.sessionId, new Uint8Array(32).fill(0x11));
  assertEquals(hello.cipherSuites, [0x0a0a, 0x1301, 0xc02f, 0x00ff]);
  assertEquals(hello.compressionMethods, [1, 0]);
  assertEquals(hello.extensions.map((e) => e.type), [0, 0x10, 0x2b, 0x0a, 0x0b, 0x0d, 0x0a0a]);
  assertEquals(hello.serverName, "www.example.org");
  assertEquals(hello.alpn, ["h2", "http/1.1"]);
  assertEquals(hello.supportedVersions, [0x2a2a, 0x0304, 0x0303]);
  assertEquals(offeredVersions(hello), ["TLSv1.3", "TLSv1.2"]);
  assertEquals(hello.supportedGroups, [0x1a1a, 0x001d, 0x0017]);
  assertEquals(hello.ecPointFormats, [0, 1, 2]);
  assertEquals(hello.signatureAlgorithms, [0x0403, 0x0804]);
  assertEquals(hello.malformedExtensions, []);
  assertEquals(hello.byteLength, bytes.length);
});

Deno.test("parseClientHello() accepts a hello without extensions, as old clients send", () => {
  const hello = parseClientHello(buildClientHello({ extensions: null, legacyVersion: 0x0301 }));
  assertEquals(hello.extensions, []);
  assertEquals(hello.serverName, null);
  assertEquals(hello.alpn, []);
  assertEquals(offeredVersions(hello), ["TLSv1.0"]);
  const draft = parseClientHello(
    buildClientHello({ extensions: [[0x002b, versionsBody([0x7f1c])]] }),
  );
  assertEquals(offeredVersions(draft), ["0x7f1c"]);
});

Deno.test("parseClientHello() reassembles a hello split over many records", () => {
  const whole = ja4SpecHello();
  const reference = parseClientHello(whole);
  for (const size of [1, 4, 5, 37, 200]) {
    const split = buildClientHello({ fragment: size, extensions: [[0, sniBody("a.example")]] });
    assertEquals(parseClientHello(split).serverName, "a.example", `fragment ${size}`);
    const cut = refragment(whole, size);
    const hello = parseClientHello(cut);
    assertEquals(hello.byteLength, cut.length);
    assertEquals(hello.cipherSuites, reference.cipherSuites);
    assertEquals(hello.extensions, reference.extensions);
    assertEquals(hello.serverName, reference.serverName);
  }
});

Deno.test("parseClientHello() ignores bytes after the hello and reports its length", () => {
  const hello = buildClientHello();
  const withTail = new Uint8Array([...hello, 0x14, 3, 3, 0, 1, 1, 0x17, 3, 3]);
  assertEquals(parseClientHello(withTail).byteLength, hello.length);
  assertEquals(clientHelloBytesNeeded(withTail), 0);
});

Deno.test("clientHelloBytesNeeded() counts down to 0 as bytes arrive", () => {
  const bytes = buildClientHello({ fragment: 50, extensions: [[0, sniBody("x.example")]] });
  let last = Infinity;
  for (let n = 1; n < bytes.length; n++) {
    const needed = clientHelloBytesNeeded(bytes.subarray(0, n));
    assert(needed >= 1 && n + needed <= bytes.length, `at ${n}: ${needed}`);
    assertHelloError(() => parseClientHello(bytes.subarray(0, n)), "incomplete");
    last = needed;
  }
  assert(last >= 1);
  assertEquals(clientHelloBytesNeeded(bytes), 0);
  assertEquals(clientHelloBytesNeeded(new Uint8Array()), 5);
});

Deno.test("parseClientHello() refuses non-TLS bytes, other handshakes and stray records", () => {
  assertHelloError(
    () => parseClientHello(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n")),
    "not-tls",
  );
  const serverHello = buildClientHello();
  serverHello[5] = 2;
  assertHelloError(() => parseClientHello(serverHello), "not-tls");
  const split = buildClientHello({ fragment: 20 });
  split[25] = 0x17; // second record becomes application data
  assertHelloError(() => parseClientHello(split), "malformed");
  const empty = new Uint8Array([0x16, 3, 1, 0, 0, 0x16, 3, 1, 0, 4, 1, 0, 0, 0]);
  assertHelloError(() => parseClientHello(empty), "malformed");
});

Deno.test("parseClientHello() bounds the hello at 64 KiB", () => {
  const announced = new Uint8Array([0x16, 3, 1, 0, 4, 1, 0x01, 0x00, 0x00]);
  assertHelloError(() => parseClientHello(announced), "too-large");
  assertHelloError(() => clientHelloBytesNeeded(announced), "too-large");
  const ciphers = Array.from({ length: 32767 }, (_, i) => i);
  const big = buildClientHello({ ciphers });
  assert(big.length > MAX_CLIENT_HELLO_BYTES);
  assertHelloError(() => parseClientHello(big), "too-large");
  // Many small records of a hello that is small enough still add up past the bound.
  const tiny = buildClientHello({
    fragment: 1,
    ciphers: Array.from({ length: 6000 }, (_, i) => i),
  });
  assertHelloError(() => clientHelloBytesNeeded(tiny), "too-large");
  const fits = buildClientHello({ ciphers: Array.from({ length: 16000 }, (_, i) => i) });
  assertEquals(parseClientHello(fits).cipherSuites.length, 16000);
});

Deno.test("parseClientHello() refuses inconsistent lengths inside the hello", () => {
  const cases: [string, (b: Uint8Array) => void][] = [
    ["session id too long", (b) => (b[43] = 33)],
    ["session id past the end", (b) => (b[43] = 255)],
    ["odd cipher length", (b) => (b[77] = 7)],
  ];
  for (const [name, mutate] of cases) {
    const bytes = buildClientHello();
    mutate(bytes);
    assertThrows(() => parseClientHello(bytes), ClientHelloError, undefined, name);
  }
  const trailing = buildClientHello({ extensions: [[0x0017, new Uint8Array()]] });
  const grown = new Uint8Array([...trailing, 0]);
  grown[4] = (grown[4] ?? 0) + 1;
  grown[8] = (grown[8] ?? 0) + 1;
  assertHelloError(() => parseClientHello(grown), "malformed");
});

Deno.test("parseClientHello() keeps going past a malformed known extension", () => {
  const hello = parseClientHello(buildClientHello({
    extensions: [
      [0x0000, new Uint8Array([0, 50, 0])],
      [0x0010, new Uint8Array([0, 3, 5, 1, 2])],
      [0x000d, new Uint8Array([0, 3, 4, 3, 8])],
      [0x000a, u16ListBody([0x001d])],
    ],
  }));
  assertEquals(hello.malformedExtensions, [0x0000, 0x0010, 0x000d]);
  assertEquals(hello.serverName, null);
  assertEquals(hello.alpn, []);
  assertEquals(hello.supportedGroups, [0x001d]);
  assertEquals(hello.extensions.length, 4);
});

Deno.test("parseClientHello() decodes a non-UTF-8 SNI lossily and keeps ALPN bytes", () => {
  const sni = new Uint8Array([0, 6, 0, 0, 3, 0x61, 0xff, 0x62]);
  const hello = parseClientHello(buildClientHello({
    extensions: [[0x0000, sni], [0x0010, alpnBody([new Uint8Array([0xab, 0xcd])])]],
  }));
  assertEquals(hello.serverName, "a\ufffdb");
  assertEquals(hello.alpnBytes, [new Uint8Array([0xab, 0xcd])]);
});

for (const client of TLS_CLIENTS) {
  Deno.test(`parseClientHello() reads the hello of ${client.name}`, async () => {
    const bytes = await captureClientHello(client);
    assertEquals(sniffTls(bytes), "tls");
    const hello = parseClientHello(bytes);
    assertEquals(hello.byteLength, bytes.length);
    assert(hello.cipherSuites.length > 0);
    assertEquals(hello.malformedExtensions, []);
    if (client.command.some((a) => a.includes("localhost"))) {
      assertEquals(hello.serverName, "localhost");
    }
    if (client.command.includes("sensor.example")) assertEquals(hello.serverName, "sensor.example");
    if (client.command.some((a) => a.includes("https://127.0.0.1"))) {
      assertEquals(hello.serverName, null);
    }
    if (client.command.includes("1.2")) assertEquals(offeredVersions(hello), ["TLSv1.2"]);
    if (client.command.includes("-tls1_3")) assertEquals(offeredVersions(hello), ["TLSv1.3"]);
  });
}
