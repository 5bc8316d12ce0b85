import { assertEquals, assertLessOrEqual } from "../../testing/std.ts";
import { createFlow, encodeRecord, type Flow } from "../../src/record/record.ts";
import {
  extraMembers,
  membersBytesBound,
  recordBytesBound,
  writeRecord,
} from "../../src/record/record_bytes.ts";

const encoder = new TextEncoder();

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces that exercise the decoder's and the escaper's corners. */
const PIECES: readonly number[][] = [
  [0x41],
  [0x22],
  [0x5c],
  [0x00],
  [0x08],
  [0x09],
  [0x0a],
  [0x0c],
  [0x0d],
  [0x1f],
  [0x7f],
  [0xc3, 0xa9], // e acute
  [0xe2, 0x82, 0xac], // euro sign
  [0xe2, 0x80, 0xa8], // U+2028
  [0xef, 0xbb, 0xbf], // BOM
  [0xf0, 0x9f, 0x98, 0x80], // U+1F600
  [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
  [0xc0, 0x80], // overlong
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xe0, 0x9f, 0xbf],
  [0xed, 0xa0, 0x80], // surrogate
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf0, 0x8f, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xf5, 0x80],
  [0xff],
  [0x80],
  [0xbf],
  [0xc3], // truncated
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
];

function payload(next: () => number): Uint8Array {
  const bytes: number[] = [];
  const length = Math.floor(next() * 40);
  for (let i = 0; i < length; i++) {
    if (next() < 0.3) bytes.push(Math.floor(next() * 256));
    else bytes.push(...(PIECES[Math.floor(next() * PIECES.length)] ?? []));
  }
  return new Uint8Array(bytes);
}

function viaBytes(
  flow: Flow,
  seq: number,
  bytes: Uint8Array,
  timeMs: number,
  marks: { silent: boolean; truncated: boolean },
  members: string,
): string {
  const bound = recordBytesBound(flow, bytes.length, members);
  const into = new Uint8Array(bound + 16);
  const end = writeRecord(into, 8, flow, seq, bytes, timeMs, marks, members);
  assertLessOrEqual(end - 8, bound, "within the bound");
  // Compared as bytes: decoding first would hide a raw invalid byte behind its U+FFFD.
  return into.subarray(8, end).toHex();
}

function hexOf(text: string): string {
  return encoder.encode(text).toHex();
}

const FLOWS: readonly Flow[] = [
  createFlow("tcp", { ip: "198.51.100.7", port: 40000 }, { ip: "203.0.113.9", port: 23 }, "s"),
  createFlow("udp", { ip: "2001:db8::1", port: 0 }, { ip: "::1", port: 65535 }, "bench"),
  createFlow(
    "tcp",
    { ip: "127.0.0.1", port: 1 },
    { ip: "127.0.0.1", port: 2 },
    'na"me\\ \u00e9\u2028\ud800\u0001',
  ),
];

Deno.test("writeRecord() writes the UTF-8 bytes of encodeRecord() for 20,000 random payloads", () => {
  const next = random(12);
  for (let i = 0; i < 20_000; i++) {
    const flow = FLOWS[i % FLOWS.length] as Flow;
    const bytes = payload(next);
    const marks = { silent: next() < 0.5, truncated: next() < 0.5 };
    const timeMs = 1_700_000_000_000 + Math.floor(next() * 1e9);
    const seq = 1 + Math.floor(next() * 1000);
    const expected = hexOf(encodeRecord(flow, seq, bytes, timeMs, marks));
    const got = viaBytes(flow, seq, bytes, timeMs, marks, "");
    if (got !== expected) assertEquals(got, expected, `payload ${Array.from(bytes)}`);
  }
});

