import { assertEquals, assertGreater } from "../../testing/std.ts";
import { readRecord, type ReportRecord } from "../../src/report/record_fields.ts";
import { dottedQuadValue, RecordScanner } from "../../src/report/record_scanner.ts";
import { randomSource, writeRecordsFile } from "../../testing/report_records.ts";

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

/** Today's answer: the line decoded lossily, `JSON.parse`, `readRecord`; null for a bad line. */
function parsed(bytes: Uint8Array): ReportRecord | null {
  try {
    return readRecord(JSON.parse(decoder.decode(bytes)));
  } catch {
    return null;
  }
}

/**
 * Scans a line at several offsets of a larger buffer (unaligned too), with other bytes around it
 * that must not be read, and asserts the scanner's answer equals `JSON.parse` + `readRecord`.
 */
function assertSameAnswer(scanner: RecordScanner, line: Uint8Array, name: string): void {
  const expected = parsed(line);
  for (const offset of [0, 1, 3]) {
    const buffer = new Uint8Array(offset + line.length + 8).fill(0x22);
    buffer.set(line, offset);
    buffer[offset + line.length] = 0x7d;
    const got = scanner.scan(buffer, offset, offset + line.length);
    assertEquals(got, expected, `${name} (offset ${offset})`);
  }
}

const BASE = {
  timestamp: 1796083200,
  payload: "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
  payload_hex: "474554202f20485454502f312e310d0a",
  source_ip: "198.51.100.7",
  source_port: 40000,
  destination_ip: "192.0.2.10",
  destination_port: 80,
  session_id: "01a22ee6-b273-7000-8000-000000000000",
  seq: 1,
  silent: false,
};
const base = JSON.stringify(BASE).slice(1, -1);

