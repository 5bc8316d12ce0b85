import { assert, assertEquals, assertRejects, assertThrows } from "../../testing/std.ts";
import { type FdCalls, NonblockingFdSink } from "../../src/output/stream_sink.ts";
import type { WritabilityWaiter } from "../../src/output/writability.ts";
import { RecordWriter } from "../../src/output/record_writer.ts";
import { Stats } from "../../src/output/stats.ts";
import { until, within } from "../_socket_fd.ts";

const decoder = new TextDecoder();

/**
 * A pipe that a test drains by hand: it takes up to `room` bytes, then answers EAGAIN (-1)
 * until `read` makes room; waiting for writability resolves at the next `read`.
 */
class FakePipe implements FdCalls, WritabilityWaiter {
  readonly received: Uint8Array[] = [];
  room: number;
  /** Most bytes one write takes (a partial write past it). */
  maxPerWrite = Infinity;
  eagains = 0;
  waits = 0;
  closed = false;
  failWith: Error | null = null;
  #waiters: PromiseWithResolvers<void>[] = [];

  constructor(room: number) {
    this.room = room;
  }

  write(_fd: number, bytes: Uint8Array): number {
    if (this.failWith !== null) throw this.failWith;
    const n = Math.min(bytes.length, this.room, this.maxPerWrite);
    if (n === 0 && bytes.length > 0) {
      this.eagains++;
      return -1;
    }
    this.received.push(bytes.slice(0, n));
    this.room -= n;
    return n;
  }

  close(): void {
    this.closed = true;
  }

  waitWritable(): Promise<void> {
    this.waits++;
    const waiter = Promise.withResolvers<void>();
    this.#waiters.push(waiter);
    return waiter.promise;
  }

  /** The reader takes `bytes` more: room grows and waiting writers wake. */
  read(bytes: number): void {
    this.room += bytes;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** Ends every wait with an error, as closing the poller does. */
  rejectWaits(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(new Error("closed"));
  }

  get text(): string {
    return this.received.map((chunk) => decoder.decode(chunk)).join("");
  }
}

function lines(count: number, from = 0): string[] {
  return Array.from(
    { length: count },
    (_, i) => JSON.stringify({ seq: String(from + i).padStart(4, "0") }),
  );
}

Deno.test("NonblockingFdSink returns a partial write as such and waits on EAGAIN", async () => {
  const pipe = new FakePipe(5);
  const sink = new NonblockingFdSink(7, pipe, true, pipe);
  assertEquals(await sink.write(new TextEncoder().encode("abcdefgh")), 5);
  const pending = sink.write(new TextEncoder().encode("fgh"));
  await until(() => pipe.waits === 1, 1000, "a wait for writability");
  assertEquals(sink.stalls, 1);
  pipe.read(2);
  assertEquals(await within(pending, 1000, "the write after room was made"), 2);
  assertEquals(pipe.text, "abcdefg");
  sink.close();
  assert(pipe.closed);
  assertThrows(() => sink.tryWrite(new Uint8Array(1)), Error, "closed");
});

Deno.test("NonblockingFdSink: a write waiting when the waiter closes rejects", async () => {
  const pipe = new FakePipe(0);
  const sink = new NonblockingFdSink(7, pipe, false, pipe);
  const pending = sink.write(new Uint8Array(3));
  await until(() => pipe.waits === 1, 1000, "a wait for writability");
  pipe.rejectWaits();
  await assertRejects(() => pending, Error, "closed");
  sink.close();
  assertEquals(pipe.closed, false, "an fd it does not own stays open");
});

Deno.test("RecordWriter on a stalled pipe: holds up to the bound, sheds the rest, loses nothing", async () => {
  const pipe = new FakePipe(100);
  pipe.maxPerWrite = 37; // partial writes, cutting lines anywhere
  const stats = new Stats();
  const input = lines(200);
  const lineBytes = (input[0] ?? "").length + 1;
  const limit = 20 * lineBytes;
  const writer = new RecordWriter(new NonblockingFdSink(7, pipe, true, pipe), limit, stats);
  const accepted: string[] = [];
  for (const line of input) if (writer.push(line)) accepted.push(line);
  // The writer never waits inside push: all 200 calls returned while the pipe was stalled.
  assertEquals(accepted.length, 20);
  assertEquals(stats.recordsShed, 180);
  await until(() => pipe.waits > 0, 1000, "the writer to find the pipe full");
  assert(writer.pending <= limit);
  // The reader resumes: everything held is written whole, in order.
  const flushed = writer.flush();
  for (let i = 0; i < 100 && pipe.text.length < accepted.length * lineBytes; i++) {
    pipe.read(64);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await within(flushed, 2000, "the flush");
  assertEquals(pipe.text, accepted.map((line) => `${line}\n`).join(""));
  assertEquals(stats.recordsWritten + stats.recordsShed, input.length);
  assertEquals(stats.recordsWritten, 20);
});

Deno.test("RecordWriter.abandon counts every record not written, and lines written whole as written", async () => {
  const pipe = new FakePipe(0);
  const stats = new Stats();
  const input = lines(10);
  const lineBytes = (input[0] ?? "").length + 1;
  const writer = new RecordWriter(new NonblockingFdSink(7, pipe, true, pipe), 1 << 20, stats);
  for (const line of input) assert(writer.push(line));
  await until(() => pipe.waits > 0, 1000, "the writer to find the pipe full");
  // Two lines and a half go out, then the pipe stalls again.
  pipe.read(2 * lineBytes + 5);
  await until(() => pipe.waits > 1, 1000, "the writer to stall again");
  const flushed = writer.flush();
  assertEquals(writer.abandon(), 8);
  await within(flushed, 1000, "flush to end once abandoned");
  assertEquals(stats.recordsWritten, 2);
  assertEquals(stats.recordsShed, 8);
  assertEquals(writer.pending, 0);
  // Later records are shed and counted; the write still waiting ends without counting twice.
  assertEquals(writer.push("late"), false);
  assertEquals(stats.recordsShed, 9);
  pipe.read(1 << 20);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assertEquals(stats.recordsWritten + stats.recordsShed, 11);
  assertEquals(writer.abandon(), 0);
});

Deno.test("RecordWriter: a write that fails mid-chunk counts the lines that went out whole", async () => {
  const pipe = new FakePipe(0);
  const stats = new Stats();
  const input = lines(6);
  const lineBytes = (input[0] ?? "").length + 1;
  const writer = new RecordWriter(new NonblockingFdSink(7, pipe, true, pipe), 1 << 20, stats);
  for (const line of input) writer.push(line);
  await until(() => pipe.waits > 0, 1000, "the writer to find the pipe full");
  pipe.read(3 * lineBytes + 1);
  await until(() => pipe.waits > 1, 1000, "the writer to stall again");
  pipe.failWith = new Error("Broken pipe");
  pipe.read(0);
  await writer.flush();
  assertEquals(stats.recordsWritten, 3);
  assertEquals(stats.recordsShed, 3);
  assertEquals(stats.outputErrors, 1);
});
