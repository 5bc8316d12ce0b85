import { assertEquals } from "../../testing/std.ts";
import { type LineCounts, splitChunk } from "../../src/report/line_reader.ts";
import type { ReportRecord } from "../../src/report/record_fields.ts";
import { RecordScanner } from "../../src/report/record_scanner.ts";
import { scanChunk } from "../../src/report/scan_chunk.ts";
import { writeRecordsFile } from "../../testing/report_records.ts";

const encoder = new TextEncoder();

/** What splitting the chunk into lines and scanning each line gives. */
function splitThenScan(
  chunk: Uint8Array,
): { records: (ReportRecord | null)[]; counts: LineCounts } {
  const scanner = new RecordScanner();
  const records: (ReportRecord | null)[] = [];
  const counts: LineCounts = { lines: 0, tooLong: 0 };
  splitChunk(chunk, (bytes, start, end) => records.push(scanner.scan(bytes, start, end)), counts);
  return { records, counts };
}

function scannedInOnePass(
  chunk: Uint8Array,
): { records: (ReportRecord | null)[]; counts: LineCounts } {
  const scanner = new RecordScanner();
  const records: (ReportRecord | null)[] = [];
  const counts: LineCounts = { lines: 0, tooLong: 0 };
  scanChunk(chunk, scanner, (record) => records.push(record), counts);
  return { records, counts };
}

function assertSameLines(chunk: Uint8Array, name: string): void {
  assertEquals(scannedInOnePass(chunk), splitThenScan(chunk), name);
}

const record =
  '{"timestamp":1796083200,"payload":"GET / HTTP/1.1\\r\\n","payload_hex":"474554","source_ip":"198.51.100.7","destination_port":80,"seq":1}';
const other = record.replace("198.51.100.7", "203.0.113.9").replace(":80,", ":443,");

/** Lines and separators where a line feed must end the line, never be read as whitespace. */
const TRICKY: string[] = [
  `${record}\n${other}\n`,
  `${record}\r\n${other}\r\n`,
  `${record}\n${other}`,
  `${record}  \t\r\n\n\n${other} \n`,
  `\n\r\n\r\n${record}\r\n\r`,
  `\r`,
  `\n`,
  ` \n${record}\n \r\n\t\n`,
  `\r\r\n${record}\n`,
  `{"timestamp":1,\n"source_ip":"a","destination_port":1}\n${record}\n`,
  `{"timestamp":1,"source_ip":"a","destination_port":1\n}\n${record}\n`,
  `{"timestamp":1,"source_ip":"a","destination_port":1}\n`,
  `{"timestamp":1,"source_ip":"a","destination_port":1}x\n${record}\n`,
  `{"timestamp":1,"source_ip":"a\n","destination_port":1}\n${record}\n`,
  `{"timestamp":1,"source_ip":"a","destination_port":1\n${record}\n`,
  `{"timestamp":1,"source_ip":"a","destination_port":1,"x":[1,\n2]}\n${record}\n`,
  `{"timestamp":1,"source_ip":"a","destination_port":1,"x":tru\ne}\n${record}\n`,
  `{"timestamp":1,"source\\u005fip":"a","destination_port":1}\n${record}\n`,
  `{"timestamp":1,"source_ip":"a","destination_port":1,"x":${"[".repeat(70)}${
    "]".repeat(70)
  }}\n${other}\n`,
  `{"timestamp":1,"source_ip":"a","destination_port":1,"x":${"[".repeat(70)}\n${
    "]".repeat(70)
  }}\n${other}\n`,
  `{}\n{}\r\n{} \n[]\n"x"\n1\n${record}`,
  `{"timestamp":1,"source_ip":"a","destination_port":`,
  `${record}\n{"timestamp":1,"source_ip":"a","destination_port":1`,
  `${record}\n{"timestamp":1,"source_ip":"a","destination_port":1}\r`,
  `${record}\n{"timestamp":1,"source_ip":"a","destination_port":1}\r\r\n`,
];

Deno.test("scanChunk reads the lines splitChunk gives, with the scanner's answers", () => {
  for (const [n, text] of TRICKY.entries()) {
    assertSameLines(encoder.encode(text), `case ${n}: ${JSON.stringify(text).slice(0, 80)}`);
  }
});

Deno.test("scanChunk reads a generated records file as splitChunk and scan do", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await writeRecordsFile(path, { bytes: 2_000_000, stepSeconds: 0.5 });
    const bytes = await Deno.readFile(path);
    // Bad lines and odd line ends mixed in, every few lines.
    const lines = new TextDecoder().decode(bytes).split("\n");
    const mixed = lines.map((line, i) =>
      i % 7 === 3 ? `${line}\r` : i % 11 === 5 ? line.slice(0, line.length >> 1) : line
    ).join("\n");
    const chunk = encoder.encode(mixed);
    const expected = splitThenScan(chunk);
    assertEquals(scannedInOnePass(chunk), expected);
    assertEquals(expected.counts.lines > 2000, true);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("scanChunk agrees with splitChunk and scan on lines with bytes changed at random", () => {
  // Deterministic: a line feed, CR, space, quote, backslash, brace or digit put at random places
  // in records, so line ends fall inside strings, numbers, literals, keys and nested values.
  const random = (() => {
    let state = 0x2545f491;
    return () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
  })();
  const bases = [
    record,
    other,
    '{"timestamp":1,"source_ip":"a","destination_port":1,"x":[1,{"y":true}],"seq":1,"silent":false}',
    '{"timestamp":1.5e0,"source_ip":"\\u0061","destination_port":22,"ja4":"t13d","syn_ttl":64}',
  ].map((line) => encoder.encode(line));
  const noise = [0x0a, 0x0a, 0x0d, 0x20, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x31, 0x2c, 0x3a];
  for (let n = 0; n < 3000; n++) {
    const parts: number[] = [];
    const lines = 1 + Math.floor(random() * 4);
    for (let l = 0; l < lines; l++) {
      const line = [...(bases[Math.floor(random() * bases.length)] as Uint8Array)];
      const changes = Math.floor(random() * 3);
      for (let c = 0; c < changes; c++) {
        const at = Math.floor(random() * (line.length + 1));
        const byte = noise[Math.floor(random() * noise.length)] as number;
        if (random() < 0.5) line.splice(at, 1, byte);
        else line.splice(at, 0, byte);
      }
      parts.push(...line);
      if (l < lines - 1 || random() < 0.7) parts.push(...(random() < 0.3 ? [0x0d, 0x0a] : [0x0a]));
    }
    assertSameLines(new Uint8Array(parts), `random case ${n}`);
  }
});
