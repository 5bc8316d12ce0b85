import { assert, assertEquals } from "../../testing/std.ts";
import type { ByteSink } from "../../src/output/byte_sink.ts";
import { RecordWriter } from "../../src/output/record_writer.ts";
import { Stats } from "../../src/output/stats.ts";

const decoder = new TextDecoder();

/** A sink that keeps what it is given, and can write partly, slowly, or fail. */
class MemorySink implements ByteSink {
  readonly chunks: Uint8Array[] = [];
  calls = 0;
  /** Most bytes taken per call; Infinity for all. */
  maxPerWrite = Infinity;
  /** Milliseconds each write takes. */
  delayMs = 0;
  /** Calls (1-based) that throw instead of writing. */
  failOn = new Set<number>();

  async write(bytes: Uint8Array): Promise<number> {
    this.calls++;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failOn.has(this.calls)) throw new Error("disk on fire");
    const n = Math.min(bytes.length, this.maxPerWrite);
    this.chunks.push(bytes.slice(0, n));
    return n;
  }

  get text(): string {
    return this.chunks.map((chunk) => decoder.decode(chunk)).join("");
  }
}

function lines(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ seq: from + i, payload: "x" }));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("RecordWriter writes lines whole and in order, batched", async () => {
  const sink = new MemorySink();
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  const input = lines(100);
  for (const line of input) assertEquals(writer.push(line), true);
  await writer.flush();
  assertEquals(sink.text, input.map((line) => `${line}\n`).join(""));
  assert(sink.calls < input.length, `${sink.calls} writes for ${input.length} lines`);
  assertEquals(stats.recordsWritten, 100);
  assertEquals(stats.recordsShed, 0);
  assertEquals(writer.pending, 0);
});

Deno.test("RecordWriter starts writing on its own, without flush()", async () => {
  const sink = new MemorySink();
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  writer.push("a");
  writer.push("b");
  const deadline = Date.now() + 2000;
  while (stats.recordsWritten < 2 && Date.now() < deadline) await delay(5);
  assertEquals(sink.text, "a\nb\n");
  assertEquals(sink.calls, 1);
});

Deno.test("RecordWriter finishes partial writes", async () => {
  const sink = new MemorySink();
  sink.maxPerWrite = 7;
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  const input = lines(20);
  for (const line of input) writer.push(line);
  await writer.flush();
  assertEquals(sink.text, input.map((line) => `${line}\n`).join(""));
  assert(sink.chunks.every((chunk) => chunk.length <= 7));
  assertEquals(stats.recordsWritten, 20);
});

Deno.test("RecordWriter keeps order when lines arrive while a write is in flight", async () => {
  const sink = new MemorySink();
  sink.delayMs = 20;
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  const input = lines(30);
  for (const line of input.slice(0, 10)) writer.push(line);
  const deadline = Date.now() + 2000;
  while (sink.calls === 0 && Date.now() < deadline) await delay(1);
  assertEquals(sink.calls, 1, "first batch in flight");
  for (const line of input.slice(10)) writer.push(line);
  await writer.flush();
  assertEquals(sink.text, input.map((line) => `${line}\n`).join(""));
  assertEquals(sink.calls, 2, "the lines that arrived meanwhile went out together");
  assertEquals(stats.recordsWritten, 30);
});

Deno.test("RecordWriter sheds new records past its bound and counts them", async () => {
  const sink = new MemorySink();
  const stats = new Stats();
  const line = "x".repeat(29); // 30 with its newline
  const writer = new RecordWriter(sink, 100, stats);
  const accepted: boolean[] = [];
  for (let i = 0; i < 10; i++) accepted.push(writer.push(`${line}`));
  assertEquals(accepted, [true, true, true, false, false, false, false, false, false, false]);
  assertEquals(stats.recordsShed, 7);
  assert(writer.pending <= 100, `pending ${writer.pending}`);
  await writer.flush();
  assertEquals(stats.recordsWritten, 3);
  assertEquals(stats.recordsWritten + stats.recordsShed, 10);
  assertEquals(sink.text, `${line}\n`.repeat(3));
  // With the queue drained there is room again.
  assertEquals(writer.push(line), true);
  await writer.flush();
  assertEquals(stats.recordsWritten + stats.recordsShed, 11);
});

Deno.test("RecordWriter counts lines in flight against its bound", async () => {
  const sink = new MemorySink();
  sink.delayMs = 30;
  const stats = new Stats();
  const writer = new RecordWriter(sink, 100, stats);
  const line = "y".repeat(39); // 40 with its newline
  writer.push(line);
  writer.push(line);
  const deadline = Date.now() + 2000;
  while (sink.calls === 0 && Date.now() < deadline) await delay(1);
  assertEquals(writer.pending, 80, "in flight");
  assertEquals(writer.push(line), false);
  assertEquals(writer.push("z".repeat(19)), true);
  await writer.flush();
  assertEquals([stats.recordsWritten, stats.recordsShed], [3, 1]);
});