Deno.test("writeRecord() writes extra fields as encodeRecord() does", () => {
  const flow = FLOWS[0] as Flow;
  const extras: Record<string, unknown>[] = [
    { syn_ttl: 64, syn_window: 65495, syn_options: "2-4-8-1-3", syn_mss: 65495, rtt_us: 12 },
    { syn_ttl: 77, syn_df: true, rtt_us: 0 },
    { tls_sni: null, tls_alpn: ["h2", "http/1.1"], tls_versions: [], ja4: "t13d" },
    { tls_sni: '\u00e9xample.\u2028org"', tls: true, tls_error: "bad\nthing \ud800" },
    { payload: "forged", seq: 9, greeting: "ftp", skipped: undefined, fn: () => 1 },
    { ratio: 0.5, big: 1e21, neg: -3, nan: NaN, nested: { a: [1, { b: "c" }] } },
    {},
  ];
  for (const extra of extras) {
    const members = extraMembers(extra);
    if (members === null) throw new Error(`no members for ${Object.keys(extra)}`);
    const bytes = encoder.encode("GET / HTTP/1.1\r\n\r\n");
    const expected = hexOf(encodeRecord(flow, 1, bytes, 1_700_000_000_123, NOT, extra));
    assertEquals(viaBytes(flow, 1, bytes, 1_700_000_000_123, NOT, members), expected);
  }
});

Deno.test("writeRecord() writes fields of numbers, booleans and strings as they are, as encodeRecord() does", () => {
  const flow = FLOWS[0] as Flow;
  const extras: Record<string, unknown>[] = [
    { syn_ttl: 64, syn_window: 65495, syn_options: "2-4-8-1-3", syn_mss: 65495, rtt_us: 12 },
    { syn_ttl: 77, syn_df: true, syn_options: "", rtt_us: 0, syn_wscale: 14 },
    { tls: true, tls_error: 'bad\nthing \ud800 "q" \\ \u00e9\u2028 \ud83d\ude00' },
    { payload: "forged", seq: 9, greeting: "ftp", skipped: undefined, fn: () => 1 },
    { ratio: 0.5, big: 1e21, neg: -3, nan: NaN, inf: -Infinity, zero: -0, tiny: 5e-324 },
    { max: -Number.MAX_VALUE, min: -2.2250738585072014e-308, "": "empty key", 'x"y': false },
    {},
  ];
  const bytes = encoder.encode("GET / HTTP/1.1\r\n\r\n");
  for (const extra of extras) {
    const bound = membersBytesBound(extra);
    if (bound < 0) throw new Error(`not written as they are: ${Object.keys(extra)}`);
    const total = recordBytesBound(flow, bytes.length, "") + bound;
    const into = new Uint8Array(total + 16);
    const end = writeRecord(into, 8, flow, 1, bytes, 1_700_000_000_123, NOT, extra);
    assertLessOrEqual(end - 8, total, "within the bound");
    const expected = hexOf(encodeRecord(flow, 1, bytes, 1_700_000_000_123, NOT, extra));
    assertEquals(into.subarray(8, end).toHex(), expected);
  }
});

Deno.test("membersBytesBound() leaves objects, null, bigints and odd keys to the text path", () => {
  assertEquals(membersBytesBound({ tls_sni: null }), -1);
  assertEquals(membersBytesBound({ tls_alpn: ["h2"] }), -1);
  assertEquals(membersBytesBound({ big: 1n }), -1);
  assertEquals(membersBytesBound({ "1": 1 }), -1);
  assertEquals(membersBytesBound({ toString: 1 }), -1);
  assertEquals(membersBytesBound({ seq: 2, payload: "x" }), 0);
});

const NOT = { silent: false, truncated: false };

Deno.test("extraMembers() leaves to encodeRecord() keys JavaScript orders or inherits", () => {
  assertEquals(extraMembers({ "1": 1 }), null);
  assertEquals(extraMembers({ toString: 1 }), null);
  assertEquals(extraMembers({ syn_ttl: 64, seq: 2 }), ',"syn_ttl":64');
});

Deno.test("writeRecord() writes odd numbers as JSON.stringify does", () => {
  const flow = FLOWS[0] as Flow;
  for (const timeMs of [0, 999, 1000, 1.5, 1_700_000_000_000.25]) {
    for (const seq of [1, 10, 4294967296]) {
      const expected = hexOf(encodeRecord(flow, seq, new Uint8Array(0), timeMs, NOT));
      assertEquals(viaBytes(flow, seq, new Uint8Array(0), timeMs, NOT, ""), expected);
    }
  }
});