/** Valid JSON lines, records or not, each of which must get JSON.parse's answer. */
const TRICKY_VALID: string[] = [
  `{${base}}`,
  `  ${JSON.stringify(BASE, null, " \t").replaceAll("\n", "\r")} \r `,
  `{${base},"timestamp":1796083300}`,
  `{${base},"source_ip":"203.0.113.9","source_ip":"198.51.100.8"}`,
  `{${base},"destination_port":"80"}`,
  `{${base},"destination_port":443,"destination_port":80.0}`,
  `{${base},"destination_port":8e1}`,
  `{${base},"destination_port":-0}`,
  `{${base},"destination_port":-1}`,
  `{${base},"destination_port":65536}`,
  `{${base},"destination_port":80.5}`,
  `{${base},"destination_port":0.8E+2}`,
  `{${base},"destination_port":800e-1}`,
  `{${base},"timestamp":1e3}`,
  `{${base},"timestamp":1.7960832005e9}`,
  `{${base},"timestamp":-0}`,
  `{${base},"timestamp":-1}`,
  `{${base},"timestamp":1e400}`,
  `{${base},"timestamp":12345678901234567890}`,
  `{${base},"timestamp":null}`,
  `{${base},"source_ip":""}`,
  `{${base},"source_ip":"\\u0031\\u0039\\u0038.51.100.7"}`,
  `{${base},"source_ip":"\\ud800"}`,
  `{${base},"source_ip":"\\ud83d\\ude00 \\"quoted\\" \\\\ \\/ \\b\\f\\n\\r\\t"}`,
  `{${base},"source_ip":"caf\u00e9 \u2603 \u{1f600}"}`,
  `{${base},"source_i\\u0070":"203.0.113.1"}`,
  `{${base},"sourc\\u0065_ip":5}`,
  `{${base},"seq":2}`,
  `{${base},"seq":1.0}`,
  `{${base},"seq":"1"}`,
  `{${base},"seq":null}`,
  `{${base},"seq":[1]}`,
  `{${base},"silent":true}`,
  `{${base},"silent":"true"}`,
  `{${base},"transport":"udp"}`,
  `{${base},"transport":"\\u0075dp"}`,
  `{${base},"transport":"UDP"}`,
  `{${base},"tls":true}`,
  `{${base},"ja4":"t13d1516h2_8daaf6152771_e5627efa2ab1","tls_sni":"example.com"}`,
  `{${base},"ja4":12,"tls_sni":null}`,
  `{${base},"ja4":true,"ja3":"771,4865"}`,
  `{${base},"ja3_hash":false,"ja3":"771,4865"}`,
  `{${base},"ja3_hash":null,"ja3":1.5e2}`,
  `{${base},"ja3_hash":"${"a".repeat(300)}"}`,
  `{${base},"ja3_hash":"${"\u00e9".repeat(300)}"}`,
  `{${base},"ja3_hash":"${"\\ud83d\\ude00".repeat(200)}"}`,
  `{${base},"hassh":"ec7378c1a92f5a8dde7e8b7a1ddf33d1","greeting":"ssh"}`,
  `{${base},"seq":2,"greeting":"ssh"}`,
  `{${base},"syn_ttl":64,"syn_window":65535,"syn_options":"mss,sok","syn_mss":1460,` +
  `"syn_wscale":7,"syn_df":true}`,
  `{${base},"syn_ttl":"64","syn_window":6.5535e4,"syn_df":false}`,
  `{${base},"syn_ttl":null,"syn_df":"yes","syn_mss":true}`,
  `{${base},"syn_options":"${"x".repeat(100)}"}`,
  `{${base},"payload":"SSH-2.0-Go\\r\\n","payload_hex":"5353482d"}`,
  `{${base},"payload":"SSH-2.0-Go\\r","payload_hex":"5353482d"}`,
  `{${base},"payload":"hello\\u000Aworld","payload_hex":"68656c6c6f"}`,
  `{${base},"payload":"hello\\u000aworld","payload_hex":"68656c6c6f"}`,
  `{${base},"payload":"a\\rb\\nc","payload_hex":"61"}`,
  `{${base},"payload":"\\u0000\\u0001binary","payload_hex":"000162696e617279"}`,
  `{${base},"payload":"","payload_hex":""}`,
  `{${base},"payload":"x","payload_hex":"16030100d7"}`,
  `{${base},"payload":"x","payload_hex":"\\u0031\\u0036\\u0030\\u0033\\u0030\\u0031"}`,
  `{${base},"payload":"x","payload_hex":"${"ab".repeat(40)}"}`,
  `{${base},"payload":"\u00e9\u00e9\u00e9","payload_hex":"c3a9"}`,
  `{${base},"payload":"GET /${"a".repeat(3000)} HTTP/1.1\\r\\n","payload_hex":"47"}`,
  `{${base},"payload":"${"printable ".repeat(40)}","payload_hex":"70"}`,
  `{${base},"payload":5,"payload_hex":"70"}`,
  `{${base},"payload_hex":null}`,
  `{${base},"tls_alpn":["h2","http/1.1"],"tls_versions":[],"x":{"a":[1,{"b":null}],"c":{}}}`,
  `{${base},"x":${"[".repeat(100)}${"]".repeat(100)}}`,
  `{${base},"x":${'{"a":'.repeat(100)}1${"}".repeat(100)}}`,
  `{${base},"__proto__":{"source_ip":"x"}}`,
  `{${base},"":"empty key","\u00e9":"\u00e9"}`,
  `{${base},"x":"\u007f raw DEL is allowed"}`,
  "{}",
  "[]",
  "[1,2,3]",
  '"a string"',
  "42",
  "-0.5e-7",
  "true",
  "null",
  ' {"timestamp":1,"source_ip":"a","destination_port":0} ',
];

