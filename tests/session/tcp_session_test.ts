import { connectedPair } from "../_connected_pair.ts";
import { fdOf, sleep } from "../_socket_fd.ts";
import { assertEquals } from "../../testing/std.ts";
import { TcpSession } from "../../src/session/tcp_session.ts";
import type { AcceptedConnection } from "../../src/capture/accepted_connection.ts";
import type { ReadinessPoller } from "../../src/capture/readiness_poller.ts";
import { RecordWriter } from "../../src/output/record_writer.ts";
import { Stats } from "../../src/output/stats.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A session under test, its counters, its watch count and its records. */
interface Harness {
  tcp: TcpSession;
  stats: Stats;
  watches(): number;
  records(): Promise<Record<string, unknown>[]>;
}

/** A session over the accepted side of a pair, with a poller that only counts watches. */
function session(server: Deno.TcpConn, peerFinished: boolean): Harness {
  const stats = new Stats();
  let text = "";
  const writer = new RecordWriter(
    { write: (bytes) => Promise.resolve((text += decoder.decode(bytes), bytes.length)) },
    1 << 20,
    stats,
  );
  let watches = 0;
  const poller = {
    watch: () => ++watches,
    change: () => {},
    forget: () => {},
  } as unknown as ReadinessPoller;
  const connection: AcceptedConnection = {
    fd: fdOf(server),
    source: { ip: "127.0.0.1", port: 1 },
    destination: { ip: "127.0.0.1", port: 2 },
    acceptedAtMs: Date.now(),
    firstRecordFields: undefined,
    peerFinished,
    close: () => {},
  };
  const context = {
    sensorName: "t",
    readSize: 4096,
    maxBytes: 1 << 20,
    recordSilent: true,
    writer,
    stats,
    poller,
  };
  const tcp = new TcpSession(connection, context, () => {});
  return {
    tcp,
    stats,
    watches: () => watches,
    records: async () => {
      await writer.flush();
      return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
    },
  };
}

Deno.test("TcpSession records a client that sent and ended before it started, without watching it", async () => {
  for (const peerFinished of [true, false]) {
    using pair = await connectedPair();
    await pair.client.write(encoder.encode("hello"));
    pair.client.close();
    await sleep(50);
    const s = session(pair.server, peerFinished);
    s.tcp.start();
    assertEquals(s.tcp.closed, true, "ended at start");
    assertEquals(s.watches(), 0, "never watched");
    const records = await s.records();
    assertEquals(records.map((r) => [r["payload"], r["seq"], r["silent"]]), [["hello", 1, false]]);
    assertEquals(s.stats.connectionsOpen, 0);
  }
});

Deno.test("TcpSession watches a client that is still sending after what it read at start", async () => {
  using pair = await connectedPair();
  await pair.client.write(encoder.encode("hi"));
  await sleep(50);
  const s = session(pair.server, false);
  s.tcp.start();
  assertEquals(s.tcp.closed, false);
  assertEquals(s.watches(), 1);
  s.tcp.close("shutdown");
  const records = await s.records();
  assertEquals(records.map((r) => r["payload"]), ["hi"]);
});
