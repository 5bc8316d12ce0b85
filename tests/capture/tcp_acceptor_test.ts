import { assert, assertEquals, assertLessOrEqual } from "../../testing/std.ts";
import { TcpAcceptor } from "../../src/capture/tcp_acceptor.ts";
import type { AcceptedConnection } from "../../src/capture/accepted_connection.ts";
import { ACCEPTS_PER_EVENT } from "../../src/capture/accept4_loop.ts";
import { ReadinessPoller } from "../../src/capture/readiness_poller.ts";
import { Stats } from "../../src/output/stats.ts";
import { peerAddress } from "../../ffi/socket.ts";
import { within } from "../_socket_fd.ts";
import type { AcceptEngine } from "../../src/config/accept.ts";

const ENGINES: AcceptEngine[] = ["accept4", "deno"];

/** Waits until `ready()` holds, for 3 s. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

for (const engine of ENGINES) {
  Deno.test(`TcpAcceptor (${engine}) hands on an fd with the client, the destination, the SYN fields and a close()`, async () => {
    const stats = new Stats();
    const poller = new ReadinessPoller();
    const acceptor = new TcpAcceptor(
      { ip: "127.0.0.1", port: 0, backlog: 128, mode: "redirect", accept: engine },
      stats,
    );
    const got: AcceptedConnection[] = [];
    const running = acceptor.run((c) => got.push(c), poller);
    try {
      assertEquals(acceptor.engine, engine);
      const port = acceptor.address.port;
      const client = await Deno.connect({ hostname: "127.0.0.1", port });
      await until(() => got.length === 1, "one connection");
      const accepted = got[0];
      assert(accepted !== undefined);
      assertEquals(accepted.source, { ip: "127.0.0.1", port: client.localAddr.port });
      // Not redirected: the local address is the destination.
      assertEquals(accepted.destination, { ip: "127.0.0.1", port });
      assertEquals(peerAddress(accepted.fd)?.port, client.localAddr.port);
      const fields = accepted.firstRecordFields ?? {};
      assertEquals(fields["syn_ttl"], 64);
      assertEquals(fields["syn_options"], "2-4-8-1-3");
      assertEquals(fields["syn_mss"], 65495);
      assertEquals(fields["syn_df"], true);
      assertEquals(typeof fields["rtt_us"], "number");
      assertEquals(stats.connectionsAccepted, 1);
      assertEquals(stats.synMissing, 0);
      accepted.close();
      const buffer = new Uint8Array(8);
      assertEquals(await within(client.read(buffer), 2000, "the client sees the close"), null);
      client.close();
    } finally {
      acceptor.close();
      await within(running, 2000, "run() ends after close()");
      await poller.close();
    }
  });
}

Deno.test(`TcpAcceptor (accept4) takes at most ACCEPTS_PER_EVENT connections per readiness event`, async () => {
  const stats = new Stats();
  const poller = new ReadinessPoller();
  const acceptor = new TcpAcceptor(
    { ip: "127.0.0.1", port: 0, backlog: 1024, mode: "redirect", accept: "accept4" },
    stats,
  );
  const count = ACCEPTS_PER_EVENT * 2 + 22;
  const clients: Deno.TcpConn[] = [];
  const perBatch = new Map<number, number>();
  let running: Promise<void> | undefined;
  try {
    // Queue them all before accepting starts.
    for (let i = 0; i < count; i++) {
      clients.push(await Deno.connect({ hostname: "127.0.0.1", port: acceptor.address.port }));
    }
    const accepted: AcceptedConnection[] = [];
    running = acceptor.run((c) => {
      accepted.push(c);
      perBatch.set(poller.batches, (perBatch.get(poller.batches) ?? 0) + 1);
    }, poller);
    await until(() => accepted.length === count, `${count} connections`);
    for (const c of accepted) c.close();
    assertEquals(new Set(accepted.map((c) => c.source.port)).size, count);
    assertLessOrEqual(Math.max(...perBatch.values()), ACCEPTS_PER_EVENT);
    assert(perBatch.size >= 3, `spread over ${perBatch.size} batches`);
  } finally {
    for (const c of clients) c.close();
    acceptor.close();
    await running;
    await poller.close();
  }
});

Deno.test("TcpAcceptor.listenDrops counts attempts dropped at a full accept queue, and keeps the count once closed", async () => {
  const acceptor = new TcpAcceptor(
    { ip: "127.0.0.1", port: 0, backlog: 1, mode: "redirect", accept: "accept4" },
    new Stats(),
  );
  assertEquals(acceptor.listenDrops, 0);
  // Not accepting: the queue (2) fills and the rest of the SYNs are dropped.
  const clients = Array.from(
    { length: 8 },
    () => Deno.connect({ hostname: "127.0.0.1", port: acceptor.address.port }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const drops = acceptor.listenDrops ?? 0;
  assert(drops >= 1, `listenDrops ${acceptor.listenDrops}`);
  acceptor.close();
  assertEquals(acceptor.listenDrops, drops, "the count when it closed");
  // The dropped clients retry after 1 s and are refused; the others connected.
  for (const result of await Promise.allSettled(clients)) {
    if (result.status === "fulfilled") result.value.close();
  }
});
