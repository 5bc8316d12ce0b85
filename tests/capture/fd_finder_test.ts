import { connectedPair } from "../_connected_pair.ts";
import { assert, assertEquals } from "../../testing/std.ts";
import { FdFinder } from "../../src/capture/fd_finder.ts";
import { peerAddress } from "../../ffi/socket.ts";
import { normalizeIp } from "../../src/record/ip_address.ts";

function remoteOf(conn: Deno.TcpConn): [string, number] {
  return [normalizeIp(conn.remoteAddr.hostname), conn.remoteAddr.port];
}

function assertPeer(fd: number, conn: Deno.TcpConn): void {
  const [ip, port] = remoteOf(conn);
  assertEquals(peerAddress(fd), { ip, port });
}

Deno.test("FdFinder.find() takes an accepted connection's fd from Deno's internal symbol", async () => {
  using pair = await connectedPair();
  const finder = new FdFinder();
  const fd = finder.find(pair.server, ...remoteOf(pair.server));
  assert(fd >= 0, `fd ${fd}`);
  assertPeer(fd, pair.server);
  assertEquals([finder.symbolHits, finder.probeHits], [1, 0]);
});

Deno.test("FdFinder.find() probes when the conn has no usable fd symbol", async () => {
  using pair = await connectedPair();
  const finder = new FdFinder();
  const [ip, port] = remoteOf(pair.server);
  // A conn-like object without Deno's symbols: the finder must fall back to probing.
  const bare = {} as unknown as Deno.Conn;
  const fd = finder.find(bare, ip, port);
  assert(fd >= 0, `fd ${fd}`);
  assertPeer(fd, pair.server);
  assertEquals([finder.symbolHits, finder.probeHits], [0, 1]);
});

Deno.test("FdFinder.find() probes when the symbol's fd has another peer", async () => {
  using pair = await connectedPair();
  using other = await connectedPair();
  const finder = new FdFinder();
  // other.server's symbol names a socket whose peer is not pair.server's remote address.
  const fd = finder.find(other.server, ...remoteOf(pair.server));
  assertPeer(fd, pair.server);
  assertEquals([finder.symbolHits, finder.probeHits], [0, 1]);
});

Deno.test("FdFinder.find() returns -1 when no fd has that peer", async () => {
  using pair = await connectedPair();
  const finder = new FdFinder();
  assertEquals(finder.find({} as unknown as Deno.Conn, "192.0.2.1", 9), -1);
  assertEquals([finder.symbolHits, finder.probeHits], [0, 0]);
  // The finder still works afterwards.
  assertPeer(finder.find(pair.server, ...remoteOf(pair.server)), pair.server);
});

Deno.test("FdFinder never hands out an owned fd until it is released", async () => {
  using pair = await connectedPair();
  const finder = new FdFinder();
  const remote = remoteOf(pair.server);
  const fd = finder.find(pair.server, ...remote);
  assert(fd >= 0);
  // Owned: neither the symbol nor the probe may return it again.
  assertEquals(finder.find(pair.server, ...remote), -1);
  assertEquals(finder.find({} as unknown as Deno.Conn, ...remote), -1);
  finder.release(fd);
  assertEquals(finder.find(pair.server, ...remote), fd);
  assertEquals(finder.symbolHits, 2);
  finder.release(fd);
  // Released, the probe finds it too.
  assertEquals(finder.find({} as unknown as Deno.Conn, ...remote), fd);
  assertEquals(finder.probeHits, 1);
});

Deno.test("FdFinder.release() ignores -1 and fds it never owned", () => {
  const finder = new FdFinder();
  finder.release(-1);
  finder.release(5);
  finder.release(1 << 30);
  assertEquals([finder.symbolHits, finder.probeHits], [0, 0]);
});

Deno.test("FdFinder finds each of many connections, and the probe skips owned fds", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.TcpConn[] = [];
  try {
    const finder = new FdFinder();
    const found = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const connecting = Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      const server = await listener.accept();
      conns.push(server, await connecting);
      // Alternate between the symbol and the probe.
      const conn = i % 2 === 0 ? server : ({} as unknown as Deno.Conn);
      const fd = finder.find(conn, ...remoteOf(server));
      assertPeer(fd, server);
      found.add(fd);
    }
    assertEquals(found.size, 8);
  } finally {
    for (const conn of conns) conn.close();
    listener.close();
  }
});
