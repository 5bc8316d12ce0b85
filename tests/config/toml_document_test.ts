import { assert, assertEquals, assertNotEquals, stringifyToml } from "../../testing/std.ts";
import { type Config, configToToml, parseConfig } from "../../src/config/config.ts";
import type { TomlDocument, TomlValue } from "../../src/config/toml_document.ts";
import { parseToml } from "../../src/std.ts";
import { nonDefaultToml } from "./_non_default_config.ts";

const FILE = "/etc/spip/test.toml";
const SHIPPED = Deno.readTextFileSync(new URL("../../config.toml", import.meta.url));
const NON_DEFAULT = nonDefaultToml({
  cert: "/etc/spip/cert.pem",
  key: "/etc/spip/key.pem",
  output: "/var/log/spip/spip.jsonl",
});
/** Tables whose keys are data: compared whole. */
const DATA_TABLES = new Set(["greet.ports", "greet.banners"]);

/** Each value by its dotted key; data tables and arrays whole. */
function leaves(table: Readonly<Record<string, unknown>>, prefix = ""): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const [key, value] of Object.entries(table)) {
    const path = `${prefix}${key}`;
    const nested = value !== null && typeof value === "object" && !Array.isArray(value);
    if (nested && !DATA_TABLES.has(path)) {
      for (const [p, v] of leaves(value as Record<string, unknown>, `${path}.`)) found.set(p, v);
    } else {
      found.set(path, value);
    }
  }
  return found;
}

/** The configuration read back from its TOML document, written as TOML text. */
function roundTrip(config: Config): Config {
  return parseConfig(stringifyToml(configToToml(config)), FILE);
}

Deno.test("configToToml(): config.toml's keys and units, every default filled in", () => {
  const config = parseConfig('ip = "::"\nport = 5555\nname = "n"\n', FILE);
  const document: TomlDocument = configToToml(config);
  assertEquals(document["idle_timeout"], 10, "seconds, as in the file");
  assertEquals(document["stats_interval"], 60);
  assertEquals(document["exclude_ports"], []);
  assertEquals(document["output"], undefined, "unset: TOML has no null");
  const tls = document["tls"] as Record<string, TomlValue>;
  assertEquals(tls, { enabled: true, handshake_timeout: 10, cert_cache: 1000 });
  const greet = document["greet"] as Record<string, TomlValue>;
  assertEquals(greet["after"], 1.5);
  assertEquals(greet["default"], "none");
  assertEquals((greet["ports"] as Record<string, TomlValue>)["21"], "ftp");
  assertEquals((document["udp"] as Record<string, TomlValue>)["port"], 5555, "from the top level");
  // Every key the shipped config.toml writes is there, with the value it writes (its
  // commented-out keys excepted: it shows the defaults).
  const shipped = leaves(parseToml(SHIPPED));
  const written = leaves(configToToml(parseConfig(SHIPPED, FILE)));
  for (const [key, value] of shipped) assertEquals(written.get(key), value, key);
  const extra = [...written.keys()].filter((key) => !shipped.has(key));
  // The host name and the UDP port (the top-level one), which the file leaves commented out.
  assertEquals(extra, ["name", "udp.port"]);
});

Deno.test("configToToml() read back gives the same configuration: shipped and non-default", () => {
  for (const text of [SHIPPED, NON_DEFAULT, 'ip = "::"\nport = 1\nidle_timeout = 2\n']) {
    const config = parseConfig(text, FILE);
    assertEquals(roundTrip(config), config);
    // And the document is a fixed point.
    assertEquals(configToToml(roundTrip(config)), configToToml(config));
  }
});

Deno.test("the non-default config changes every key, so its round trip covers each mapping", () => {
  const defaults = leaves(configToToml(parseConfig(SHIPPED, FILE)));
  const changed = leaves(configToToml(parseConfig(NON_DEFAULT, FILE)));
  for (const [key, value] of defaults) {
    if (key === "name") continue; // the host name here; set in the non-default file
    assert(changed.has(key), key);
    assertNotEquals(changed.get(key), value, key);
  }
  for (const key of ["name", "output", "tls.cert", "tls.key"]) assert(changed.has(key), key);
  assertEquals(changed.get("greet.ports"), {
    "21": "none",
    "23": "telnet",
    "25": "imap",
    "110": "pop3",
    "143": "imap",
    "587": "smtp",
    "2222": "none",
    "2323": "telnet",
    "2525": "smtp",
    "3306": "mysql",
    "5900": "vnc",
    "8021": "ftp",
  });
});

Deno.test("configToToml(): a built-in greeting port removed stays removed when read back", () => {
  const config = parseConfig('ip = "::"\nport = 1\n[greet.ports]\n3306 = "none"\n', FILE);
  assertEquals(config.greet.ports.has(3306), false);
  const ports = (configToToml(config)["greet"] as Record<string, TomlValue>)["ports"];
  assertEquals((ports as Record<string, TomlValue>)["3306"], "none");
  assertEquals(roundTrip(config).greet.ports.has(3306), false);
});

Deno.test("configToToml(): fractional seconds read back to the same milliseconds", () => {
  for (const seconds of [0.1, 0.25, 1.001, 7.25, 86399.999]) {
    const config = parseConfig(`ip = "::"\nport = 1\nidle_timeout = ${seconds}\n`, FILE);
    assertEquals(configToToml(config)["idle_timeout"], seconds);
    assertEquals(roundTrip(config).idleTimeoutMs, config.idleTimeoutMs);
  }
});