/** Lines JSON.parse rejects (after lossy decoding): each must be a bad line. */
const TRICKY_INVALID: string[] = [
  `{${base}`,
  `{${base}}}`,
  `{${base}} x`,
  `{${base},}`,
  `{,${base}}`,
  `{${base},,"a":1}`,
  `{${base} "a":1}`,
  `{${base},"a"}`,
  `{${base},"a":}`,
  `{${base},"a" 1}`,
  `{${base},a:1}`,
  `{${base},'a':1}`,
  `{${base},"a":01}`,
  `{${base},"a":-}`,
  `{${base},"a":1.}`,
  `{${base},"a":.5}`,
  `{${base},"a":1e}`,
  `{${base},"a":1e+}`,
  `{${base},"a":+1}`,
  `{${base},"a":0x10}`,
  `{${base},"a":NaN}`,
  `{${base},"a":Infinity}`,
  `{${base},"a":tru}`,
  `{${base},"a":truex}`,
  `{${base},"a":nul}`,
  `{${base},"a":True}`,
  `{${base},"a":"tab\there"}`,
  `{${base},"a":"nul\u0000here"}`,
  `{${base},"a":"bad \\x escape"}`,
  `{${base},"a":"bad \\u12g4 escape"}`,
  `{${base},"a":"short \\u12"}`,
  `{${base},"a":"ends with a backslash\\`,
  `{${base},"a":"unterminated`,
  `{${base},"a":[1,2,]}`,
  `{${base},"a":[1 2]}`,
  `{${base},"a":{"b":1,}}`,
  `{${base},"a":{"b"}}`,
  `{${base},"a":[}`,
  `{${base},"a":${"[".repeat(100)}${"]".repeat(99)}}`,
  `{${base},"k\u0001ey":1}`,
  `{${base},"a":1}\u00a0`,
  `\ufeff{${base}}`,
  `{${base}}\u2028`,
  "",
  " ",
  "{",
  "}",
  '{"',
  '{"a"',
  '{"a":',
  "not json",
];

Deno.test("record scanner: tricky valid lines get JSON.parse + readRecord's answer", () => {
  const scanner = new RecordScanner();
  let records = 0;
  for (const line of TRICKY_VALID) {
    JSON.parse(line); // each is valid JSON
    assertSameAnswer(scanner, encoder.encode(line), line.slice(0, 200));
    if (parsed(encoder.encode(line)) !== null) records++;
  }
  assertGreater(records, 40);
});

Deno.test("record scanner: every invalid line is bad", () => {
  const scanner = new RecordScanner();
  for (const line of TRICKY_INVALID) {
    const bytes = encoder.encode(line);
    assertEquals(parsed(bytes), null, `JSON.parse rejects ${line.slice(0, 80)}`);
    assertSameAnswer(scanner, bytes, line.slice(0, 200));
  }
});

Deno.test("record scanner: invalid UTF-8 inside strings decodes lossily, outside is bad", () => {
  const scanner = new RecordScanner();
  const cases: number[][] = [
    [0xff],
    [0xc3],
    [0xe2, 0x82],
    [0xf0, 0x9f, 0x98],
    [0xed, 0xa0, 0x80],
    [0xc0, 0xaf],
    [0xef, 0xbb, 0xbf],
    [0x80, 0x80, 0x41],
  ];
  for (const bad of cases) {
    for (const field of ["source_ip", "ja4", "tls_sni", "payload", "payload_hex", "syn_options"]) {
      const head = encoder.encode(`{${base},"${field}":"a`);
      const line = new Uint8Array([...head, ...bad, ...encoder.encode('b\\n"}')]);
      assertSameAnswer(scanner, line, `${field} with ${bad}`);
    }
    const outside = new Uint8Array([...encoder.encode(`{${base},"a":1`), ...bad, 0x7d]);
    assertSameAnswer(scanner, outside, `outside a string: ${bad}`);
    const key = new Uint8Array([
      ...encoder.encode(`{${base},"`),
      ...bad,
      ...encoder.encode('":1}'),
    ]);
    assertSameAnswer(scanner, key, `in a key: ${bad}`);
  }
});

