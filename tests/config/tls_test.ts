import { assertEquals, assertThrows } from "../../testing/std.ts";
import { parseConfig } from "../../src/config/config.ts";

const BASE = 'ip = "::"\nport = 5555\nname = "t"\n';

Deno.test("[tls] defaults: enabled, generated certificates, 10 s handshake, 1000 cached", () => {
  assertEquals(parseConfig(BASE, "c.toml").tls, {
    enabled: true,
    certFile: null,
    keyFile: null,
    handshakeTimeoutMs: 10_000,
    certCache: 1000,
  });
  const set = parseConfig(
    BASE + '[tls]\nenabled = false\ncert = "c.pem"\nkey = "k.pem"\n' +
      "handshake_timeout = 2.5\ncert_cache = 7\n",
    "c.toml",
  );
  assertEquals(set.tls, {
    enabled: false,
    certFile: "c.pem",
    keyFile: "k.pem",
    handshakeTimeoutMs: 2500,
    certCache: 7,
  });
});

Deno.test("[tls] bad values are clear errors naming the file and the key", () => {
  const cases: [string, ErrorConstructor, string][] = [
    ['enabled = "yes"', TypeError, 'key "tls.enabled": expected true or false'],
    ["handshake_timeout = 0", RangeError, 'key "tls.handshake_timeout"'],
    ['handshake_timeout = "5"', TypeError, 'key "tls.handshake_timeout"'],
    ["cert_cache = 0", RangeError, 'key "tls.cert_cache": expected an integer from 1'],
    ["cert = 5", TypeError, 'key "tls.cert": expected a string'],
    [
      'cert = "c.pem"',
      TypeError,
      'key "tls.key": expected a PEM file path (required with "tls.cert")',
    ],
    [
      'key = "k.pem"',
      TypeError,
      'key "tls.cert": expected a PEM file path (required with "tls.key")',
    ],
    ["colour = 1", TypeError, 'key "tls.colour": expected no such key'],
  ];
  for (const [line, type, text] of cases) {
    assertThrows(() => parseConfig(`${BASE}[tls]\n${line}\n`, "c.toml"), type, text, line);
  }
  assertThrows(
    () => parseConfig(`${BASE}tls = 1\n`, "c.toml"),
    TypeError,
    'key "tls": expected a table',
  );
});
