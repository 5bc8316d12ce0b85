import { connectedPair } from "../_connected_pair.ts";
import { fdOf } from "../_socket_fd.ts";
import { assert, assertEquals, assertThrows } from "../../testing/std.ts";
import {
  findListenerFd,
  isListening,
  localAddress,
  localPort,
  originalDestination,
  peerAddress,
  peerPort,
  receiveQueued,
  sendNow,
  setLingerZero,
  setListenBacklog,
  socketDrops,
} from "../../ffi/socket.ts";
import { Errno, ErrnoError } from "../../ffi/errno_error.ts";

/**
 * The fd of a connection Deno initiated: `Deno.connect` conns carry the internal fd symbol with
 * no value, so this finds it by its two ports.
 */
function clientFd(conn: Deno.TcpConn): number {
  for (let fd = 3; fd < 4096; fd++) {
    if (
      localAddress(fd)?.port === conn.localAddr.port &&
      peerAddress(fd)?.port === conn.remoteAddr.port
    ) {
      return fd;
    }
  }
  throw new Error(`No fd for local port ${conn.localAddr.port}`);
}

/** Polls a non-blocking receive until it returns something other than -EAGAIN, for 2 s. */
async function receiveSoon(fd: number, into: Uint8Array): Promise<number> {
  const deadline = Date.now() + 2000;
  let n = receiveQueued(fd, into);
  while (n === -Errno.EAGAIN && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    n = receiveQueued(fd, into);
  }
  return n;
}

Deno.test("peerAddress() and localAddress() match Deno's addresses on both ends", async () => {
  using pair = await connectedPair();
  const serverFd = fdOf(pair.server);
  const remote = pair.server.remoteAddr, local = pair.server.localAddr;
  assertEquals(peerAddress(serverFd), { ip: remote.hostname, port: remote.port });
  assertEquals(localAddress(serverFd), { ip: local.hostname, port: local.port });
  assertEquals(peerAddress(clientFd(pair.client)), {
    ip: "127.0.0.1",
    port: pair.listener.addr.port,
  });
  assertEquals(localAddress(clientFd(pair.client)), { ip: "127.0.0.1", port: remote.port });
});

Deno.test("peerAddress() and localAddress() work on IPv6 sockets", async () => {
  using listener = Deno.listen({ hostname: "::1", port: 0 });
  using client = await Deno.connect({ hostname: "::1", port: listener.addr.port });
  using server = await listener.accept();
  assertEquals(peerAddress(fdOf(server)), { ip: "::1", port: client.localAddr.port });
  assertEquals(localAddress(fdOf(server)), { ip: "::1", port: listener.addr.port });
});

Deno.test("peerAddress() and localAddress() are null for fds that are not IP sockets", () => {
  assertEquals(peerAddress(-1), null);
  assertEquals(localAddress(-1), null);
  assertEquals(peerAddress(1 << 20), null);
  assertEquals(localAddress(1 << 20), null);
});

Deno.test("peerPort() and localPort() match Deno's ports, v4 and v6; -1 for non-sockets", async () => {
  using pair = await connectedPair();
  const serverFd = fdOf(pair.server);
  assertEquals(peerPort(serverFd), pair.server.remoteAddr.port);
  assertEquals(localPort(serverFd), pair.listener.addr.port);
  using listener = Deno.listen({ hostname: "::1", port: 0 });
  using client = await Deno.connect({ hostname: "::1", port: listener.addr.port });
  using server = await listener.accept();
  assertEquals(peerPort(fdOf(server)), client.localAddr.port);
  assertEquals(localPort(fdOf(server)), listener.addr.port);
  const listenerFd = findListenerFd(listener.addr.port);
  assertEquals(peerPort(listenerFd), -1, "a listener has no peer");
  assertEquals(localPort(listenerFd), listener.addr.port);
  for (const fd of [-1, 1 << 20]) {
    assertEquals(peerPort(fd), -1);
    assertEquals(localPort(fd), -1);
  }
});

Deno.test("originalDestination() is null for a connection that was not redirected", async () => {
  using pair = await connectedPair();
  assertEquals(originalDestination(fdOf(pair.server), false), null);
});

Deno.test("originalDestination() throws an ErrnoError for a bad fd", () => {
  const error = assertThrows(() => originalDestination(-1, false), ErrnoError);
  assertEquals(error.errno, Errno.EBADF);
  assertEquals(error.code, "EBADF");
  assertEquals(error.message, "Cannot getsockopt(SO_ORIGINAL_DST): EBADF");
});

Deno.test("isListening() tells a listener from a connection", async () => {
  using pair = await connectedPair();
  const listenerFd = findListenerFd(pair.listener.addr.port);
  assertEquals(isListening(listenerFd), true);
  assertEquals(isListening(fdOf(pair.server)), false);
  assertEquals(isListening(clientFd(pair.client)), false);
  assertEquals(isListening(-1), false);
});