const MUTATION_BYTES = encoder.encode('"\\{}[],:0-.eE+ tfnu\u00e9x\t\r\u0001');

Deno.test("record scanner: generated records and their mutations get JSON.parse + readRecord's answer", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await writeRecordsFile(path, { bytes: 600_000, seed: 11 });
    const lines = (await Deno.readFile(path)).reduce<number[][]>((acc, b) => {
      if (b === 0x0a) acc.push([]);
      else acc[acc.length - 1]?.push(b);
      return acc;
    }, [[]]).filter((l) => l.length > 0).map((l) => new Uint8Array(l));
    assertGreater(lines.length, 800);
    const scanner = new RecordScanner();
    const random = randomSource(5);
    let bad = 0;
    let mutated = 0;
    for (const line of lines) {
      assertSameAnswer(scanner, line, decoder.decode(line).slice(0, 200));
      // Three mutations each: a byte replaced, a byte inserted, the line cut short.
      const at = Math.floor(random() * line.length);
      const pick = MUTATION_BYTES[Math.floor(random() * MUTATION_BYTES.length)] as number;
      const replaced = line.slice();
      replaced[at] = pick;
      const inserted = new Uint8Array([...line.subarray(0, at), pick, ...line.subarray(at)]);
      const cut = line.subarray(0, at);
      for (const variant of [replaced, inserted, cut]) {
        if (variant.length === 0) continue;
        mutated++;
        if (parsed(variant) === null) bad++;
        assertSameAnswer(scanner, variant, decoder.decode(variant).slice(0, 200));
      }
    }
    // Both answers occur often among the mutations.
    assertGreater(bad, mutated / 4);
    assertGreater(mutated - bad, mutated / 10);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("record scanner: every byte value at every position of a four-byte word inside strings", () => {
  const scanner = new RecordScanner();
  for (let value = 0; value < 256; value++) {
    for (let shift = 0; shift < 8; shift++) {
      for (const field of ["source_ip", "session_id"]) {
        const head = encoder.encode(`{${base},"${field}":"${"a".repeat(shift)}`);
        const line = new Uint8Array([...head, value, ...encoder.encode('bcdefghijk"}')]);
        assertSameAnswer(scanner, line, `byte ${value} after ${shift} bytes in ${field}`);
      }
    }
  }
});

Deno.test("dottedQuadValue: a plain dotted quad gives its address, any other text -1", () => {
  const encoder = new TextEncoder();
  const value = (text: string) => {
    const bytes = encoder.encode(` ${text} `);
    return dottedQuadValue(bytes, 1, bytes.length - 1);
  };
  assertEquals(value("0.0.0.0"), 0);
  assertEquals(value("198.51.100.7"), ((198 * 256 + 51) * 256 + 100) * 256 + 7);
  assertEquals(value("255.255.255.255"), 2 ** 32 - 1);
  assertEquals(value("10.0.0.1"), 0x0a000001);
  for (
    const text of [
      "010.0.0.1", // a leading zero: another text of 10.0.0.1
      "10.0.0.01",
      "00.0.0.0",
      "256.0.0.1",
      "1.2.3",
      "1.2.3.4.5",
      "1..2.3",
      ".1.2.3",
      "1.2.3.",
      "1.2.3.4 ",
      "1.2.3.a",
      "::1",
      "::ffff:1.2.3.4",
      "1.2.3.1000",
      "",
    ]
  ) assertEquals(value(text), -1, text);
  // Every address's own text gives it back.
  for (let i = 0; i < 5000; i++) {
    const v = (Math.imul(i, 0x9e3779b1) >>> 0) ^ (i & 7);
    const text = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
    assertEquals(value(text), v >>> 0, text);
  }
});

Deno.test("record scanner: first lines told binary from their bytes get guessProtocol's label", () => {
  const scanner = new RecordScanner();
  // Pieces of a payload as JSON writes them (escapes included), chosen around what the label
  // depends on: an A-Z start, SSH-, printable ASCII, DEL, other than ASCII, control characters,
  // escapes of printable characters, and a carriage return before the newline.
  const pieces = [
    "G",
    "S",
    "SSH-",
    "GET / HTTP/1.1",
    "a",
    "~",
    " ",
    "@",
    "\x7f",
    "\\u007f",
    "\\u007e",
    "\\t",
    "\\u0009",
    "\\r",
    "\\u000d",
    "\\u000D",
    "\\r\\n",
    "\\n",
    "\\u000a",
    "\\u0000",
    "\\u001f",
    "\\u0020",
    "\\u0041",
    "\\b",
    "\\f",
    '\\"',
    "\\\\",
    "\\/",
    "\u00e9",
    "\ufffd",
    "\\u00e9",
    "\\ud800",
  ];
  let seed = 7;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let i = 0; i < 20_000; i++) {
    let payload = "";
    const count = random(6);
    for (let k = 0; k < count; k++) payload += pieces[random(pieces.length)];
    const line = `{"timestamp":1796083200,"payload":"${payload}","payload_hex":"00ff",` +
      `"source_ip":"198.51.100.7","destination_port":80}`;
    assertSameAnswer(scanner, encoder.encode(line), line);
  }
});

