/**
 * Batches of records between a worker and the main thread: what the reader hands on is what the
 * writer was given, in order, with each string's hash, across many batches whose string tables
 * fill and are emptied; the columns fit in the chunk's buffer, and a buffer too small is not used.
 */
import { assert, assertEquals, assertThrows } from "../../testing/std.ts";
import type { ReportRecord } from "../../src/report/record_fields.ts";
import {
  BATCH_RECORD_BYTES,
  BATCH_TABLE_STRINGS_MAX,
  BatchReader,
  BatchWriter,
} from "../../src/report/scanned_batch.ts";
import { hashString } from "../../src/report/string_hash.ts";
import { RecordScanner } from "../../src/report/record_scanner.ts";
import { ReportAggregate } from "../../src/report/aggregate.ts";

const FIELDS = ["sourceIp", "firstLine", "ja4", "ja3", "syn", "hassh", "greeting"] as const;

function record(i: number): ReportRecord {
  return {
    timestamp: 1_796_083_200 + i,
    transport: i % 5 === 0 ? "udp" : "tcp",
    // More distinct sources and first lines than their tables hold: both are emptied on the way.
    sourceIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    destinationPort: (i * 7919) % 65536,
    sessionStart: i % 3 !== 0,
    silent: i % 11 === 0,
    tls: i % 13 === 0,
    firstLine: i % 2 === 0 ? `GET /${i} HTTP/1.1` : undefined,
    ja4: i % 4 === 0 ? `t13d_${i % 9}` : undefined,
    ja3: i % 6 === 0 ? `ja3-${i % 5}` : undefined,
    syn: i % 2 === 1 ? `ttl=${i % 3}` : undefined,
    hassh: undefined,
    greeting: i % 17 === 0 ? "ssh" : undefined,
  };
}

Deno.test("BatchWriter/BatchReader: every record, in order, with its strings' hashes, across table resets", () => {
  const writer = new BatchWriter();
  const reader = new BatchReader();
  const total = (BATCH_TABLE_STRINGS_MAX[0] ?? 0) * 2 + 1234;
  const perBatch = 1000;
  let read = 0;
  let resets = 0;
  for (let start = 0; start < total; start += perBatch) {
    const end = Math.min(total, start + perBatch);
    for (let i = start; i < end; i++) writer.push(record(i));
    const batch = writer.take(new ArrayBuffer((end - start) * 52));
    // A structured clone, as between threads.
    const copy = structuredClone(batch, { transfer: [batch.buffer] });
    if (copy.reset !== 0) resets++;
    reader.read(copy, (got, hashes) => {
      const want = record(read);
      assertEquals({ ...got }, want, `record ${read}`);
      for (const [f, field] of FIELDS.entries()) {
        const value = want[field];
        if (value !== undefined) assertEquals(hashes[f], hashString(value), `${field} ${read}`);
      }
      read++;
    });
  }
  assertEquals(read, total);
  assert(resets >= 2, `the tables were emptied ${resets} times`);
});

Deno.test("BatchWriter.take: the columns go into the buffer given when it is large enough, else a new one", () => {
  const writer = new BatchWriter();
  const reader = new BatchReader();
  let n = 0;
  for (let i = 0; i < 10; i++) writer.push(record(i));
  const into = new ArrayBuffer(10 * BATCH_RECORD_BYTES);
  const first = writer.take(into);
  assert(first.buffer === into);
  reader.read(first, () => n++);
  for (let i = 0; i < 10; i++) writer.push(record(i));
  const small = new ArrayBuffer(10 * BATCH_RECORD_BYTES - 1);
  const batch = writer.take(small);
  assert(batch.buffer !== small && batch.buffer.byteLength >= 10 * BATCH_RECORD_BYTES);
  reader.read(batch, () => n++);
  assertEquals(n, 20);
});

Deno.test("BatchReader: a batch that does not hold its count or names an unknown string is refused", () => {
  const writer = new BatchWriter();
  writer.push(record(1));
  const batch = writer.take(new ArrayBuffer(64));
  assertThrows(
    () => new BatchReader().read({ ...batch, count: 5 }, () => {}),
    RangeError,
    "does not hold its count",
  );
  assertThrows(
    () =>
      new BatchReader().read({ ...batch, strings: [[], [], []], hashes: [[], [], []] }, () => {}),
    RangeError,
    "is unknown",
  );
});

