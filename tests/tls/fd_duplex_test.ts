import { Buffer } from "node:buffer";
import { once } from "node:events";
import { connectedPair, type Pair } from "../_connected_pair.ts";
import { fdOf, sleep, until, within } from "../_socket_fd.ts";
import { assert, assertEquals, assertLess, assertMatch } from "../../testing/std.ts";
import { FdDuplex } from "../../src/tls/fd_duplex.ts";
import { ReadinessPoller } from "../../src/capture/readiness_poller.ts";
import { EPOLLIN, EPOLLOUT } from "../../ffi/epoll.ts";
import { receiveQueued } from "../../ffi/socket.ts";

/** The longest anything that must happen may take. */
const READY_MS = 1500;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the owner saw, as a session would. */
interface OwnerLog {
  /** Each interest set through `setInterest`. */
  interests: number[];
  /** Calls of `onActivity`. */
  activity: number;
  /** Calls of `close`. */
  closes: number;
}

/** A duplex over the accepted end of a loopback pair, watched by its own poller. */
interface Harness extends AsyncDisposable {
  pair: Pair;
  fd: number;
  duplex: FdDuplex;
  owner: OwnerLog;
}

/**
 * Wires a duplex the way a session does: the poller watches the fd with the duplex as handler,
 * `setInterest` changes what it reports, and `close` forgets the fd and closes the connection.
 */
async function openDuplex(replay: string | Uint8Array = ""): Promise<Harness> {
  const poller = new ReadinessPoller();
  const pair = await connectedPair();
  const fd = fdOf(pair.server);
  const owner: OwnerLog = { interests: [], activity: 0, closes: 0 };
  let token = 0;
  let closed = false;
  const duplex = new FdDuplex(
    fd,
    typeof replay === "string" ? encoder.encode(replay) : replay,
    {
      setInterest(events: number): void {
        owner.interests.push(events);
        if (!closed) poller.change(fd, token, events);
      },
      onActivity(): void {
        owner.activity++;
      },
      close(): void {
        owner.closes++;
        closed = true;
        poller.forget(token);
        pair.server.close();
      },
    },
  );
  token = poller.watch(fd, duplex);
  return {
    pair,
    fd,
    duplex,
    owner,
    async [Symbol.asyncDispose](): Promise<void> {
      duplex.on("error", () => {});
      duplex.destroy();
      poller.forget(token);
      pair[Symbol.dispose]();
      await within(poller.close(), READY_MS, "the poller's close()");
    },
  };
}

/** Collects what the duplex yields until `length` bytes have come. */
function collect(duplex: FdDuplex, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) {
        duplex.off("data", onData);
        resolve(Buffer.concat(chunks));
      }
    };
    duplex.on("data", onData);
  });
}

/** Reads from a Deno connection until end of stream. */
async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  return Buffer.concat(chunks);
}

/** Bytes that show any reordering, loss or duplication. */
function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** The index of the first byte where two arrays differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

/** Resolves when the duplex emits 'close' (unlike `once`, whatever 'error' came before). */
function closeOf(duplex: FdDuplex): Promise<void> {
  return new Promise((resolve) => duplex.once("close", () => resolve()));
}

/** Resolves with a write's outcome: null, or the error its callback got. */
function written(duplex: FdDuplex, chunk: Uint8Array | string): Promise<Error | null> {
  return new Promise((resolve) => duplex.write(chunk, (error) => resolve(error ?? null)));
}

Deno.test("FdDuplex yields the replay bytes first, then the client's bytes, in order", async () => {
  await using h = await openDuplex("hello ");
  // Queued before anything reads, so the replay must come first by design, not by timing.
  await h.pair.client.write(encoder.encode("world"));
  await h.pair.client.write(encoder.encode(", again"));
  const bytes = await within(collect(h.duplex, 18), READY_MS, "18 bytes");
  assertEquals(decoder.decode(bytes), "hello world, again");
  assert(h.owner.activity > 0, "arrivals are reported as activity");
});

Deno.test("FdDuplex reads the client's bytes when there is nothing to replay", async () => {
  await using h = await openDuplex();
  const bytes = within(collect(h.duplex, 4), READY_MS, "4 bytes");
  await sleep(20);
  await h.pair.client.write(encoder.encode("late"));
  assertEquals(decoder.decode(await bytes), "late");
});

Deno.test("FdDuplex sends 8 MiB intact to a slow reader, waiting for room to send", async () => {
  await using h = await openDuplex();
  const size = 8 * 1024 * 1024;
  const sent = pattern(size);
  const done = written(h.duplex, sent);
  const received = new Uint8Array(size);
  const reading = (async (): Promise<number> => {
    await sleep(50); // Let the send and receive buffers fill.
    let total = 0;
    for (let reads = 0; total < size; reads++) {
      const n = await h.pair.client.read(received.subarray(total, Math.min(size, total + 65536)));
      if (n === null) break;
      total += n;
      if (reads % 16 === 0) await sleep(1);
    }
    return total;
  })();
  assertEquals(await within(reading, 3000, "the client's reads"), size);
  assertEquals(await within(done, READY_MS, "the write's callback"), null);
  assertEquals(firstDifference(received, sent), -1, "every byte arrived, in order");
  assert(
    h.owner.interests.some((events) => (events & EPOLLOUT) !== 0),
    "the send buffer filled, and the duplex asked to hear when it drains",
  );
  assertEquals((h.owner.interests.at(-1) ?? 0) & EPOLLOUT, 0, "and stopped asking once done");
});

