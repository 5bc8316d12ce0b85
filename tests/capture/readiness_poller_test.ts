import { connectedPair, type Pair } from "../_connected_pair.ts";
import { fdOf, sleep, until, within } from "../_socket_fd.ts";
import { assert, assertEquals, assertGreater, assertThrows } from "../../testing/std.ts";
import {
  type PollerOptions,
  type ReadinessHandler,
  ReadinessPoller,
} from "../../src/capture/readiness_poller.ts";
import { EPOLLHUP, EPOLLIN, EPOLLRDHUP } from "../../ffi/epoll.ts";
import { receiveQueued, shutdownWrite } from "../../ffi/socket.ts";
import { ErrnoError } from "../../ffi/errno_error.ts";

/** The longest a report that must come may take. */
const READY_MS = 1000;
/** How long to watch for a report that must not come. */
const QUIET_MS = 50;

const encoder = new TextEncoder();

/** A handler that records each report, with the batch it came in, and may drain its fd. */
class Recorder implements ReadinessHandler {
  readonly events: number[] = [];
  readonly batches: number[] = [];
  bytes = 0;
  readonly #poller: ReadinessPoller;
  readonly #drainFd: number | null;

  constructor(poller: ReadinessPoller, drainFd: number | null = null) {
    this.#poller = poller;
    this.#drainFd = drainFd;
  }

  onReady(events: number): void {
    this.events.push(events);
    this.batches.push(this.#poller.batches);
    if (this.#drainFd === null) return;
    const buffer = new Uint8Array(4096);
    let n = receiveQueued(this.#drainFd, buffer);
    while (n > 0) {
      this.bytes += n;
      n = receiveQueued(this.#drainFd, buffer);
    }
  }
}

/** A poller that an `await using` declaration closes (failing, not hanging, if it cannot). */
function openPoller(options?: PollerOptions): ReadinessPoller & AsyncDisposable {
  const poller = new ReadinessPoller(options);
  return Object.assign(poller, {
    [Symbol.asyncDispose]: (): Promise<void> => within(poller.close(), READY_MS, "close()"),
  });
}

/**
 * Watches the pair's server end with a handler that never reads, so the fd stays ready, writes
 * to it, and waits for the first report.
 */
async function watchUnread(
  poller: ReadinessPoller,
  pair: Pair,
): Promise<{ handler: Recorder; token: number; fd: number }> {
  const fd = fdOf(pair.server);
  const handler = new Recorder(poller);
  const token = poller.watch(fd, handler);
  await pair.client.write(encoder.encode("unread"));
  await until(() => handler.events.length > 0, READY_MS, "a first report");
  return { handler, token, fd };
}

/** Closes every pair at the end of a `using` block. */
function closingAll(pairs: Pair[]): Disposable {
  return {
    [Symbol.dispose](): void {
      for (const pair of pairs) pair[Symbol.dispose]();
    },
  };
}

Deno.test("ReadinessPoller calls a watched fd's handler with EPOLLIN when the peer writes", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const fd = fdOf(pair.server);
  const handler = new Recorder(poller, fd);
  poller.watch(fd, handler);
  assertEquals(poller.size, 1);
  await sleep(QUIET_MS);
  assertEquals(handler.events, [], "no report before the peer writes");
  await pair.client.write(encoder.encode("hello"));
  await until(() => handler.bytes === 5, READY_MS, "the handler drains the 5 bytes");
  assertEquals((handler.events[0] ?? 0) & EPOLLIN, EPOLLIN);
  assertGreater(poller.batches, 0);
});

Deno.test("ReadinessPoller reports EPOLLRDHUP by default when the peer closes", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const fd = fdOf(pair.server);
  const handler = new Recorder(poller);
  const token = poller.watch(fd, handler);
  pair.client.close();
  await until(() => handler.events.length > 0, READY_MS, "a report of the peer's close");
  poller.forget(token);
  assertEquals((handler.events[0] ?? 0) & EPOLLRDHUP, EPOLLRDHUP);
});

Deno.test("ReadinessPoller keeps reporting an fd that stays readable", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const handler = new Recorder(poller); // Never reads: the bytes stay queued.
  const token = poller.watch(fdOf(pair.server), handler);
  await pair.client.write(encoder.encode("unread"));
  await until(() => handler.events.length >= 3, READY_MS, "three reports of the same bytes");
  poller.forget(token);
  assertEquals(new Set(handler.batches).size, handler.batches.length, "one report per batch");
});

Deno.test("ReadinessPoller never calls a handler again after forget()", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const { handler, token } = await watchUnread(poller, pair);
  poller.forget(token);
  assertEquals(poller.size, 0);
  const calls = handler.events.length;
  const batches = poller.batches;
  await sleep(QUIET_MS);
  assertGreater(poller.batches, batches, "the fd is still reported to the poller");
  assertEquals(handler.events.length, calls, "but no longer to the handler");
});

