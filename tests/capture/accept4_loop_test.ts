import { assert, assertEquals, assertLessOrEqual } from "../../testing/std.ts";
import { Accept4Loop } from "../../src/capture/accept4_loop.ts";
import { ConnectionFacts } from "../../src/capture/connection_facts.ts";
import type { AcceptedConnection } from "../../src/capture/accepted_connection.ts";
import { ReadinessPoller } from "../../src/capture/readiness_poller.ts";
import { Stats } from "../../src/output/stats.ts";
import { type AcceptQueue, readAcceptQueue, saveSyns } from "../../ffi/accept.ts";
import { findListenerFd, setListenBacklog } from "../../ffi/socket.ts";
import { until, within } from "../_socket_fd.ts";

/** The longest a wait that must end may take, ms. */
const WAIT_MS = 3000;

/** What one test sets up: a listener with `backlog`, `queued` clients waiting in its queue. */
interface Setup {
  listener: Deno.TcpListener;
  fd: number;
  clients: Deno.TcpConn[];
  poller: ReadinessPoller;
  stats: Stats;
  [Symbol.asyncDispose](): Promise<void>;
}

async function queued(backlog: number, count: number): Promise<Setup> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const fd = findListenerFd(listener.addr.port);
  assert(fd >= 0, "listener fd found");
  setListenBacklog(fd, backlog);
  saveSyns(fd);
  const clients: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    clients.push(await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }));
  }
  const queue: AcceptQueue = { length: -1, limit: -1 };
  assert(readAcceptQueue(fd, queue));
  assertEquals(queue, { length: count, limit: backlog });
  const poller = new ReadinessPoller();
  return {
    listener,
    fd,
    clients,
    poller,
    stats: new Stats(),
    async [Symbol.asyncDispose](): Promise<void> {
      for (const client of clients) client.close();
      listener.close();
      await within(poller.close(), WAIT_MS, "the poller closes");
    },
  };
}

/** Runs a loop over the setup, recording each connection handed on and its batch. */
function run(
  setup: Setup,
  acceptsPerEvent: number,
  onConnection: (loop: Accept4Loop, handed: number) => void = () => {},
): { loop: Accept4Loop; handed: AcceptedConnection[]; batches: number[] } {
  const handed: AcceptedConnection[] = [];
  const batches: number[] = [];
  const loop: Accept4Loop = new Accept4Loop(
    setup.fd,
    setup.poller,
    new ConnectionFacts(setup.stats, false),
    setup.stats,
    (connection) => {
      handed.push(connection);
      batches.push(setup.poller.batches);
      onConnection(loop, handed.length);
    },
    { acceptsPerEvent },
  );
  return { loop, handed, batches };
}

/** The most connections handed on in one batch. */
function mostPerBatch(batches: number[]): number {
  const counts = new Map<number, number>();
  for (const batch of batches) counts.set(batch, (counts.get(batch) ?? 0) + 1);
  return Math.max(...counts.values());
}

Deno.test("Accept4Loop accepts ahead once the kernel's queue is 3/4 full, and hands on in order, a budget per batch", async () => {
  await using setup = await queued(16, 14);
  const queue: AcceptQueue = { length: -1, limit: -1 };
  const lengths: number[] = [];
  const { loop, handed, batches } = run(setup, 2, () => {
    readAcceptQueue(setup.fd, queue);
    lengths.push(queue.length);
  });
  try {
    await until(() => handed.length === 14, WAIT_MS, "14 connections");
    // 2 taken in turn; the queue (12) was then 3/4 full: 4 accepted ahead, down to half (8).
    assertEquals(setup.stats.connectionsAcceptedAhead, 4);
    assertEquals(setup.stats.connectionsAccepted, 14);
    assertEquals(lengths.slice(0, 3), [13, 12, 8], "the third was accepted ahead");
    assertEquals(
      handed.map((c) => c.source.port),
      setup.clients.map((c) => c.localAddr.port),
      "in the order they connected",
    );
    assertLessOrEqual(mostPerBatch(batches), 2);
    for (const connection of handed) {
      assertEquals(connection.destination.port, setup.listener.addr.port);
      assertEquals(connection.firstRecordFields?.["syn_ttl"], 64, "the SYN read when handed on");
    }
    assertEquals(loop.heldAhead, 0);
  } finally {
    loop.close();
    for (const connection of handed) connection.close();
  }
});

Deno.test("Accept4Loop does not accept ahead while the kernel's queue is under 3/4 full", async () => {
  await using setup = await queued(64, 14);
  const { loop, handed, batches } = run(setup, 2);
  try {
    await until(() => handed.length === 14, WAIT_MS, "14 connections");
    assertEquals(setup.stats.connectionsAcceptedAhead, 0);
    assertLessOrEqual(mostPerBatch(batches), 2);
    assertEquals(
      handed.map((c) => c.source.port),
      setup.clients.map((c) => c.localAddr.port),
    );
  } finally {
    loop.close();
    for (const connection of handed) connection.close();
  }
});

Deno.test("Accept4Loop.close() hands on at once the connections it accepted ahead", async () => {
  await using setup = await queued(16, 14);
  // 1 taken in turn, then 5 accepted ahead (13 down to 8); closed when the first of those comes.
  const { loop, handed } = run(setup, 1, (loop, count) => {
    if (count === 2) loop.close();
  });
  await within(loop.stopped, WAIT_MS, "the loop stops");
  assertEquals(setup.stats.connectionsAcceptedAhead, 5);
  assertEquals(handed.length, 6, "the one taken in turn and the 5 held");
  assertEquals(loop.heldAhead, 0);
  const queue: AcceptQueue = { length: -1, limit: -1 };
  assert(readAcceptQueue(setup.fd, queue));
  assertEquals(queue.length, 8, "the rest stay in the kernel's queue");
  for (const connection of handed) connection.close();
});
