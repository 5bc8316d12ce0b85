import { assertEquals } from "../../testing/std.ts";
import { findDuplicateKey, isFloatLiteral, scanToml } from "../../src/config/duplicate_keys.ts";

Deno.test("findDuplicateKey() finds a key set twice, with both lines", () => {
  assertEquals(findDuplicateKey('ip = "::"\nport = 5555\n\nport = 8080\n'), {
    key: "port",
    firstLine: 2,
    secondLine: 4,
  });
  assertEquals(findDuplicateKey("[tls]\nenabled = true\ncert_cache = 5\nenabled = false\n"), {
    key: "tls.enabled",
    firstLine: 2,
    secondLine: 4,
  });
  // Quoted and bare spellings of one key, and a dotted key against its table.
  assertEquals(findDuplicateKey('port = 1\n"port" = 2\n')?.key, "port");
  assertEquals(findDuplicateKey("tls.enabled = true\n[udp]\nx = 1\n[tls]\nenabled = false\n"), {
    key: "tls.enabled",
    firstLine: 1,
    secondLine: 5,
  });
});

Deno.test("findDuplicateKey() accepts one key in several tables, and the shipped config", () => {
  assertEquals(
    findDuplicateKey("enabled = 1\n[udp]\nenabled = false\n[tls]\nenabled = true\n"),
    null,
  );
  assertEquals(
    findDuplicateKey(Deno.readTextFileSync(new URL("../../config.toml", import.meta.url))),
    null,
  );
  assertEquals(findDuplicateKey(""), null);
});

Deno.test("findDuplicateKey() does not read keys inside multi-line values or comments", () => {
  const text = [
    'name = """',
    "port = 1",
    'name = "x"',
    '"""',
    "exclude_ports = [",
    "  22, # port = 2",
    "  25,",
    "]",
    "# port = 3",
    "note = 'port = 4' # port = 5",
    "port = 5555",
    "literal = '''",
    "port = 6",
    "'''",
  ].join("\n");
  assertEquals(findDuplicateKey(text), null);
});

Deno.test("findDuplicateKey() treats each [[array]] element as its own table", () => {
  assertEquals(findDuplicateKey("[[a]]\nx = 1\n[[a]]\nx = 2\n"), null);
  assertEquals(findDuplicateKey("[[a]]\nx = 1\nx = 2\n"), {
    key: "a.x",
    firstLine: 2,
    secondLine: 3,
  });
});

Deno.test("findDuplicateKey() reads inside inline tables, also in arrays", () => {
  assertEquals(findDuplicateKey("tls = {enabled = true, enabled = false}\n"), {
    key: "tls.enabled",
    firstLine: 1,
    secondLine: 1,
  });
  assertEquals(findDuplicateKey('a = {b = {c = 1, "c" = 2}}\n')?.key, "a.b.c");
  assertEquals(findDuplicateKey("a = [{b = 1, b = 2}]\n")?.key, "a.b");
  assertEquals(findDuplicateKey("a = [{b = 1}, {b = 2}]\n"), null);
  assertEquals(findDuplicateKey('a = {s = "x, s = y", t = [1, {u = 2}]}\n'), null);
});

Deno.test("findDuplicateKey() finds tables defined twice, by headers, dotted keys or inline tables", () => {
  assertEquals(findDuplicateKey("[tls]\nenabled = true\n[udp]\n[tls]\ncert_cache = 5\n"), {
    key: "tls",
    firstLine: 1,
    secondLine: 4,
    table: true,
  });
  assertEquals(findDuplicateKey("tls.enabled = true\n[tls]\ncert_cache = 5\n"), {
    key: "tls",
    firstLine: 1,
    secondLine: 2,
  });
  assertEquals(findDuplicateKey("tls = {enabled = true}\ntls.cert_cache = 5\n"), {
    key: "tls",
    firstLine: 1,
    secondLine: 2,
  });
  assertEquals(findDuplicateKey("tls = {enabled = true}\n[tls]\n")?.key, "tls");
  assertEquals(findDuplicateKey("[a.b]\nx = 1\n[a]\nb.y = 2\n")?.key, "a.b");
  // A super-table may be defined once after its sub-table; a sub-table after its dotted keys'
  // siblings is fine too.
  assertEquals(findDuplicateKey("[a.b]\nx = 1\n[a]\ny = 2\n"), null);
  assertEquals(findDuplicateKey("[a]\nb.c = 1\nd.e = 2\n"), null);
});

Deno.test("scanToml() keeps each value as written, without its comment", () => {
  const { values } = scanToml(
    'port = 80.0 # http\n[tls]\ncert_cache = 5\nx = "a # b"\nports = [\n  22, # ssh\n  25,\n]\n' +
      "budget = {limit = 1e3}\n",
  );
  assertEquals(values.get("port"), "80.0");
  assertEquals(values.get("tls.cert_cache"), "5");
  assertEquals(values.get("tls.x"), '"a # b"');
  assertEquals(values.get("tls.ports"), "[\n  22, \n  25,\n]");
  assertEquals(values.get("tls.budget.limit"), "1e3");
});

Deno.test("isFloatLiteral() tells floats from integers as TOML writes them", () => {
  for (const float of ["80.0", "8e1", "8E+1", "-1.5", "inf", "-nan", "1_000.5"]) {
    assertEquals(isFloatLiteral(float), true, float);
  }
  for (const integer of ["80", "+80", "1_000", "0x1e", "0o17", "0b1", '"80.0"', "[80.0]"]) {
    assertEquals(isFloatLiteral(integer), false, integer);
  }
});