Deno.test("ReadinessPoller.change() to 0 stops reports, and back resumes them", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const { handler, token, fd } = await watchUnread(poller, pair);
  poller.change(fd, token, 0);
  // A report may already be under way; after a pause, none comes.
  await sleep(10);
  const calls = handler.events.length;
  await sleep(QUIET_MS);
  assertEquals(handler.events.length, calls, "paused");
  poller.change(fd, token, EPOLLIN);
  await until(() => handler.events.length > calls, READY_MS, "reports after resuming");
  poller.forget(token);
});

Deno.test("ReadinessPoller.change() to 0 silences even a hang-up until resumed", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const fd = fdOf(pair.server);
  const handler = new Recorder(poller); // Never reads.
  const token = poller.watch(fd, handler);
  poller.change(fd, token, 0);
  // Both directions shut: epoll reports EPOLLHUP whatever it is asked, at every batch.
  assert(shutdownWrite(fd));
  pair.client.close();
  const batches = poller.batches;
  await sleep(QUIET_MS);
  assertEquals(handler.events, [], "nothing while paused");
  assertEquals(poller.batches, batches, "the poller itself is not woken");
  poller.change(fd, token, EPOLLIN | EPOLLRDHUP);
  await until(() => handler.events.length > 0, READY_MS, "the hang-up after resuming");
  assert(((handler.events[0] ?? 0) & EPOLLHUP) !== 0, "reported as a hang-up");
  poller.forget(token);
});

Deno.test("ReadinessPoller.change() throws for an fd it does not watch", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  assertThrows(() => poller.change(fdOf(pair.server), 1, EPOLLIN), ErrnoError, "ENOENT");
});

Deno.test("ReadinessPoller never hands out a token again, even for a reused fd number", async () => {
  await using poller = openPoller();
  const tokens: number[] = [];
  const fds: number[] = [];
  const handlers: Recorder[] = [];
  for (let round = 0; round < 5; round++) {
    using pair = await connectedPair();
    const fd = fdOf(pair.server);
    const handler = new Recorder(poller, fd);
    const token = poller.watch(fd, handler);
    tokens.push(token);
    fds.push(fd);
    handlers.push(handler);
    await pair.client.write(encoder.encode("x"));
    await until(() => handler.bytes === 1, READY_MS, `round ${round}'s byte`);
    // Forget, then close (at the end of the round), as a session does.
    poller.forget(token);
  }
  assertEquals(new Set(tokens).size, tokens.length, `distinct tokens ${tokens}`);
  assert(tokens.every((token, i) => i === 0 || token > (tokens[i - 1] ?? 0)), "increasing");
  assert(tokens.every((token) => token > 0), "0 is the wake-up");
  assertGreater(fds.length, new Set(fds).size, `fd numbers were reused: ${fds}`);
  for (const handler of handlers) assertEquals(handler.bytes, 1, "each handler read its byte");
});

Deno.test("ReadinessPoller handles what became ready during the batch delay in one batch", async () => {
  await using poller = openPoller({ batchDelayMs: 250 });
  using trigger = await connectedPair();
  const pairs: Pair[] = [];
  using _pairs = closingAll(pairs);
  for (let i = 0; i < 3; i++) pairs.push(await connectedPair());
  const triggerFd = fdOf(trigger.server);
  const first = new Recorder(poller, triggerFd);
  const tokens = [poller.watch(triggerFd, first)];
  const handlers = pairs.map((pair) => new Recorder(poller, fdOf(pair.server)));
  pairs.forEach((pair, i) => tokens.push(poller.watch(fdOf(pair.server), handlers[i] as Recorder)));
  await trigger.client.write(encoder.encode("go"));
  await until(() => first.bytes === 2, READY_MS, "the trigger's batch");
  // The poller now lets events gather for 250 ms.
  for (const pair of pairs) await pair.client.write(encoder.encode("abc"));
  await until(() => handlers.every((h) => h.bytes === 3), READY_MS, "the three reads");
  const batches = handlers.map((h) => h.batches[0]);
  assertEquals(new Set(batches).size, 1, `one batch for all three: ${batches}`);
  assertEquals(batches[0], (first.batches[0] ?? 0) + 1, "the batch after the trigger's");
  for (const token of tokens) poller.forget(token);
});

