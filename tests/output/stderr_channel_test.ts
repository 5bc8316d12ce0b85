import { assert, assertEquals } from "../../testing/std.ts";
import { StderrChannel } from "../../src/output/stderr_channel.ts";
import { until, within } from "../_socket_fd.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A stderr that takes `room` bytes, then nothing until the test makes room. */
class FakeStderr {
  readonly received: Uint8Array[] = [];
  room: number;
  broken = false;
  #waiters: PromiseWithResolvers<void>[] = [];

  constructor(room: number) {
    this.room = room;
  }

  tryWrite = (bytes: Uint8Array): number => {
    if (this.broken) throw new Error("EPIPE");
    const n = Math.min(bytes.length, this.room);
    if (n === 0) return -1;
    this.received.push(bytes.slice(0, n));
    this.room -= n;
    return n;
  };

  write = async (bytes: Uint8Array): Promise<number> => {
    for (;;) {
      const n = this.tryWrite(bytes);
      if (n !== -1) return n;
      const waiter = Promise.withResolvers<void>();
      this.#waiters.push(waiter);
      await waiter.promise;
    }
  };

  read(bytes: number): void {
    this.room += bytes;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  get text(): string {
    return this.received.map((chunk) => decoder.decode(chunk)).join("");
  }
}

function line(i: number): Uint8Array {
  return encoder.encode(`line ${String(i).padStart(4, "0")}\n`); // 10 bytes
}

Deno.test("StderrChannel writes at once while stderr takes the lines", () => {
  const stderr = new FakeStderr(1000);
  const channel = new StderrChannel(stderr, 100, () => {});
  for (let i = 0; i < 3; i++) assert(channel.write(line(i)));
  assertEquals(stderr.text, "line 0000\nline 0001\nline 0002\n");
  assertEquals(channel.pending, 0);
});

Deno.test("StderrChannel: stalled, it holds lines up to the bound, drops the rest and reports them once drained", async () => {
  const stderr = new FakeStderr(15); // one line and a half, then stalled
  const reports: number[] = [];
  const channel = new StderrChannel(stderr, 50, (dropped) => {
    reports.push(dropped);
    channel.write(encoder.encode(`dropped ${dropped}\n`));
  });
  const kept: number[] = [];
  for (let i = 0; i < 20; i++) if (channel.write(line(i))) kept.push(i);
  // Line 1 was half written: it is finished whatever the bound; then 5 more fit in 50 bytes
  // (its 5 remaining bytes count).
  assertEquals(kept, [0, 1, 2, 3, 4, 5]);
  assertEquals(channel.droppedTotal, 14);
  assertEquals(reports, [], "no report while stderr is still stalled");
  for (let i = 0; i < 20 && channel.pending > 0; i++) {
    stderr.read(7);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  stderr.read(1000);
  await within(channel.flush(1000), 1500, "the flush");
  assertEquals(reports, [14]);
  assertEquals(
    stderr.text,
    kept.map((i) => `line ${String(i).padStart(4, "0")}\n`).join("") + "dropped 14\n",
  );
});

Deno.test("StderrChannel: a broken stderr drops lines without throwing or reporting", async () => {
  const stderr = new FakeStderr(0);
  const reports: number[] = [];
  const channel = new StderrChannel(stderr, 100, (dropped) => reports.push(dropped));
  channel.write(line(0));
  stderr.broken = true;
  stderr.read(0);
  await until(() => channel.pending === 0, 1000, "the queue to be dropped");
  assertEquals(channel.write(line(1)), false);
  assertEquals(channel.droppedTotal, 2);
  assertEquals(reports, []);
  assertEquals(await channel.flush(100), true);
});

Deno.test("StderrChannel.flush gives up at its deadline while stderr stays stalled", async () => {
  const stderr = new FakeStderr(0);
  const channel = new StderrChannel(stderr, 100, () => {});
  channel.write(line(0));
  const started = Date.now();
  assertEquals(await channel.flush(100), false);
  assert(Date.now() - started < 1000);
  stderr.read(100);
  assertEquals(await channel.flush(1000), true);
});