Deno.test("RecordWriter counts a failing sink and keeps working afterwards", async () => {
  const sink = new MemorySink();
  sink.failOn.add(1);
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  for (const line of lines(5)) writer.push(line);
  await writer.flush();
  assertEquals(stats.outputErrors, 1);
  assertEquals(stats.recordsShed, 5);
  assertEquals(stats.recordsWritten, 0);
  assertEquals(writer.pending, 0);
  const after = lines(3, 5);
  for (const line of after) assertEquals(writer.push(line), true);
  await writer.flush();
  assertEquals(sink.text, after.map((line) => `${line}\n`).join(""));
  assertEquals([stats.recordsWritten, stats.recordsShed, stats.outputErrors], [3, 5, 1]);
});

Deno.test("RecordWriter.flush() resolves only when every record is written", async () => {
  const sink = new MemorySink();
  sink.delayMs = 5;
  sink.maxPerWrite = 50;
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  const input = lines(10);
  for (const line of input) writer.push(line);
  await writer.flush();
  assertEquals(stats.recordsWritten, 10);
  assertEquals(sink.text, input.map((line) => `${line}\n`).join(""));
  assertEquals(writer.pending, 0);
  await writer.flush(); // nothing pending: resolves at once
});

Deno.test("RecordWriter writes non-ASCII payload text as UTF-8", async () => {
  const sink = new MemorySink();
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  const line = JSON.stringify({ payload: "\uFEFF\u00e9\u20ac\u{1F600}\uFFFD" });
  writer.push(line);
  await writer.flush();
  assertEquals(sink.text, `${line}\n`);
});

Deno.test("RecordWriter starts the next record on a fresh line after a write that failed partway", async () => {
  const sink = new MemorySink();
  sink.maxPerWrite = 5;
  sink.failOn = new Set([2]);
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  writer.push('{"a":"first"}');
  await writer.flush();
  sink.maxPerWrite = Infinity;
  writer.push('{"b":2}');
  await writer.flush();
  const text = sink.text;
  assertEquals(text.split("\n").at(-2), '{"b":2}');
  assertEquals(text, '{"a":\n{"b":2}\n');
  assertEquals([stats.recordsWritten, stats.recordsShed, stats.outputErrors], [1, 1, 1]);
});

Deno.test("RecordWriter bounds UTF-8 bytes, not UTF-16 units", async () => {
  const sink = new MemorySink();
  sink.delayMs = 20;
  const stats = new Stats();
  const writer = new RecordWriter(sink, 400, stats);
  const wide = JSON.stringify({ payload: "\ufffd".repeat(90) }); // 282 bytes, 105 units
  assertEquals(writer.push(wide), true);
  assertEquals(writer.push(wide), false);
  await writer.flush();
  assertEquals([stats.recordsWritten, stats.recordsShed], [1, 1]);
  assertEquals(sink.text, `${wide}\n`);
});

Deno.test("RecordWriter uses writeSync when the sink has it, and loses nothing under a burst", async () => {
  const sink = new MemorySink();
  let syncCalls = 0;
  const syncSink: ByteSink = {
    write: (bytes) => sink.write(bytes),
    writeSync: (bytes) => {
      syncCalls++;
      sink.chunks.push(bytes.slice());
      return bytes.length;
    },
  };
  const stats = new Stats();
  const writer = new RecordWriter(syncSink, 4 << 20, stats);
  const big = JSON.stringify({ payload: "y".repeat(30_000) }); // 100 of them: 3 MB, under 4 MiB
  for (let i = 0; i < 100; i++) writer.push(big);
  await writer.flush();
  assertEquals([stats.recordsWritten, stats.recordsShed, sink.calls], [100, 0, 0]);
  assert(syncCalls > 0);
  assertEquals(sink.text.split("\n").length, 101);
});

/** Writes a line through reserve() and commit(), as records written as bytes are. */
function commitLine(writer: RecordWriter, line: string): boolean | null {
  const into = writer.reserve(line.length * 3);
  if (into === null) return null;
  const at = writer.reservedAt;
  const { written } = new TextEncoder().encodeInto(line, into.subarray(at));
  return writer.commit(at + written);
}

Deno.test("RecordWriter.reserve() and commit() queue bytes in order with pushed lines", async () => {
  const sink = new MemorySink();
  const stats = new Stats();
  const writer = new RecordWriter(sink, 1 << 20, stats);
  writer.push("a");
  assertEquals(commitLine(writer, '{"b":"\u00e9"}'), true);
  writer.push("c");
  await writer.flush();
  assertEquals(sink.text, 'a\n{"b":"\u00e9"}\nc\n');
  assertEquals(stats.recordsWritten, 3);
});

Deno.test("RecordWriter.commit() sheds and counts a record past the limit", async () => {
  const sink = new MemorySink();
  const stats = new Stats();
  const writer = new RecordWriter(sink, 10, stats);
  assertEquals(commitLine(writer, "12345678"), true);
  assertEquals(commitLine(writer, "12345"), false);
  assertEquals(stats.recordsShed, 1);
  await writer.flush();
  assertEquals(sink.text, "12345678\n");
});

Deno.test("RecordWriter.reserve() sheds and counts after abandon()", () => {
  const stats = new Stats();
  const writer = new RecordWriter(new MemorySink(), 1 << 20, stats);
  writer.abandon();
  assertEquals(writer.reserve(100), null);
  assertEquals(stats.recordsShed, 1);
});
