import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../testing/std.ts";
import {
  type Config,
  configFromTable,
  loadConfig,
  parseConfig,
  resolveConfigPath,
} from "../../src/config/config.ts";
import { ConfigReader } from "../../src/config/reader.ts";
import { DEFAULT_GREET_PORTS } from "../../src/config/greet.ts";

const FILE = "/etc/spip/test.toml";
const MINIMAL = 'ip = "::"\nport = 5555\n';

type ErrorClass = typeof TypeError | typeof RangeError | typeof SyntaxError | typeof Error;

/** Asserts a one-line error of the given class naming the file, and returns its message. */
function assertConfigError(text: string, errorClass: ErrorClass, ...parts: string[]): string {
  const error = assertThrows(() => parseConfig(text, FILE), errorClass);
  assertEquals(error.constructor, errorClass, error.message);
  assert(!error.message.includes("\n"), `one line: ${JSON.stringify(error.message)}`);
  assertStringIncludes(error.message, FILE);
  for (const part of parts) assertStringIncludes(error.message, part);
  return error.message;
}

Deno.test("parseConfig() needs only ip and port and fills in the defaults", () => {
  const config = parseConfig(MINIMAL, FILE);
  const expected: Config = {
    file: FILE,
    ip: "::",
    port: 5555,
    name: Deno.hostname(),
    idleTimeoutMs: 10_000,
    maxLifetimeMs: 300_000,
    maxBytes: 1024 * 1024,
    readSize: 4096,
    maxConnections: 10_000,
    backlog: 4096,
    recordSilent: true,
    statsIntervalMs: 60_000,
    outputBuffer: 16 * 1024 * 1024,
    output: null,
    mode: "redirect",
    accept: "accept4",
    sshPort: 22,
    excludePorts: [],
    udp: {
      enabled: false,
      port: 5555,
      maxDatagram: 4096,
      maxFlows: 10_000,
      maxRate: 10_000,
      idleTimeoutMs: 30_000,
      receiveBuffer: 4 * 1024 * 1024,
    },
    tls: {
      enabled: true,
      certFile: null,
      keyFile: null,
      handshakeTimeoutMs: 10_000,
      certCache: 1000,
    },
    budget: { sessionsPerMinute: 0, maxSources: 10_000 },
    greet: {
      enabled: true,
      afterMs: 1500,
      ports: DEFAULT_GREET_PORTS,
      defaultProtocol: null,
      detectSsh: true,
      banners: {},
    },
  };
  assertEquals(config, expected);
});

Deno.test("parseConfig() reads every key, seconds as milliseconds", () => {
  const config = parseConfig(
    [
      'ip = "192.0.2.1"',
      "port = 1",
      'name = "sensor-1"',
      "idle_timeout = 0.25",
      "max_lifetime = 60",
      "max_bytes = 100",
      "read_size = 64",
      "max_connections = 1",
      "backlog = 65535",
      "record_silent = false",
      "stats_interval = 1.5",
      "output_buffer = 65536",
      'mode = "tproxy"',
      'accept = "deno"',
      "ssh_port = 2222",
      "exclude_ports = [80, 443]",
      'output = "/var/log/spip/spip.jsonl"',
      "[budget]",
      "sessions_per_minute = 5",
      "max_sources = 1",
    ].join("\n"),
    FILE,
  );
  assertEquals(config, {
    file: FILE,
    ip: "192.0.2.1",
    port: 1,
    name: "sensor-1",
    idleTimeoutMs: 250,
    maxLifetimeMs: 60_000,
    maxBytes: 100,
    readSize: 64,
    maxConnections: 1,
    backlog: 65535,
    recordSilent: false,
    statsIntervalMs: 1500,
    outputBuffer: 65536,
    output: "/var/log/spip/spip.jsonl",
    mode: "tproxy",
    accept: "deno",
    sshPort: 2222,
    excludePorts: [80, 443],
    udp: { ...config.udp, enabled: false, port: 1 },
    tls: config.tls,
    budget: { sessionsPerMinute: 5, maxSources: 1 },
    greet: { ...config.greet, afterMs: 125 },
  });
});

Deno.test("parseConfig() reports a bad output or [budget] key naming the file and the key", () => {
  assertConfigError(`${MINIMAL}output = 1\n`, TypeError, '"output"', "a string");
  assertConfigError(`${MINIMAL}output = ""\n`, RangeError, '"output"', "a file path");
  assertConfigError(`${MINIMAL}budget = 5\n`, TypeError, '"budget"', "a table");
  assertConfigError(
    `${MINIMAL}[budget]\nsessions_per_minute = -1\n`,
    RangeError,
    '"budget.sessions_per_minute"',
    "an integer from 0",
  );
  assertConfigError(
    `${MINIMAL}[budget]\nsessions_per_minute = "5"\n`,
    TypeError,
    '"budget.sessions_per_minute"',
  );
  assertConfigError(
    `${MINIMAL}[budget]\nmax_sources = 0\n`,
    RangeError,
    '"budget.max_sources"',
    "an integer from 1",
  );
  assertConfigError(`${MINIMAL}[budget]\nper_second = 1\n`, TypeError, '"budget.per_second"');
});

