import { connectedPair, type Pair } from "../_connected_pair.ts";
import { fdOf, within } from "../_socket_fd.ts";
import { buildClientHello, pointFormatsBody, u16ListBody } from "./_fixtures.ts";
import { assertEquals } from "../../testing/std.ts";
import { FdDuplex } from "../../src/tls/fd_duplex.ts";
import { parseClientHello } from "../../src/tls/client_hello.ts";
import { type TlsOutcome, TlsTerminator } from "../../src/tls/terminator.ts";
import { DEFAULT_CERT_CACHE } from "../../src/config/tls.ts";
import { ReadinessPoller } from "../../src/capture/readiness_poller.ts";
import { EPOLLIN, EPOLLRDHUP } from "../../ffi/epoll.ts";

/** The longest an outcome may take once the connection is gone: far below the handshake's. */
const READY_MS = 1500;
/** The handshake deadline in these tests: an outcome that waits for it never comes in time. */
const HANDSHAKE_TIMEOUT_MS = 3_600_000;

/** A TLS 1.2 hello node:tls answers (ECDHE with P-256 or X25519). */
const HELLO = buildClientHello({
  ciphers: [0xc02b, 0xc02f],
  extensions: [
    [10, u16ListBody([0x17, 0x1d])],
    [11, pointFormatsBody([0])],
    [13, u16ListBody([0x0403, 0x0804, 0x0401])],
  ],
});

/** A terminator making its own certificates, as with the shipped config. */
function coldTerminator(): TlsTerminator {
  return TlsTerminator.create({
    enabled: true,
    certFile: null,
    keyFile: null,
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    certCache: DEFAULT_CERT_CACHE,
  });
}

/** TLS over the accepted end of a loopback pair, its fd watched the way a session watches it. */
interface Running extends AsyncDisposable {
  pair: Pair;
  duplex: FdDuplex;
  outcome: Promise<TlsOutcome>;
  /** Closes the socket the session's way: forget the fd, then detach the duplex. */
  closeAsSession(): void;
}

async function runTls(terminator: TlsTerminator): Promise<Running> {
  const poller = new ReadinessPoller();
  const pair = await connectedPair();
  const fd = fdOf(pair.server);
  let token = 0;
  let closed = false;
  const closeAsSession = (): void => {
    if (closed) return;
    closed = true;
    poller.forget(token);
    duplex.detach();
  };
  const duplex = new FdDuplex(fd, HELLO, {
    setInterest: (events) => {
      if (!closed) poller.change(fd, token, events);
    },
    onActivity: () => {},
    close: closeAsSession,
  });
  token = poller.watch(fd, duplex, EPOLLIN | EPOLLRDHUP);
  const outcome = terminator.terminate({
    transport: duplex,
    hello: parseClientHello(HELLO),
    destinationIp: "127.0.0.1",
    onData: () => {},
    close: closeAsSession,
  });
  return {
    pair,
    duplex,
    outcome,
    closeAsSession,
    async [Symbol.asyncDispose](): Promise<void> {
      closeAsSession();
      await outcome;
      for (const conn of [pair.client, pair.server]) {
        try {
          conn.close();
        } catch {
          // The test closed it.
        }
      }
      await poller.close();
    },
  };
}

Deno.test("TLS ends at once when the session closes while the certificate is being made", async () => {
  await using tls = await runTls(coldTerminator());
  tls.closeAsSession(); // The first certificate takes tens of ms to make.
  const outcome = await within(tls.outcome, READY_MS, "the outcome");
  assertEquals(outcome, { handshake: false, error: "the connection was closed" });
});

Deno.test("TLS ends when the session closes after the server's first flight", async () => {
  await using tls = await runTls(coldTerminator());
  const flight = new Uint8Array(65536);
  const n = await tls.pair.client.read(flight);
  assertEquals(flight[0], 22, `a handshake record, not ${n} bytes of ${flight[0]}`);
  tls.closeAsSession();
  const outcome = await within(tls.outcome, READY_MS, "the outcome");
  assertEquals(outcome.handshake, false);
});

Deno.test("TLS ends with the client when it leaves before the certificate is made", async () => {
  await using tls = await runTls(coldTerminator());
  tls.pair.client.close();
  const outcome = await within(tls.outcome, READY_MS, "the outcome");
  assertEquals(outcome.handshake, false);
});
