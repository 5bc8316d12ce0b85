import { assertEquals, assertThrows } from "../../testing/std.ts";
import { parseConfig } from "../../src/config/config.ts";

const base = 'ip = "::"\nport = 8080\n';

Deno.test("config: mode defaults to redirect and UDP to off, with bounded defaults", () => {
  const config = parseConfig(base, "c.toml");
  assertEquals(config.mode, "redirect");
  assertEquals(config.udp, {
    enabled: false,
    port: 8080,
    maxDatagram: 4096,
    maxFlows: 10_000,
    maxRate: 10_000,
    idleTimeoutMs: 30_000,
    receiveBuffer: 4 * 1024 * 1024,
  });
});

Deno.test("config: [udp] in tproxy mode", () => {
  const config = parseConfig(
    `${base}mode = "tproxy"\n[udp]\nenabled = true\nport = 5300\nmax_datagram = 512\n` +
      "max_flows = 7\nmax_rate = 100\nidle_timeout = 2.5\n",
    "c.toml",
  );
  assertEquals(config.mode, "tproxy");
  assertEquals(config.udp.enabled, true);
  assertEquals([config.udp.port, config.udp.maxDatagram, config.udp.maxFlows], [5300, 512, 7]);
  assertEquals([config.udp.maxRate, config.udp.idleTimeoutMs], [100, 2500]);
});

Deno.test("config: UDP in redirect mode is refused with the reason", () => {
  const error = assertThrows(
    () => parseConfig(`${base}[udp]\nenabled = true\n`, "c.toml"),
    RangeError,
  );
  assertEquals(
    error.message,
    'Cannot load config c.toml: key "udp.enabled": REDIRECT rewrites a datagram\'s destination ' +
      'port, so UDP requires mode = "tproxy"',
  );
});

Deno.test("config: bad mode and [udp] values name the file and key", () => {
  assertThrows(() => parseConfig(`${base}mode = "nat"\n`, "c.toml"), RangeError, 'key "mode"');
  assertThrows(
    () => parseConfig(`${base}mode = "tproxy"\n[udp]\nmax_datagram = 0\n`, "c.toml"),
    RangeError,
    'key "udp.max_datagram"',
  );
  assertThrows(
    () => parseConfig(`${base}[udp]\nmax_rate = "fast"\n`, "c.toml"),
    TypeError,
    'key "udp.max_rate"',
  );
  assertThrows(
    () => parseConfig(`${base}[udp]\nbogus = 1\n`, "c.toml"),
    TypeError,
    'key "udp.bogus"',
  );
  assertThrows(() => parseConfig(`${base}udp = 3\n`, "c.toml"), TypeError, 'key "udp"');
});