Deno.test("the shipped config.toml parses, and shows the defaults", () => {
  const path = new URL("../../config.toml", import.meta.url).pathname;
  const shipped = loadConfig(path);
  assertEquals(shipped.file, path);
  assertEquals(shipped.ip, "::");
  assertEquals(shipped.port, 5555);
  // "Only `ip` and `port` are required; every other key shows its default."
  assertEquals({ ...shipped, file: FILE }, parseConfig(MINIMAL, FILE));
});

Deno.test("loadConfig() reports a missing file in one line naming it", () => {
  const path = `${Deno.makeTempDirSync()}/missing.toml`;
  try {
    const error = assertThrows(() => loadConfig(path), Error);
    assertEquals(error.message, `Cannot load config ${path}: no such file`);
  } finally {
    Deno.removeSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("loadConfig() reads a file from disk", () => {
  const path = Deno.makeTempFileSync({ suffix: ".toml" });
  try {
    Deno.writeTextFileSync(path, 'ip = "0.0.0.0"\nport = 2222\n');
    const config = loadConfig(path);
    assertEquals([config.file, config.ip, config.port], [path, "0.0.0.0", 2222]);
    Deno.writeTextFileSync(path, "port = 0\nip = '::'\n");
    const error = assertThrows(() => loadConfig(path), RangeError);
    assertStringIncludes(error.message, path);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("parseConfig() reports bad TOML as a one-line SyntaxError", () => {
  for (
    const text of ["ip = ", "port = = 1", "[unclosed", "a b c", 'ip = "::', 'ip = "::"\nport ==']
  ) {
    const line = text.split("\n").length;
    const message = assertConfigError(
      text,
      SyntaxError,
      `Cannot load config ${FILE}: Parse error on line ${line}, column `,
    );
    assert(
      message.startsWith(`Cannot load config ${FILE}: Parse error on line ${line}, `),
      message,
    );
    assert(/column \d+: \S/.test(message), `has a detail: ${message}`);
  }
});

Deno.test("parseConfig() reports a key set twice as a one-line SyntaxError with both lines", () => {
  assertEquals(
    assertConfigError(MINIMAL + "port = 8080\n", SyntaxError),
    `Cannot load config ${FILE}: line 3: key "port" is set twice, on lines 2 and 3`,
  );
  assertEquals(
    assertConfigError(MINIMAL + "[tls]\nenabled = true\nenabled = false\n", SyntaxError),
    `Cannot load config ${FILE}: line 5: key "tls.enabled" is set twice, on lines 4 and 5`,
  );
});

Deno.test("parseConfig() reports a missing ip or port as a TypeError naming the key", () => {
  assertConfigError("port = 5555", TypeError, 'key "ip"', "expected a string", "required");
  assertConfigError(
    'ip = "::"',
    TypeError,
    'key "port"',
    "expected an integer from 1 to 65535",
    "required",
  );
  assertConfigError("", TypeError, 'key "ip"', "required");
});

Deno.test("parseConfig() reports a wrong type as a TypeError with what was expected and found", () => {
  const cases: [string, string, string, string][] = [
    ['ip = "::"\nport = "5555"', "port", "expected an integer from 1 to 65535", 'found "5555"'],
    ['ip = "::"\nport = 80.5', "port", "expected an integer from 1 to 65535", "found 80.5"],
    ['ip = "::"\nport = true', "port", "expected an integer", "found true"],
    ['ip = "::"\nport = [80]', "port", "expected an integer", "found an array"],
    ["ip = 1\nport = 5555", "ip", "expected a string", "found 1"],
    ['ip = "::"\nport = 1\nname = 7', "name", "expected a string", "found 7"],
    ['ip = "::"\nport = 1\nrecord_silent = "yes"', "record_silent", "true or false", '"yes"'],
    ['ip = "::"\nport = 1\nidle_timeout = "10s"', "idle_timeout", "number of seconds", '"10s"'],
    ['ip = "::"\nport = 1\nmax_bytes = 1.5', "max_bytes", "expected an integer", "found 1.5"],
    ['ip = "::"\nport = 1\n[backlog]\nx = 1', "backlog", "expected an integer", "a table"],
  ];
  for (const [text, key, expected, found] of cases) {
    assertConfigError(text, TypeError, `key "${key}"`, expected, found);
  }
});

Deno.test("parseConfig() reports a value out of range as a RangeError", () => {
  const cases: [string, string, string, string][] = [
    ['ip = "::"\nport = 0', "port", "expected an integer from 1 to 65535", "found 0"],
    ['ip = "::"\nport = 70000', "port", "expected an integer from 1 to 65535", "found 70000"],
    ['ip = "::"\nport = -1', "port", "expected an integer from 1 to 65535", "found -1"],
    ['ip = "::"\nport = 1\nidle_timeout = 0', "idle_timeout", "from 0.1 to 86400", "found 0"],
    ['ip = "::"\nport = 1\nstats_interval = -1', "stats_interval", "from 0 to", "found -1"],
    ['ip = "::"\nport = 1\nmax_lifetime = inf', "max_lifetime", "seconds", "found Infinity"],
    ['ip = "::"\nport = 1\nread_size = 63', "read_size", "from 64 to 1048576", "found 63"],
    ['ip = "::"\nport = 1\nmax_connections = 0', "max_connections", "from 1 to", "found 0"],
    ['ip = "::"\nport = 1\noutput_buffer = 1024', "output_buffer", "from 65536", "found 1024"],
    ['ip = "::"\nport = 1\nname = ""', "name", "1 to 255 characters", 'found ""'],
    ['ip = "::"\nport = 1\naccept = "epoll"', "accept", 'one of "accept4", "deno"', '"epoll"'],
  ];
  for (const [text, key, expected, found] of cases) {
    assertConfigError(text, RangeError, `key "${key}"`, expected, found);
  }
});

Deno.test("parseConfig() rejects a bad ip as a RangeError naming it", () => {
  for (const ip of ["localhost", "1.2.3", "256.1.1.1", "1.2.3.4.5", "", "0.0.0.0 ", "::g"]) {
    assertConfigError(
      `ip = ${JSON.stringify(ip)}\nport = 5555`,
      RangeError,
      'key "ip"',
      "expected an IPv4 or IPv6 address",
      `found ${JSON.stringify(ip)}`,
    );
  }
  for (const ip of ["0.0.0.0", "127.0.0.1", "::", "::1", "2001:db8::1", "::ffff:192.0.2.1"]) {
    assertEquals(parseConfig(`ip = ${JSON.stringify(ip)}\nport = 5555`, FILE).ip, ip);
  }
});

Deno.test("parseConfig() rejects an unknown key as a TypeError naming it", () => {
  assertConfigError(
    `${MINIMAL}idle_timeout_s = 5`,
    TypeError,
    'key "idle_timeout_s"',
    "unknown key",
    "found 5",
  );
  assertConfigError(`${MINIMAL}[tls]\nport = 443`, TypeError, 'key "tls.port"', "unknown key");
});

Deno.test("configFromTable() takes the host name when name is absent", () => {
  assertEquals(configFromTable({ ip: "::", port: 1 }, FILE).name, Deno.hostname());
  assertEquals(configFromTable({ ip: "::", port: 1, name: "n" }, FILE).name, "n");
});

Deno.test("ConfigReader reads sub-tables, choices and lists with dotted key names", () => {
  const table = {
    tls: { mode: "on", ports: [443, 8443], cert: "a.pem" },
    bad: { mode: "maybe", ports: [443, 70000] },
  };
  const r = new ConfigReader(FILE, table);
  const tls = r.table("tls");
  assertEquals(tls.choice("mode", ["on", "off"], "off"), "on");
  assertEquals(tls.integerList("ports", 1, 65535, []), [443, 8443]);
  assertEquals(tls.optionalString("cert"), "a.pem");
  assertEquals(tls.optionalString("key"), null);
  tls.finish();
  const bad = r.table("bad");
  const choice = assertThrows(() => bad.choice("mode", ["on", "off"], "off"), RangeError);
  assertEquals(
    choice.message,
    `Cannot load config ${FILE}: key "bad.mode": expected one of "on", "off", found "maybe" (a string)`,
  );
  const list = assertThrows(() => bad.integerList("ports", 1, 65535, []), RangeError);
  assertStringIncludes(list.message, 'key "bad.ports"');
  assertStringIncludes(list.message, "found 70000");
  const absent = r.table("absent");
  assertEquals(absent.integer("port", 1, 2, 2), 2);
  absent.finish();
  r.finish();
});

Deno.test("ConfigReader.finish() names the first unknown key of a sub-table", () => {
  const r = new ConfigReader(FILE, { tls: { mode: "on", extra: true } });
  const tls = r.table("tls");
  tls.choice("mode", ["on"], "on");
  const error = assertThrows(() => tls.finish(), TypeError);
  assertEquals(
    error.message,
    `Cannot load config ${FILE}: key "tls.extra": expected no such key (unknown key), found true (a boolean)`,
  );
});

Deno.test("ConfigReader.table() rejects a value that is not a table", () => {
  for (const value of [1, "x", [1], new Date(0)]) {
    const r = new ConfigReader(FILE, { tls: value });
    const error = assertThrows(() => r.table("tls"), TypeError);
    assertStringIncludes(error.message, 'key "tls": expected a table, found');
  }
});

Deno.test("resolveConfigPath() prefers --config, even when it does not exist", () => {
  assertEquals(resolveConfigPath("/nowhere/x.toml", "/usr/local/bin/spip"), "/nowhere/x.toml");
  assertEquals(resolveConfigPath("rel.toml", Deno.execPath()), "rel.toml");
});

Deno.test("resolveConfigPath() takes config.toml beside a compiled executable when it exists", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assertEquals(resolveConfigPath(undefined, `${dir}/spip`), "config.toml");
    Deno.writeTextFileSync(`${dir}/config.toml`, MINIMAL);
    assertEquals(resolveConfigPath(undefined, `${dir}/spip`), `${dir}/config.toml`);
    // Not beside the deno binary itself: `deno run` uses the working directory.
    assertEquals(resolveConfigPath(undefined, `${dir}/deno`), "config.toml");
    assertEquals(resolveConfigPath(undefined, `${dir}/deno.exe`), "config.toml");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("resolveConfigPath() falls back to the working directory", () => {
  assertEquals(resolveConfigPath(undefined, Deno.execPath()), "config.toml");
  assertEquals(resolveConfigPath(undefined, "/nonexistent-dir-for-spip-tests/spip"), "config.toml");
});

Deno.test("parseConfig(): every duplicate is one line naming the key and both lines", () => {
  const cases: [string, string][] = [
    [
      'ip = "::"\nport = 1\ntls = {enabled = true, enabled = false}\n',
      'line 3: key "tls.enabled" is set twice, on line 3',
    ],
    [
      'ip = "::"\nport = 1\n[tls]\nenabled = true\n[tls]\ncert_cache = 5\n',
      "line 5: table [tls] is defined twice, on lines 3 and 5",
    ],
    [
      'ip = "::"\nport = 1\ntls.enabled = true\n[tls]\ncert_cache = 5\n',
      'line 4: key "tls" is set twice, on lines 3 and 4',
    ],
    ['"port" = 1\nip = "::"\nport = 2\n', 'line 3: key "port" is set twice, on lines 1 and 3'],
    [
      'port = 1\nip = "::"\n"po\\u0072t" = 2\n',
      'line 3: key "port" is set twice, on lines 1 and 3',
    ],
    [
      "ip = \"::\"\nport = 1\n[tls]\nenabled = true\n'enabled' = false\n",
      'line 5: key "tls.enabled" is set twice, on lines 4 and 5',
    ],
    [
      'ip = "::"\nport = 1\ntls = {enabled = true}\ntls.cert_cache = 5\n',
      'line 4: key "tls" is set twice, on lines 3 and 4',
    ],
  ];
  for (const [text, detail] of cases) {
    const error = assertThrows(() => parseConfig(text, FILE), SyntaxError);
    assertEquals(error.message, `Cannot load config ${FILE}: ${detail}`);
  }
});

Deno.test("parseConfig(): a float for an integer key is refused, even when it is whole", () => {
  const cases: [string, string][] = [
    [
      'ip = "::"\nport = 80.0\n',
      'key "port": expected an integer from 1 to 65535, found 80.0 (a float)',
    ],
    [
      'ip = "::"\nport = 8e1 # http\n',
      'key "port": expected an integer from 1 to 65535, found 8e1 (a float)',
    ],
    [
      'ip = "::"\nport = 1\n[tls]\ncert_cache = 5.0\n',
      'key "tls.cert_cache": expected an integer from 1 to 1000000, found 5.0 (a float)',
    ],
    [
      'ip = "::"\nport = 1\nexclude_ports = [22, 80.0]\n',
      'key "exclude_ports": expected an array of integers from 1 to 65535, found 80.0 in it (a float)',
    ],
  ];
  for (const [text, detail] of cases) {
    const error = assertThrows(() => parseConfig(text, FILE), TypeError);
    assertEquals(error.message, `Cannot load config ${FILE}: ${detail}`);
  }
  // Seconds may be fractional.
  assertEquals(parseConfig('ip = "::"\nport = 1\nidle_timeout = 2.5\n', FILE).idleTimeoutMs, 2500);
});
