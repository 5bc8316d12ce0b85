import { assert, assertEquals, assertGreaterOrEqual } from "../../testing/std.ts";
import {
  acceptConnection,
  type AcceptedSocket,
  type AcceptQueue,
  closeFd,
  readAcceptQueue,
  readSavedSyn,
  readTcpInfo,
  roundTripMicros,
  saveSyns,
  TCP_CLOSE_WAIT,
} from "../../ffi/accept.ts";
import { findListenerFd, receiveQueued, setListenBacklog } from "../../ffi/socket.ts";
import { Errno } from "../../ffi/errno_error.ts";
import { parseSyn } from "../../src/capture/syn_fingerprint.ts";

/** A listener on a free loopback port, its fd, and a tidy close. */
function listen(hostname = "127.0.0.1"): { listener: Deno.TcpListener; fd: number; port: number } {
  const listener = Deno.listen({ hostname, port: 0 });
  const port = listener.addr.port;
  const fd = findListenerFd(port);
  assert(fd >= 0, "listener fd found");
  return { listener, fd, port };
}

/** Accepts until a connection comes, for 2 s. */
async function acceptSoon(fd: number): Promise<AcceptedSocket> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const accepted = acceptConnection(fd);
    if (typeof accepted !== "number") return accepted;
    assertEquals(accepted, -Errno.EAGAIN);
    if (Date.now() > deadline) throw new Error("no connection to accept");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("acceptConnection() returns -EAGAIN on an empty queue, then the fd and peer of a client", async () => {
  const { listener, fd, port } = listen();
  try {
    assertEquals(acceptConnection(fd), -Errno.EAGAIN);
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    const accepted = await acceptSoon(fd);
    assertEquals(accepted.peer, { ip: "127.0.0.1", port: client.localAddr.port });
    await client.write(new TextEncoder().encode("hello"));
    const into = new Uint8Array(16);
    let n = -Errno.EAGAIN;
    for (let i = 0; i < 200 && n === -Errno.EAGAIN; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      n = receiveQueued(accepted.fd, into);
    }
    assertEquals(new TextDecoder().decode(into.subarray(0, n)), "hello");
    assertEquals(closeFd(accepted.fd), 0);
    assertEquals(closeFd(accepted.fd), -Errno.EBADF);
    client.close();
  } finally {
    listener.close();
  }
});

Deno.test("a client that sends and resets before accept is still handed out, with its address and bytes", async () => {
  const { listener, fd, port } = listen();
  try {
    const client = new Deno.Command("python3", {
      args: [
        "-c",
        `import socket, struct
s = socket.create_connection(("127.0.0.1", ${port}))
s.sendall(b"sent-then-reset")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
print(s.getsockname()[1])
s.close()`,
      ],
      stdout: "piped",
    });
    const output = await client.output();
    assert(output.success);
    const clientPort = Number(new TextDecoder().decode(output.stdout).trim());
    const accepted = await acceptSoon(fd);
    assertEquals(accepted.peer, { ip: "127.0.0.1", port: clientPort });
    const into = new Uint8Array(64);
    const n = receiveQueued(accepted.fd, into);
    assertEquals(new TextDecoder().decode(into.subarray(0, n)), "sent-then-reset");
    assertEquals(receiveQueued(accepted.fd, into), -Errno.ECONNRESET);
    closeFd(accepted.fd);
  } finally {
    listener.close();
  }
});

Deno.test("readSavedSyn() returns the client's SYN once with TCP_SAVE_SYN, nothing without; roundTripMicros() answers", async () => {
  for (const save of [true, false]) {
    const { listener, fd, port } = listen();
    try {
      if (save) saveSyns(fd);
      const client = await Deno.connect({ hostname: "127.0.0.1", port });
      const accepted = await acceptSoon(fd);
      const bytes = readSavedSyn(accepted.fd);
      if (save) {
        assert(bytes !== null, "a SYN was saved");
        const syn = parseSyn(bytes);
        assertEquals(syn?.ttl, 64, "Linux's default TTL");
        assertEquals(syn?.df, true);
        assertEquals(syn?.options, "2-4-8-1-3", "Linux's option order");
        assertEquals(syn?.mss, 65495, "loopback MTU 65536 - 40");
        assertEquals(readSavedSyn(accepted.fd), null, "handed out once");
      } else {
        assertEquals(bytes, null);
      }
      assertGreaterOrEqual(roundTripMicros(accepted.fd), 0);
      closeFd(accepted.fd);
      client.close();
    } finally {
      listener.close();
    }
  }
});

Deno.test("roundTripMicros() is -1 and readSavedSyn() throws for an fd that is not a TCP socket", () => {
  assertEquals(roundTripMicros(0x7fff), -1);
  let threw = false;
  try {
    readSavedSyn(0x7fff);
  } catch (error) {
    threw = error instanceof Error && error.message.includes("TCP_SAVED_SYN");
  }
  assert(threw, "an ErrnoError naming the option");
});

Deno.test("readTcpInfo() reports ESTABLISHED for an open client, CLOSE_WAIT once its FIN arrived", async () => {
  const { listener, fd, port } = listen();
  const TCP_ESTABLISHED = 1;
  try {
    const open = await Deno.connect({ hostname: "127.0.0.1", port });
    const finished = await Deno.connect({ hostname: "127.0.0.1", port });
    await finished.write(new TextEncoder().encode("bye"));
    finished.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const facts = { rttUs: -1, state: -1 };
    const first = await acceptSoon(fd);
    const second = await acceptSoon(fd);
    assertEquals(readTcpInfo(first.fd, facts), true);
    assertEquals(facts.state, TCP_ESTABLISHED);
    assertGreaterOrEqual(facts.rttUs, 0);
    assertEquals(readTcpInfo(second.fd, facts), true);
    assertEquals(facts.state, TCP_CLOSE_WAIT);
    const buffer = new Uint8Array(16);
    assertEquals(receiveQueued(second.fd, buffer), 3, "what it sent is still queued");
    assertEquals(readTcpInfo(0x7fff, facts), false);
    assertEquals(facts, { rttUs: -1, state: -1 });
    closeFd(first.fd);
    closeFd(second.fd);
    open.close();
  } finally {
    listener.close();
  }
});

Deno.test("readAcceptQueue() reads a listener's queue length and limit, and fails on a connection", async () => {
  const { listener, fd, port } = listen();
  const clients: Deno.TcpConn[] = [];
  try {
    setListenBacklog(fd, 8);
    const queue: AcceptQueue = { length: -1, limit: -1 };
    assertEquals(readAcceptQueue(fd, queue), true);
    assertEquals(queue, { length: 0, limit: 8 });
    for (let i = 0; i < 3; i++) clients.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    assertEquals(readAcceptQueue(fd, queue), true);
    assertEquals(queue, { length: 3, limit: 8 });
    const accepted = await acceptSoon(fd);
    assertEquals(readAcceptQueue(fd, queue), true);
    assertEquals(queue.length, 2);
    assertEquals(readAcceptQueue(accepted.fd, queue), false, "not a listening socket");
    assertEquals(queue, { length: -1, limit: -1 });
    closeFd(accepted.fd);
  } finally {
    for (const client of clients) client.close();
    listener.close();
  }
});