Deno.test("BatchWriter: source numbers found by the scanner's cache slot give the records the scanner read", () => {
  const scanner = new RecordScanner();
  const writer = new BatchWriter();
  const reader = new BatchReader();
  const encoder = new TextEncoder();
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    // Up to 20,000 addresses in 32 Ki cache slots: some share a slot and take it over.
    const source = `192.0.${(i * 7919) % 160}.${(i * 104729) % 250}`;
    lines.push(
      JSON.stringify({
        timestamp: 1_796_083_200 + i,
        source_ip: source,
        destination_port: i % 100,
      }),
    );
  }
  const expected: ReportRecord[] = [];
  for (const [i, line] of lines.entries()) {
    const bytes = encoder.encode(line);
    const record = scanner.scan(bytes, 0, bytes.length);
    assert(record !== null);
    expected.push({ ...record });
    writer.push(record, scanner);
    if (i % 997 === 996 || i === lines.length - 1) {
      const batch = writer.take(new ArrayBuffer(1000 * BATCH_RECORD_BYTES));
      reader.read(structuredClone(batch), (got) => {
        assertEquals({ ...got }, expected.shift());
      });
    }
  }
  assertEquals(expected.length, 0);
});

Deno.test("BatchWriter: sources a deferring scanner gives as numbers read back as the text, past a source-table reset", () => {
  const deferring = new RecordScanner({ deferSourceV4: true });
  const plain = new RecordScanner();
  const writer = new BatchWriter();
  const reader = new BatchReader();
  const encoder = new TextEncoder();
  const expected: ReportRecord[] = [];
  let dotted = 0;
  // 70,000 distinct dotted quads (past the 64 Ki source table, so it is emptied once), each seen
  // twice, among texts that are not plain dotted quads: a leading zero, IPv6, an escape.
  const total = 150_000;
  for (let i = 0; i < total; i++) {
    const n = i % 75_000;
    const source = n % 25 === 3
      ? `10.0.${n % 200}.0${n % 10}`
      : n % 25 === 7
      ? `2001:db8::${n.toString(16)}`
      : n % 25 === 11
      ? `10.1.2.\\u0033${n % 10}`
      : `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
    const bytes = encoder.encode(
      `{"timestamp":${1_796_083_200 + i},"source_ip":"${source}","destination_port":${i % 100}}`,
    );
    const want = plain.scan(bytes, 0, bytes.length);
    const record = deferring.scan(bytes, 0, bytes.length);
    assert(want !== null && record !== null);
    if (deferring.sourceV4 >= 0) {
      dotted++;
      assertEquals(record.sourceIp, "");
      assertEquals(deferring.sourceText(), want.sourceIp);
    } else assertEquals(record, want);
    expected.push({ ...want });
    writer.push(record, deferring);
    if (i % 4001 === 4000 || i === total - 1) {
      const batch = writer.take(new ArrayBuffer(4001 * BATCH_RECORD_BYTES));
      reader.read(structuredClone(batch), (got, hashes) => {
        const next = expected.shift();
        assertEquals({ ...got }, next);
        assertEquals(hashes[0], hashString(got.sourceIp));
      });
    }
  }
  assertEquals(expected.length, 0);
  assertEquals(dotted, 6 * 25_000 * 22 / 25);
});

Deno.test("ReportAggregate.addScanned counts what add counts, past a source-table reset and the exact limit", () => {
  const window = { since: 1_796_083_210 };
  const viaBatches = new ReportAggregate(window);
  const direct = new ReportAggregate(window);
  const writer = new BatchWriter();
  const reader = new BatchReader();
  // 125,003 sources (past DISTINCT_EXACT_KEYS and the 64 Ki source table), each seen again later
  // and in both transports, some before the window.
  const sourceCount = 125_003;
  const total = 3 * sourceCount;
  const make = (i: number): ReportRecord => {
    const n = i % sourceCount;
    return {
      ...record(i),
      timestamp: 1_796_083_200 + (i % 50),
      sourceIp: `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`,
      transport: (i * 31) % 7 === 0 ? "udp" : "tcp",
    };
  };
  let lines = 0;
  for (let i = 0; i < total; i++) {
    const r = make(i);
    direct.add(r);
    writer.push(r);
    lines++;
    if (lines === 4000 || i === total - 1) {
      viaBatches.addScanned(
        reader,
        writer.take(new ArrayBuffer(lines * BATCH_RECORD_BYTES)),
        lines,
        0,
      );
      lines = 0;
    }
  }
  const input = { names: ["x"], tooLong: 0 };
  direct.lines = total;
  assertEquals(viaBatches.summary(20, input), direct.summary(20, input));
  const sources = viaBatches.summary(1, input).sources;
  assert(!sources.exact, `past the exact limit: ${JSON.stringify(sources)}`);
});
