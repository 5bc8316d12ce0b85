import { assert, assertEquals, assertMatch, assertNotEquals } from "../../testing/std.ts";
import { createFlow, encodeRecord, type Flow, hex, lossyUtf8 } from "../../src/record/record.ts";
import { communityId, IPPROTO } from "../../src/record/community_id.ts";
import { RECORD_FIELDS } from "../_schema.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const NOT_SILENT = { silent: false, truncated: false };

function flow(): Flow {
  return createFlow(
    "tcp",
    { ip: "198.51.100.7", port: 40000 },
    { ip: "203.0.113.9", port: 23 },
    "sensor-test",
  );
}

function parse(line: string): Record<string, unknown> {
  return JSON.parse(line) as Record<string, unknown>;
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

Deno.test("encodeRecord() writes Spip's 8 fields first, then Spip's extras, in order", () => {
  const line = encodeRecord(flow(), 1, bytes(0x41), 1_700_000_000_123, NOT_SILENT);
  assertEquals(Object.keys(parse(line)), [...RECORD_FIELDS]);
});

Deno.test("encodeRecord() appends extra fields after the standard ones", () => {
  const line = encodeRecord(flow(), 1, bytes(), 0, NOT_SILENT, { tls_sni: "example.org" });
  const record = parse(line);
  assertEquals(Object.keys(record), [...RECORD_FIELDS, "tls_sni"]);
  assertEquals(record["tls_sni"], "example.org");
});

Deno.test("encodeRecord() never lets an extra field replace a standard one", () => {
  const extra = { payload: "forged", destination_port: 1, seq: 99, tls_sni: "example.org" };
  const record = parse(encodeRecord(flow(), 2, bytes(0x41), 0, NOT_SILENT, extra));
  assertEquals(Object.keys(record), [...RECORD_FIELDS, "tls_sni"]);
  assertEquals(record["payload"], "A");
  assertEquals(record["destination_port"], flow().destinationPort);
  assertEquals(record["seq"], 2);
});

Deno.test("encodeRecord() carries the flow, seq, marks and both timestamps", () => {
  const f = flow();
  const timeMs = 1_700_000_000_999;
  const record = parse(encodeRecord(f, 3, bytes(0x68, 0x69), timeMs, NOT_SILENT));
  assertEquals(record, {
    timestamp: 1_700_000_000,
    payload: "hi",
    payload_hex: "6869",
    source_ip: "198.51.100.7",
    source_port: 40000,
    destination_ip: "203.0.113.9",
    destination_port: 23,
    session_id: f.sessionId,
    transport: "tcp",
    sensor_name: "sensor-test",
    seq: 3,
    timestamp_ms: timeMs,
    community_id: f.communityId,
    silent: false,
    truncated: false,
  });
});

Deno.test("encodeRecord() writes timestamp as whole epoch seconds, rounded down", () => {
  for (const timeMs of [0, 999, 1000, 1_700_000_000_000, 1_700_000_000_500, 1_700_000_000_999]) {
    const record = parse(encodeRecord(flow(), 1, bytes(), timeMs, NOT_SILENT));
    assert(Number.isInteger(record["timestamp"]), `timestamp for ${timeMs} is an integer`);
    assertEquals(record["timestamp"], Math.floor(timeMs / 1000));
    assertEquals(record["timestamp_ms"], timeMs);
  }
  // The text itself has no fraction or exponent.
  const line = encodeRecord(flow(), 1, bytes(), 1_700_000_000_999, NOT_SILENT);
  assert(line.startsWith('{"timestamp":1700000000,'), line);
});

Deno.test("encodeRecord() marks silent and truncated records", () => {
  const silent = parse(encodeRecord(flow(), 1, bytes(), 5000, { silent: true, truncated: false }));
  assertEquals([silent["silent"], silent["truncated"]], [true, false]);
  assertEquals([silent["payload"], silent["payload_hex"]], ["", ""]);
  const truncated = parse(
    encodeRecord(flow(), 9, bytes(0x78), 5000, { silent: false, truncated: true }),
  );
  assertEquals([truncated["silent"], truncated["truncated"]], [false, true]);
});

Deno.test("lossyUtf8() keeps a leading byte order mark as U+FEFF", () => {
  assertEquals(lossyUtf8(bytes(0xef, 0xbb, 0xbf, 0x41)), "\uFEFFA");
  assertEquals(lossyUtf8(bytes(0xef, 0xbb, 0xbf)), "\uFEFF");
  assertEquals(lossyUtf8(bytes(0x41, 0xef, 0xbb, 0xbf)), "A\uFEFF");
  const record = parse(encodeRecord(flow(), 1, bytes(0xef, 0xbb, 0xbf, 0x7b), 0, NOT_SILENT));
  assertEquals(record["payload"], "\uFEFF{");
  assertEquals(record["payload_hex"], "efbbbf7b");
});

Deno.test("lossyUtf8() replaces each maximal invalid subpart with one U+FFFD, as Rust does", () => {
  // Expected values follow the WHATWG decoder and Rust's String::from_utf8_lossy, which agree:
  // a truncated but otherwise valid prefix is one U+FFFD; a byte that can never start or continue
  // the sequence at hand is one U+FFFD on its own.
  const cases: [string, number[], string][] = [
    [
      "valid multi-byte",
      [0x68, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80],
      "h\u00e9\u20ac\u{1F600}",
    ],
    ["truncated 3-byte sequence at the end", [0x61, 0xe2, 0x82], "a\uFFFD"],
    ["truncated 3-byte sequence before ASCII", [0x61, 0xe2, 0x82, 0x62], "a\uFFFDb"],
    ["truncated 4-byte sequence (Rust docs example)", [
      ...new TextEncoder().encode("Hello "),
      0xf0,
      0x90,
      0x80,
      ...new TextEncoder().encode("World"),
    ], "Hello \uFFFDWorld"],
    ["overlong 2-byte slash C0 AF", [0xc0, 0xaf], "\uFFFD\uFFFD"],
    ["overlong 3-byte slash E0 80 AF", [0xe0, 0x80, 0xaf], "\uFFFD\uFFFD\uFFFD"],
    ["overlong 4-byte F0 80 80 AF", [0xf0, 0x80, 0x80, 0xaf], "\uFFFD\uFFFD\uFFFD\uFFFD"],
    ["UTF-16 surrogate ED A0 80", [0xed, 0xa0, 0x80], "\uFFFD\uFFFD\uFFFD"],
    ["surrogate pair ED A0 80 ED B0 80", [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80], "\uFFFD".repeat(6)],
    ["lone continuation byte", [0x80], "\uFFFD"],
    ["continuation bytes between ASCII", [0x41, 0x80, 0xbf, 0x42], "A\uFFFD\uFFFDB"],
    ["above U+10FFFF F4 90 80 80", [0xf4, 0x90, 0x80, 0x80], "\uFFFD\uFFFD\uFFFD\uFFFD"],
    ["bytes FE FF", [0xfe, 0xff], "\uFFFD\uFFFD"],
    ["lead byte followed by a new lead", [0xe2, 0xf0, 0x9f, 0x98, 0x80], "\uFFFD\u{1F600}"],
  ];
  for (const [name, input, expected] of cases) {
    assertEquals(lossyUtf8(new Uint8Array(input)), expected, name);
  }
});

Deno.test("encodeRecord() escapes control characters and the payload round-trips", () => {
  const text = "a\u0000b\u001b[31mc\r\nd\te\u007f\u2028";
  const payload = new TextEncoder().encode(text);
  const line = encodeRecord(flow(), 1, payload, 0, NOT_SILENT);
  for (let i = 0; i < line.length; i++) {
    assert(line.charCodeAt(i) >= 0x20, `raw control character at ${i} in ${line}`);
  }
  assert(line.includes(String.raw`a\u0000b\u001b[31mc\r\nd\te`), line);
  const record = parse(line);
  assertEquals(record["payload"], text);
  assertEquals(record["payload_hex"], hex(payload));
});

Deno.test("payload_hex is lowercase, two digits a byte, and exact for invalid UTF-8", () => {
  assertEquals(hex(bytes(0x00, 0x0f, 0xab, 0xcd, 0xef, 0xff)), "000fabcdefff");
  assertEquals(hex(bytes()), "");
  const all = new Uint8Array(256).map((_, i) => i);
  const record = parse(encodeRecord(flow(), 1, all, 0, NOT_SILENT));
  const text = record["payload_hex"];
  assertEquals(typeof text, "string");
  assertMatch(text as string, /^[0-9a-f]{512}$/);
  assertEquals(Uint8Array.fromHex(text as string), all);
});

Deno.test("createFlow() gives a UUIDv7 session id carrying the current time", () => {
  const before = Date.now();
  const f = flow();
  const after = Date.now();
  assertMatch(f.sessionId, UUID_V7);
  const ms = parseInt(f.sessionId.replaceAll("-", "").slice(0, 12), 16);
  assert(ms >= before && ms <= after, `${ms} within [${before}, ${after}]`);
});

Deno.test("createFlow() session ids are unique and sort by creation time", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(flow().sessionId);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  assertEquals(new Set(ids).size, ids.length);
  assertEquals([...ids].sort(), ids);
});

Deno.test("createFlow() computes the flow's Community ID for its transport", () => {
  const source = { ip: "192.168.1.52", port: 54585 };
  const destination = { ip: "8.8.8.8", port: 53 };
  const tcp = createFlow("tcp", source, destination, "s");
  const udp = createFlow("udp", source, destination, "s");
  assertEquals(tcp.communityId, communityId(IPPROTO.TCP, "192.168.1.52", 54585, "8.8.8.8", 53));
  // The spec's published UDP baseline vector.
  assertEquals(udp.communityId, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  assertNotEquals(tcp.communityId, udp.communityId);
  assertEquals(
    [udp.transport, udp.sourceIp, udp.sourcePort, udp.destinationIp, udp.destinationPort],
    ["udp", "192.168.1.52", 54585, "8.8.8.8", 53],
  );
});