Deno.test("findListenerFd() finds a Deno.listen listener by port", async () => {
  using pair = await connectedPair();
  const port = pair.listener.addr.port;
  const fd = findListenerFd(port);
  assert(fd >= 0, "listener fd found");
  assertEquals(localAddress(fd), { ip: "127.0.0.1", port });
  // The accepted connection shares the port but is not listening.
  assert(fd !== fdOf(pair.server));
  pair.listener.close();
  assertEquals(findListenerFd(port), -1);
});

Deno.test("setListenBacklog() raises the backlog of a live listener", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const fd = findListenerFd(listener.addr.port);
  setListenBacklog(fd, 4096);
  // The listener still accepts after the second listen().
  using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  using server = await listener.accept();
  assertEquals(server.remoteAddr.port, client.localAddr.port);
});

Deno.test("setListenBacklog() throws an ErrnoError for a bad fd", () => {
  const error = assertThrows(() => setListenBacklog(-1, 16), ErrnoError);
  assertEquals(error.errno, Errno.EBADF);
  assertEquals(error.message, "Cannot listen: EBADF");
});

Deno.test("receiveQueued() returns -EAGAIN, then the queued bytes, then 0 at EOF", async () => {
  using pair = await connectedPair();
  const fd = fdOf(pair.server);
  const into = new Uint8Array(64);
  assertEquals(receiveQueued(fd, into), -Errno.EAGAIN);
  await pair.client.write(new TextEncoder().encode("hello"));
  const n = await receiveSoon(fd, into);
  assertEquals(n, 5);
  assertEquals(new TextDecoder().decode(into.subarray(0, n)), "hello");
  assertEquals(receiveQueued(fd, into), -Errno.EAGAIN);
  pair.client.close();
  assertEquals(await receiveSoon(fd, into), 0);
});

Deno.test("receiveQueued() takes at most the buffer's length", async () => {
  using pair = await connectedPair();
  const fd = fdOf(pair.server);
  await pair.client.write(new TextEncoder().encode("abcdefgh"));
  const into = new Uint8Array(3);
  assertEquals(await receiveSoon(fd, into), 3);
  assertEquals(new TextDecoder().decode(into), "abc");
  assertEquals(receiveQueued(fd, new Uint8Array(0)), -Errno.EAGAIN);
  const rest = new Uint8Array(16);
  assertEquals(receiveQueued(fd, rest), 5);
  assertEquals(new TextDecoder().decode(rest.subarray(0, 5)), "defgh");
});

Deno.test("receiveQueued() returns a negated errno for a bad fd", () => {
  assertEquals(receiveQueued(-1, new Uint8Array(8)), -Errno.EBADF);
});

// Deno's close() sends FIN (shutdown SHUT_WR) before it closes the fd, so the peer reads an end
// of stream either way; what SO_LINGER {1, 0} adds is the RST that tears the peer's socket down
// at once (loopback delivers it within close()), so its next send fails with EPIPE.
Deno.test("setLingerZero() makes close() reset the connection", async () => {
  using pair = await connectedPair();
  setLingerZero(clientFd(pair.client));
  pair.client.close();
  assertEquals(sendNow(fdOf(pair.server), new Uint8Array(3)), -Errno.EPIPE);
});

Deno.test("without setLingerZero() the peer can still send after close()", async () => {
  using pair = await connectedPair();
  pair.client.close();
  assertEquals(await receiveSoon(fdOf(pair.server), new Uint8Array(16)), 0);
  assertEquals(sendNow(fdOf(pair.server), new Uint8Array(3)), 3);
});

Deno.test("setLingerZero() throws an ErrnoError for a bad fd", () => {
  const error = assertThrows(() => setLingerZero(-1), ErrnoError);
  assertEquals(error.errno, Errno.EBADF);
  assertEquals(error.message, "Cannot setsockopt(SO_LINGER): EBADF");
});

Deno.test("socketDrops() counts the connection attempts a listener with a full accept queue dropped", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const fd = findListenerFd(listener.addr.port);
  setListenBacklog(fd, 1); // The queue holds 2.
  assertEquals(socketDrops(fd), 0);
  const clients = Array.from(
    { length: 8 },
    () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const drops = socketDrops(fd);
  listener.close();
  // Clients whose SYN was dropped retry it after 1 s and are refused; the others connected.
  for (const result of await Promise.allSettled(clients)) {
    if (result.status === "fulfilled") result.value.close();
  }
  assert(drops >= 1, `drops ${drops}`);
  assertEquals(socketDrops(-1), -1, "-1 for a bad fd");
});
