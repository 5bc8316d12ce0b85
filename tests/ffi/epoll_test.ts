import { connectedPair, type Pair } from "../_connected_pair.ts";
import { fdOf, sleep } from "../_socket_fd.ts";
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLess,
  assertRejects,
  assertThrows,
} from "../../testing/std.ts";
import { Epoll, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from "../../ffi/epoll.ts";
import { receiveQueued } from "../../ffi/socket.ts";
import { Errno, ErrnoError } from "../../ffi/errno_error.ts";

/** A wait short enough to keep tests fast, long enough to catch a wrong report. */
const QUIET_MS = 50;
/** The longest a wait for an event that must come may take. */
const READY_MS = 1000;

const EEXIST = 17;

const encoder = new TextEncoder();

/** The events of the last wait, by token. */
function eventsByToken(epoll: Epoll, n: number): Map<number, number> {
  const events = new Map<number, number>();
  for (let i = 0; i < n; i++) events.set(epoll.token(i), epoll.events(i));
  return events;
}

/** Waits once and returns what was reported, by token. */
async function waitOnce(epoll: Epoll, timeoutMs: number): Promise<Map<number, number>> {
  const n = await epoll.wait(timeoutMs);
  assertGreaterOrEqual(n, 0, "epoll_wait failed");
  return eventsByToken(epoll, n);
}

/** Drains what is queued on a socket fd. */
function drain(fd: number): number {
  const buffer = new Uint8Array(4096);
  let total = 0;
  for (;;) {
    const n = receiveQueued(fd, buffer);
    if (n <= 0) return total;
    total += n;
  }
}

Deno.test("Epoll reports an fd with queued bytes with EPOLLIN and its token", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  const fd = fdOf(pair.server);
  epoll.add(fd, 7, EPOLLIN);
  assertEquals(await epoll.wait(QUIET_MS), 0, "nothing to read yet");
  await pair.client.write(encoder.encode("ping"));
  const events = await waitOnce(epoll, READY_MS);
  assertEquals([...events.keys()], [7]);
  assertEquals((events.get(7) ?? 0) & EPOLLIN, EPOLLIN);
});

Deno.test("Epoll does not report an fd that has nothing to read", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  epoll.add(fdOf(pair.server), 1, EPOLLIN | EPOLLRDHUP);
  const started = Date.now();
  assertEquals(await epoll.wait(QUIET_MS), 0);
  assertGreaterOrEqual(Date.now() - started, QUIET_MS - 5, "the wait lasted its timeout");
});

Deno.test("Epoll returns tokens whole, above 2^32 and up to 2^53 - 1", async () => {
  const tokens = [1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 2 ** 31 + 3, 2 ** 53 - 1];
  const pairs: Pair[] = [];
  using epoll = openEpoll();
  try {
    for (const token of tokens) {
      const pair = await connectedPair();
      pairs.push(pair);
      epoll.add(fdOf(pair.server), token, EPOLLIN);
      await pair.client.write(encoder.encode("x"));
    }
    const seen = new Map<number, number>();
    const deadline = Date.now() + READY_MS;
    while (seen.size < tokens.length && Date.now() < deadline) {
      for (const [token, events] of await waitOnce(epoll, READY_MS)) seen.set(token, events);
    }
    assertEquals([...seen.keys()].sort((a, b) => a - b), tokens);
    for (const events of seen.values()) assertEquals(events & EPOLLIN, EPOLLIN);
  } finally {
    for (const pair of pairs) pair[Symbol.dispose]();
  }
});

Deno.test("Epoll keeps reporting a readable fd until it is drained (level-triggered)", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  const fd = fdOf(pair.server);
  epoll.add(fd, 3, EPOLLIN);
  await pair.client.write(encoder.encode("abc"));
  assertEquals([...(await waitOnce(epoll, READY_MS)).keys()], [3]);
  assertEquals([...(await waitOnce(epoll, READY_MS)).keys()], [3], "reported again");
  assertEquals(drain(fd), 3);
  assertEquals(await epoll.wait(QUIET_MS), 0, "nothing left to report");
});

Deno.test("Epoll.modify() to 0 pauses EPOLLIN reports, and back resumes them", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  const fd = fdOf(pair.server);
  epoll.add(fd, 9, EPOLLIN);
  await pair.client.write(encoder.encode("queued"));
  assertEquals([...(await waitOnce(epoll, READY_MS)).keys()], [9]);
  epoll.modify(fd, 9, 0);
  assertEquals(await epoll.wait(QUIET_MS), 0, "paused");
  epoll.modify(fd, 9, EPOLLIN);
  assertEquals([...(await waitOnce(epoll, READY_MS)).keys()], [9], "resumed");
});