Deno.test("ReadinessPoller reports every ready fd when they exceed maxEvents", async () => {
  await using poller = openPoller({ maxEvents: 2, batchDelayMs: 0 });
  const pairs: Pair[] = [];
  using _pairs = closingAll(pairs);
  for (let i = 0; i < 5; i++) pairs.push(await connectedPair());
  // All five are readable before they are watched, so the waits find more than maxEvents.
  for (const pair of pairs) await pair.client.write(encoder.encode("abcd"));
  await sleep(10);
  const handlers = pairs.map((pair) => new Recorder(poller, fdOf(pair.server)));
  const tokens = pairs.map((pair, i) => poller.watch(fdOf(pair.server), handlers[i] as Recorder));
  await until(() => handlers.every((h) => h.bytes === 4), READY_MS, "all five reads");
  for (const token of tokens) poller.forget(token);
});

Deno.test("ReadinessPoller.watch() throws for a bad fd and watches nothing", async () => {
  await using poller = openPoller();
  assertThrows(() => poller.watch(-1, new Recorder(poller)), ErrnoError, "EBADF");
  assertEquals(poller.size, 0);
});

Deno.test("ReadinessPoller.close() ends the pending wait promptly", async () => {
  const poller = new ReadinessPoller();
  await sleep(10); // The wait is running on its thread.
  const started = Date.now();
  await within(poller.close(), READY_MS, "close()");
  assert(Date.now() - started < READY_MS);
  // Closing again is harmless and resolves too.
  await within(poller.close(), READY_MS, "a second close()");
  assertEquals(poller.waitFailures, 0);
});

Deno.test("ReadinessPoller.close() resolves while a batch delay is running", async () => {
  const poller = new ReadinessPoller({ batchDelayMs: 200 });
  using pair = await connectedPair();
  const fd = fdOf(pair.server);
  const handler = new Recorder(poller, fd);
  const token = poller.watch(fd, handler);
  await pair.client.write(encoder.encode("x"));
  await until(() => handler.bytes === 1, READY_MS, "the read");
  poller.forget(token);
  await within(Promise.all([poller.close(), poller.close()]), READY_MS, "two concurrent close()");
});

Deno.test("ReadinessPoller.callSoon() from a handler calls it once more at the next batch, with 0 when its fd is not ready", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const fd = fdOf(pair.server);
  const handler = new Recorder(poller, fd); // Reads all: the fd is not ready afterwards.
  let token = 0;
  let asked = false;
  const asking: ReadinessHandler = {
    onReady(events: number): void {
      handler.onReady(events);
      if (!asked) {
        asked = true;
        poller.callSoon(token);
      }
    },
  };
  token = poller.watch(fd, asking, EPOLLIN);
  await pair.client.write(encoder.encode("once"));
  await until(() => handler.events.length === 2, READY_MS, "the call asked for");
  assertEquals(handler.events, [EPOLLIN, 0]);
  assertEquals(handler.batches[1], (handler.batches[0] ?? 0) + 1, "at the next batch");
  await sleep(QUIET_MS);
  assertEquals(handler.events.length, 2, "once, not at every batch");
  poller.forget(token);
});

Deno.test("ReadinessPoller.callSoon() is dropped by forget()", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const fd = fdOf(pair.server);
  const handler = new Recorder(poller, fd);
  let token = 0;
  const forgetting: ReadinessHandler = {
    onReady(events: number): void {
      handler.onReady(events);
      poller.callSoon(token);
      poller.forget(token);
    },
  };
  token = poller.watch(fd, forgetting, EPOLLIN);
  await pair.client.write(encoder.encode("once"));
  await until(() => handler.events.length === 1, READY_MS, "a first report");
  await sleep(QUIET_MS);
  assertEquals(handler.events, [EPOLLIN]);
});

Deno.test("ReadinessPoller.callSoon() on a ready fd makes one call in the batch, with its events", async () => {
  await using poller = openPoller();
  using pair = await connectedPair();
  const { handler, token } = await watchUnread(poller, pair);
  poller.callSoon(token);
  await until(() => handler.events.length >= 3, READY_MS, "more reports");
  poller.forget(token);
  assertEquals(new Set(handler.batches).size, handler.batches.length, "one call per batch");
  assert(handler.events.every((events) => (events & EPOLLIN) !== 0), "each with its events");
});