Deno.test("record scanner: values that start like an earlier line's are read in full", () => {
  const scanner = new RecordScanner();
  // Each value is the start of another (a number going on, a literal going on into bad JSON, a
  // string's text going on): whatever a scanner remembers of one line's member, key or value, is
  // then the start of the next line's.
  const ports = ["80", "8080", "80.5", "80e1", "80E+1", "8", "-8", "-80", "0", "08"];
  const seqs = ["1", "12", "1.0", "1e0", "10", "true", "null", '"1"'];
  const silents = ["false", "falsey", "true", "true ", "null", "nul"];
  const transports = ['"tcp"', '"tcpx"', '"udp"', '"tc\\u0070"', '"tcp\\""'];
  const ends = ["}", " }", "\t}", ',"a":1}', ', "a":1}', "}x"];
  let seed = 5;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pick = (list: string[]) => list[random(list.length)] as string;
  let records = 0;
  for (let i = 0; i < 20_000; i++) {
    // Runs of the same value make the scanner remember whole members, then a change follows.
    const run = i % 7 < 5;
    const line = `{"timestamp":1796083200,"source_ip":"198.51.100.7","destination_port":${
      run ? "80" : pick(ports)
    },"seq":${run ? "1" : pick(seqs)},"silent":${run ? "false" : pick(silents)},"transport":${
      run ? '"tcp"' : pick(transports)
    }${run ? "}" : pick(ends)}`;
    assertSameAnswer(scanner, encoder.encode(line), line);
    if (parsed(encoder.encode(line)) !== null) records++;
  }
  assertGreater(records, 15_000);
});

Deno.test("record scanner: with reuseRecord, one object holds each line's answer in turn", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await writeRecordsFile(path, { bytes: 200_000, seed: 12 });
    const bytes = await Deno.readFile(path);
    const plain = new RecordScanner();
    const reusing = new RecordScanner({ reuseRecord: true });
    let first: ReportRecord | null = null;
    let records = 0;
    for (let start = 0; start < bytes.length;) {
      const end = bytes.indexOf(0x0a, start);
      const expected = plain.scan(bytes, start, end);
      const got = reusing.scanLine(bytes, start, bytes.length);
      assertEquals(reusing.lineEnd, end);
      // A copy, taken before the next line overwrites the object.
      assertEquals(got === null ? null : { ...got }, expected);
      if (got !== null) {
        first ??= got;
        assertEquals(got === first, true, "the same object for every record");
        records++;
      }
      start = end + 1;
    }
    assertGreater(records, 200);
  } finally {
    await Deno.remove(path);
  }
});