Deno.test("Epoll.modify() changes the token an fd is reported with", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  const fd = fdOf(pair.server);
  epoll.add(fd, 11, EPOLLIN);
  await pair.client.write(encoder.encode("z"));
  epoll.modify(fd, 2 ** 33 + 11, EPOLLIN);
  assertEquals([...(await waitOnce(epoll, READY_MS)).keys()], [2 ** 33 + 11]);
});

Deno.test("Epoll reports EPOLLOUT for a socket with room to send", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  epoll.add(fdOf(pair.server), 4, EPOLLOUT);
  const events = await waitOnce(epoll, READY_MS);
  assertEquals((events.get(4) ?? 0) & (EPOLLOUT | EPOLLIN), EPOLLOUT);
});

Deno.test("Epoll reports EPOLLIN | EPOLLRDHUP when the peer closes", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  epoll.add(fdOf(pair.server), 5, EPOLLIN | EPOLLRDHUP);
  pair.client.close();
  const events = await waitOnce(epoll, READY_MS);
  const bits = events.get(5) ?? 0;
  assertEquals(bits & (EPOLLIN | EPOLLRDHUP), EPOLLIN | EPOLLRDHUP);
});

Deno.test("Epoll.remove() returns true, then false; a removed fd is not reported", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  const fd = fdOf(pair.server);
  epoll.add(fd, 6, EPOLLIN);
  await pair.client.write(encoder.encode("data"));
  assertEquals(epoll.remove(fd), true);
  assertEquals(epoll.remove(fd), false);
  assertEquals(await epoll.wait(QUIET_MS), 0);
});

Deno.test("Epoll.add() and modify() throw an ErrnoError for a bad or unknown fd", async () => {
  using pair = await connectedPair();
  using epoll = openEpoll();
  const fd = fdOf(pair.server);
  assertEquals(assertThrows(() => epoll.add(-1, 1, EPOLLIN), ErrnoError).errno, Errno.EBADF);
  assertEquals(assertThrows(() => epoll.modify(fd, 1, EPOLLIN), ErrnoError).errno, Errno.ENOENT);
  epoll.add(fd, 1, EPOLLIN);
  assertEquals(assertThrows(() => epoll.add(fd, 2, EPOLLIN), ErrnoError).errno, EEXIST);
  assertEquals(epoll.remove(-1), false);
});

Deno.test("Epoll.wait() returns at most maxEvents events", async () => {
  const pairs: Pair[] = [];
  using epoll = openEpoll(2);
  try {
    for (let token = 1; token <= 3; token++) {
      const pair = await connectedPair();
      pairs.push(pair);
      epoll.add(fdOf(pair.server), token, EPOLLIN);
      await pair.client.write(encoder.encode("x"));
    }
    assertEquals(epoll.maxEvents, 2);
    // Let all three be queued, then one wait sees at most two.
    await sleep(10);
    assertEquals(await epoll.wait(READY_MS), 2);
  } finally {
    for (const pair of pairs) pair[Symbol.dispose]();
  }
});

Deno.test("Epoll.wake() makes a pending wait return with token 0, and every later one", async () => {
  using epoll = openEpoll();
  const started = Date.now();
  const waiting = epoll.wait(5000);
  await sleep(20);
  epoll.wake();
  assertEquals(await waiting, 1);
  assertLess(Date.now() - started, 2000, "woken, not timed out");
  assertEquals(epoll.token(0), 0);
  assertEquals(epoll.events(0) & EPOLLIN, EPOLLIN);
  const again = Date.now();
  assertEquals(await epoll.wait(5000), 1);
  assertEquals(epoll.token(0), 0);
  assertLess(Date.now() - again, 2000, "a later wait returns at once");
});

Deno.test("Epoll.wait() rejects while another wait is running", async () => {
  using epoll = openEpoll();
  const first = epoll.wait(5000);
  await assertRejects(() => epoll.wait(0), Error, "a wait is already running");
  epoll.wake();
  assertEquals(await first, 1);
  // The first wait has ended: waiting again is allowed.
  assertEquals(await epoll.wait(0), 1);
});

Deno.test("Epoll.wait() rejects after close(); close() twice is harmless", async () => {
  const epoll = new Epoll();
  assert(epoll.fd >= 0);
  epoll.close();
  epoll.close();
  await assertRejects(() => epoll.wait(0), Error, "the set is closed");
});

/** A new Epoll that a `using` declaration closes. */
function openEpoll(maxEvents?: number): Epoll & Disposable {
  const epoll = new Epoll(maxEvents);
  return Object.assign(epoll, { [Symbol.dispose]: (): void => epoll.close() });
}
