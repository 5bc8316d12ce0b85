import { assertEquals } from "../../testing/std.ts";
import { findDuplicateKey } from "../../src/config/duplicate_keys.ts";

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