Deno.test("FdDuplex.end() sends what is left, then the client reads end of stream", async () => {
  await using h = await openDuplex();
  h.duplex.write("last ");
  h.duplex.end("words");
  await within(once(h.duplex, "finish"), READY_MS, "finish");
  const bytes = await within(readToEnd(h.pair.client), READY_MS, "the client's end of stream");
  assertEquals(decoder.decode(bytes), "last words");
});

Deno.test("FdDuplex ends after the peer's last bytes when the peer closes", async () => {
  await using h = await openDuplex("replay ");
  const chunks: string[] = [];
  h.duplex.on("data", (chunk: Buffer) => chunks.push(decoder.decode(chunk)));
  const ended = once(h.duplex, "end");
  await h.pair.client.write(encoder.encode("and the rest"));
  h.pair.client.close();
  await within(ended, READY_MS, "end");
  assertEquals(chunks.join(""), "replay and the rest");
});

Deno.test("FdDuplex closes through its owner once, when both sides have ended", async () => {
  await using h = await openDuplex();
  h.duplex.resume();
  const closed = closeOf(h.duplex);
  h.pair.client.close();
  await within(once(h.duplex, "end"), READY_MS, "end");
  assertEquals(h.owner.closes, 0, "still writable");
  h.duplex.end();
  await within(closed, READY_MS, "close");
  assertEquals(h.owner.closes, 1);
});

Deno.test("FdDuplex.destroy() closes through its owner exactly once", async () => {
  await using h = await openDuplex();
  const closed = closeOf(h.duplex);
  h.duplex.destroy();
  h.duplex.destroy();
  await within(closed, READY_MS, "close");
  h.duplex.detach();
  assertEquals(h.owner.closes, 1);
});

Deno.test("FdDuplex.detach() destroys it with an error and does no more I/O", async () => {
  await using h = await openDuplex();
  h.duplex.resume();
  await sleep(10);
  const errors: Error[] = [];
  h.duplex.on("error", (error: Error) => errors.push(error));
  const closed = closeOf(h.duplex);
  const interests = h.owner.interests.length;
  h.duplex.detach();
  await within(closed, READY_MS, "close");
  assertEquals(errors.map((error) => error.message), ["the connection was closed"]);
  assertEquals(h.owner.closes, 0, "the owner closed the fd itself");

  let data = 0;
  h.duplex.on("data", () => data++);
  await h.pair.client.write(encoder.encode("late"));
  h.duplex.onReady(EPOLLIN | EPOLLOUT);
  await sleep(20); // The poller reports the queued bytes again meanwhile.
  assertEquals(data, 0);
  assertEquals(h.owner.interests.length, interests, "no change of interest");
  assertEquals(receiveQueued(h.fd, new Uint8Array(16)), 4, "the late bytes were left unread");
  assert((await written(h.duplex, "more")) !== null, "a write after detach fails");
});

Deno.test("FdDuplex fails a write that is waiting for room when it is destroyed", async () => {
  await using h = await openDuplex();
  // Nobody reads on the client side: 8 MiB cannot all fit in the socket buffers.
  const done = written(h.duplex, pattern(8 * 1024 * 1024));
  await until(
    () => h.owner.interests.some((events) => (events & EPOLLOUT) !== 0),
    READY_MS,
    "a full send buffer",
  );
  h.duplex.on("error", () => {});
  h.duplex.destroy();
  const error = await within(done, READY_MS, "the write's callback");
  assert(error !== null, "the write failed");
  assertEquals(h.owner.closes, 1);
});

Deno.test("FdDuplex fails a write once the peer has gone, and closes through its owner", async () => {
  await using h = await openDuplex();
  h.duplex.resume();
  const errors: Error[] = [];
  h.duplex.on("error", (error: Error) => errors.push(error));
  const closed = closeOf(h.duplex);
  h.pair.client.close();
  await within(once(h.duplex, "end"), READY_MS, "end");
  // The first send after the peer closed draws a reset; a later one fails.
  let outcome: Error | null = null;
  for (let i = 0; i < 5 && outcome === null; i++) {
    outcome = await within(written(h.duplex, "anyone there?"), READY_MS, "a write");
    if (outcome === null) await sleep(10);
  }
  assertMatch(outcome?.message ?? "no write failed", /^Cannot send: (EPIPE|ECONNRESET)$/);
  await within(closed, READY_MS, "close");
  assertEquals(errors.length, 1);
  assertEquals(h.owner.closes, 1);
});

Deno.test("FdDuplex stops reading while its reader is paused, then delivers everything", async () => {
  await using h = await openDuplex();
  const size = 1024 * 1024;
  const sent = pattern(size);
  const chunks: Buffer[] = [];
  let total = 0;
  h.duplex.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    if (chunks.length === 1) h.duplex.pause();
  });
  const writing = h.pair.client.write(sent);
  await until(() => h.duplex.isPaused() && total > 0, READY_MS, "a first chunk");
  await sleep(50);
  const whilePaused = total;
  assertLess(whilePaused, size);
  assertEquals((h.owner.interests.at(-1) ?? -1) & EPOLLIN, 0, "no longer asking to read");
  h.duplex.resume();
  await until(() => total >= size, READY_MS, "the rest");
  await within(writing, READY_MS, "the client's write");
  assertEquals(firstDifference(Buffer.concat(chunks), sent), -1);
});
