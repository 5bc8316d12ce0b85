import { assertEquals } from "../../testing/std.ts";
import {
  type DuplicateKey,
  findDuplicateKey,
  isFloatLiteral,
  keyPartName,
  scanToml,
} from "../../src/config/duplicate_keys.ts";

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

Deno.test("keyPartName() decodes a basic string's escapes and a literal string as TOML 1.0 does", () => {
  const cases: [string, string][] = [
    ["port", "port"],
    ['"port"', "port"],
    ["'port'", "port"],
    ['"po\\u0072t"', "port"],
    ['"po\\U00000072t"', "port"],
    ['"\\U0001F600"', "\u{1F600}"],
    ['"a\\tb\\nc\\rd\\be\\ff"', "a\tb\nc\rd\be\ff"],
    ['"say \\"hi\\""', 'say "hi"'],
    ['"back\\\\slash"', "back\\slash"],
    // An escaped backslash followed by "u0072" is a backslash and the text u0072.
    ['"\\\\u0072"', "\\u0072"],
    // A literal string has no escapes.
    ["'po\\u0072t'", "po\\u0072t"],
    // Escapes TOML 1.0 does not know, and a surrogate, stay as written (the parser refuses them).
    ['"po\\x72t"', "po\\x72t"],
    ['"a\\eb"', "a\\eb"],
    ['"\\uD800"', "\\uD800"],
  ];
  for (const [part, name] of cases) assertEquals(keyPartName(part), name, part);
});

Deno.test("findDuplicateKey() compares quoted keys by their decoded names", () => {
  const cases: [string, DuplicateKey][] = [
    ['port = 1\n"po\\u0072t" = 2\n', { key: "port", firstLine: 1, secondLine: 2 }],
    ['"po\\U00000072t" = 1\nport = 2\n', { key: "port", firstLine: 1, secondLine: 2 }],
    ["'port' = 1\n\"p\\u006Frt\" = 2\n", { key: "port", firstLine: 1, secondLine: 2 }],
    ['[tls]\nenabled = true\n"en\\u0061bled" = false\n', {
      key: "tls.enabled",
      firstLine: 2,
      secondLine: 3,
    }],
    ['[tls]\ncert_cache = 1\n["t\\u006cs"]\n', {
      key: "tls",
      firstLine: 1,
      secondLine: 3,
      table: true,
    }],
    ['tls = {enabled = true, "en\\u0061bled" = false}\n', {
      key: "tls.enabled",
      firstLine: 1,
      secondLine: 1,
    }],
    ['"t\\u006cs".enabled = true\n[tls]\ncert_cache = 1\n', {
      key: "tls",
      firstLine: 1,
      secondLine: 2,
    }],
    ['a = 1\n"\\u0061" = 2\n', { key: "a", firstLine: 1, secondLine: 2 }],
  ];
  for (const [text, duplicate] of cases) assertEquals(findDuplicateKey(text), duplicate, text);
  // Different names stay different: a literal string keeps its backslash, an escaped backslash
  // is not an escape.
  assertEquals(findDuplicateKey("port = 1\n'po\\u0072t' = 2\n"), null);
  assertEquals(findDuplicateKey('port = 1\n"\\\\u0070ort" = 2\n'), null);
  assertEquals(findDuplicateKey('"say \\"x\\"" = 1\n\'say "x"\' = 2\n'), {
    key: 'say "x"',
    firstLine: 1,
    secondLine: 2,
  });
});

Deno.test("scanToml() keeps a value's text under its decoded key, so 80.0 is seen as a float", () => {
  const scan = scanToml('"po\\u0072t" = 80.0\n["t\\u006cs"]\n"cert_cache" = 5.0\n');
  assertEquals(scan.duplicate, null);
  assertEquals(scan.values.get("port"), "80.0");
  assertEquals(scan.values.get("tls.cert_cache"), "5.0");
});
