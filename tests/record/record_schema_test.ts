import { assert, assertEquals } from "../../testing/std.ts";
import { createFlow, encodeRecord, type Flow } from "../../src/record/record.ts";
import { RECORD_FIELDS, validateRecord } from "../_schema.ts";
import schema from "../../schema/record.schema.json" with { type: "json" };

const NOT_SILENT = { silent: false, truncated: false };

function v4Flow(): Flow {
  return createFlow(
    "tcp",
    { ip: "198.51.100.7", port: 40000 },
    { ip: "203.0.113.9", port: 23 },
    "s1",
  );
}

function v6Flow(): Flow {
  return createFlow("udp", { ip: "2001:db8::1", port: 5353 }, { ip: "::1", port: 53 }, "s2");
}

/** A valid record as an object, to break one field at a time. */
function sample(): Record<string, unknown> {
  return JSON.parse(
    encodeRecord(v4Flow(), 1, new Uint8Array([0x41]), 1_700_000_000_123, NOT_SILENT),
  );
}

Deno.test("encodeRecord() output matches the schema: normal, silent, truncated", () => {
  const payload = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const now = Date.now();
  const lines = [
    encodeRecord(v4Flow(), 1, payload, now, NOT_SILENT),
    encodeRecord(v4Flow(), 1, new Uint8Array(0), now, { silent: true, truncated: false }),
    encodeRecord(v4Flow(), 7, payload, now, { silent: false, truncated: true }),
    encodeRecord(v6Flow(), 2, new Uint8Array([0xef, 0xbb, 0xbf, 0xff, 0x00, 0x1b]), 0, NOT_SILENT),
    encodeRecord(v4Flow(), 1, new Uint8Array(256).map((_, i) => i), now, NOT_SILENT),
    encodeRecord(v4Flow(), 1, payload, now, NOT_SILENT, {
      tls_sni: "example.org",
      ja4: "t13d1516h2_8daaf6152771_e5627efa2ab1",
    }),
  ];
  for (const line of lines) {
    assertEquals(validateRecord(line), [], line);
    assertEquals(validateRecord(JSON.parse(line)), [], line);
  }
});

Deno.test("validateRecord() reports a missing or mistyped field", () => {
  const missing = sample();
  delete missing["session_id"];
  assert(validateRecord(missing).some((p) => p.includes("session_id")), "missing session_id");
  const cases: [string, unknown][] = [
    ["timestamp", 1_700_000_000.5],
    ["timestamp", "1700000000"],
    ["payload", null],
    ["payload_hex", "ABCD"],
    ["payload_hex", "abc"],
    ["source_ip", "::ffff:1.2.3.4"],
    ["source_ip", "localhost"],
    ["source_port", 65536],
    ["destination_port", -1],
    ["session_id", "0190c1a2-3b4c-4d5e-8f60-718293a4b5c6"], // a UUIDv4
    ["transport", "sctp"],
    ["sensor_name", ""],
    ["seq", 0],
    ["timestamp_ms", 1.5],
    ["community_id", "1:abc"],
    ["silent", "false"],
    ["truncated", 0],
  ];
  for (const [field, value] of cases) {
    const record = { ...sample(), [field]: value };
    const problems = validateRecord(record);
    assert(
      problems.some((p) => p.includes(`/${field}`)),
      `${field} = ${JSON.stringify(value)}: ${JSON.stringify(problems)}`,
    );
  }
});

Deno.test("validateRecord() allows additional fields after the standard ones", () => {
  assertEquals(validateRecord({ ...sample(), x_origin: { feed: "example" }, note: 1 }), []);
});

Deno.test("validateRecord() reports fields out of order", () => {
  const { timestamp, ...rest } = sample();
  const problems = validateRecord({ ...rest, timestamp });
  assertEquals(problems.length, 1, JSON.stringify(problems));
  assert(problems[0]?.includes("out of order"));
});

Deno.test("validateRecord() reports timestamp disagreeing with timestamp_ms", () => {
  const problems = validateRecord({ ...sample(), timestamp: 1_700_000_001 });
  assertEquals(problems, [
    "/timestamp: 1700000001 is not timestamp_ms 1700000000123 in whole seconds",
  ]);
});

Deno.test("validateRecord() reports a silent record that carries bytes or is truncated", () => {
  for (const change of [{ payload: "A" }, { payload_hex: "41" }, { truncated: true }]) {
    const record = { ...sample(), payload: "", payload_hex: "", silent: true, ...change };
    assert(validateRecord(record).length > 0, JSON.stringify(change));
  }
  assertEquals(validateRecord({ ...sample(), payload: "", payload_hex: "", silent: true }), []);
});

Deno.test("validateRecord() reports what is not a record", () => {
  for (const value of [null, 1, "not json", "[]", [], {}]) {
    assert(validateRecord(value).length > 0, JSON.stringify(value));
  }
});

Deno.test("the schema describes every field, requires the standard ones and allows more", () => {
  assertEquals(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assertEquals(schema.required, [...RECORD_FIELDS]);
  // The standard fields first, in order; optional extras (such as UDP's datagram_length) after.
  assertEquals(Object.keys(schema.properties).slice(0, RECORD_FIELDS.length), [...RECORD_FIELDS]);
  assertEquals(schema.additionalProperties, true);
  assert(schema.description.includes("additionalProperties"));
  for (const [name, property] of Object.entries(schema.properties)) {
    assert(property.description.length > 0, `${name} has a description`);
    assert(
      "type" in property || "$ref" in property || "enum" in property || "const" in property,
      `${name} has a type`,
    );
  }
});
