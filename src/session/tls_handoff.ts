/**
 * Handing a session's socket to TLS once its first reads held a whole ClientHello.
 *
 * @module
 */
import { setIntOption } from "../../ffi/socket.ts";
import { IPPROTO_TCP, TCP_NODELAY } from "../../ffi/constants.ts";
import type { ClientHello } from "../tls/client_hello.ts";
import { FdDuplex } from "../tls/fd_duplex.ts";
import type { TlsOutcome, TlsTerminator } from "../tls/terminator.ts";

/** What the handoff needs from the session that owns the socket. */
export interface TlsHandoffOwner {
  /** The socket, nonblocking, already watched by the poller. */
  readonly fd: number;
  /** The address the client dialled, for the certificate when there is no SNI. */
  readonly destinationIp: string;
  /**
   * Sets the readiness events the poller reports for the socket.
   *
   * @param events `EPOLL*` bits; 0 pauses.
   */
  setInterest(events: number): void;
  /** Called when bytes arrive. */
  onActivity(): void;
  /**
   * Receives each decrypted chunk.
   *
   * @param plain The bytes.
   */
  onData(plain: Uint8Array): void;
  /** Closes the connection, the session's way. */
  close(): void;
}

/** A running TLS session over the socket. */
export interface TlsHandoff {
  /** The stream TLS reads and writes; the poller's events for the socket go to it. */
  readonly duplex: FdDuplex;
  /** How TLS ended; never rejects. */
  readonly outcome: Promise<TlsOutcome>;
}

/**
 * Starts TLS over the socket: Nagle off (else 40 ms stalls in the handshake), a duplex that
 * first replays the hello, and the terminator's handshake.
 *
 * @param terminator The terminator.
 * @param hello The parsed hello.
 * @param replay The bytes of the hello, as read.
 * @param owner The session's side.
 * @returns The duplex and the outcome.
 */
export function handOffToTls(
  terminator: TlsTerminator,
  hello: ClientHello,
  replay: Uint8Array,
  owner: TlsHandoffOwner,
): TlsHandoff {
  try {
    setIntOption(owner.fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  } catch {
    // Closed meanwhile: the handshake fails and says so.
  }
  const duplex = new FdDuplex(owner.fd, replay, {
    setInterest: (events) => owner.setInterest(events),
    onActivity: () => owner.onActivity(),
    close: () => owner.close(),
  });
  const outcome = terminator.terminate({
    transport: duplex,
    hello,
    destinationIp: owner.destinationIp,
    onData: (plain) => owner.onData(plain),
    close: () => owner.close(),
  });
  return { duplex, outcome };
}
