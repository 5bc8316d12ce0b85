/**
 * The TCP capture engine: listens, accepts every connection, and resolves each one's real
 * source, the destination the client dialled and the facts of its handshake before handing it
 * on. Two engines accept: `accept4` in the sensor's own epoll set (the default), or Deno's
 * `listener.accept()` (`accept = "deno"`).
 *
 * @module
 */
import {
  findListenerFd,
  keepUrgentInline,
  setListenBacklog,
  socketDrops,
} from "../../ffi/socket.ts";
import { saveSyns } from "../../ffi/accept.ts";
import { enableTransparent } from "../../ffi/transparent.ts";
import type { Stats } from "../output/stats.ts";
import { reportDiagnostic } from "../output/events.ts";
import type { Mode } from "../config/mode.ts";
import type { AcceptEngine } from "../config/accept.ts";
import type { ConnectionHandler } from "./accepted_connection.ts";
import { ConnectionFacts } from "./connection_facts.ts";
import { denoAcceptLoop } from "./deno_accept_loop.ts";
import { Accept4Loop } from "./accept4_loop.ts";
import type { ReadinessPoller } from "./readiness_poller.ts";

export type { AcceptedConnection, ConnectionHandler } from "./accepted_connection.ts";

/** Where and how to listen. */
export interface AcceptorOptions {
  /** Address to bind. */
  ip: string;
  /** Port to bind. */
  port: number;
  /** The listen backlog. */
  backlog: number;
  /** "tproxy" marks the listener transparent and takes each connection's local address as its
   * destination; "redirect" reads `SO_ORIGINAL_DST`. */
  mode: Mode;
  /** Which engine accepts; default `"accept4"`. */
  accept?: AcceptEngine;
}

/**
 * Applies one setting to the listening socket through FFI. The sensor works without it, so a
 * failure is reported on stderr, not thrown.
 */
function tuneListener(fd: number, what: string, apply: (fd: number) => void): void {
  try {
    if (fd < 0) throw new Error("listening socket not found");
    apply(fd);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    reportDiagnostic(`Cannot ${what}: ${detail}`);
  }
}

/**
 * Accepts TCP connections for ever, until closed. Whichever engine accepts, the loop survives
 * every accept error: EMFILE and ENFILE back off (5 ms, doubling to 500 ms) without spinning,
 * anything else is counted and the loop goes on. It stops only when the listener is closed.
 */
export class TcpAcceptor {
  /** The engine in use. */
  readonly engine: AcceptEngine;
  readonly #listener: Deno.TcpListener;
  readonly #listenerFd: number;
  readonly #stats: Stats;
  readonly #facts: ConnectionFacts;
  #accept4: Accept4Loop | undefined;
  /** The listener's drop count when it was closed. */
  #dropsAtClose = -1;
  #closed = false;

  /**
   * Listens on the address (`Deno.listen`: its errors, dual stack and permissions), then through
   * FFI raises the backlog, keeps urgent bytes in the stream (`SO_OOBINLINE`) and keeps each
   * client's SYN (`TCP_SAVE_SYN`), which accepted connections inherit or carry; in tproxy mode,
   * marks the listener transparent (`IP_TRANSPARENT`), which works on the bound socket because
   * TPROXY checks the mark as each packet arrives.
   *
   * @param options Where to listen, and which engine accepts.
   * @param stats Where accepts and their errors are counted.
   * @throws {Deno.errors.AddrInUse} When another process holds the port.
   * @throws {ErrnoError} In tproxy mode, when the listener cannot be made transparent, such as
   * without CAP_NET_ADMIN.
   * @throws {Error} With `accept4`, when the listening socket's fd cannot be found.
   */
  constructor(options: AcceptorOptions, stats: Stats) {
    this.#stats = stats;
    this.engine = options.accept ?? "accept4";
    const tproxy = options.mode === "tproxy";
    this.#facts = new ConnectionFacts(stats, tproxy);
    this.#listener = Deno.listen({ hostname: options.ip, port: options.port, transport: "tcp" });
    const fd = findListenerFd(this.#listener.addr.port);
    this.#listenerFd = fd;
    try {
      if (fd < 0 && (tproxy || this.engine === "accept4")) {
        throw new Error(
          `Cannot ${tproxy ? "enable tproxy mode" : "accept with accept4"}: ` +
            "listening socket not found",
        );
      }
      if (tproxy) enableTransparent(fd);
    } catch (error) {
      this.#listener.close();
      throw error;
    }
    tuneListener(
      fd,
      `raise the listen backlog to ${options.backlog}`,
      (listener) => setListenBacklog(listener, options.backlog),
    );
    tuneListener(fd, "keep urgent bytes in the stream (SO_OOBINLINE)", keepUrgentInline);
    tuneListener(fd, "keep each client's SYN (TCP_SAVE_SYN)", saveSyns);
  }

  /** The address the listener is bound to. */
  get address(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /**
   * Accepts connections until {@linkcode TcpAcceptor.close} is called.
   *
   * @param handler Receives each connection.
   * @param poller The sessions' poller, which the `accept4` engine also watches the listener
   * with.
   * @returns When accepting has stopped.
   * @throws {ErrnoError} With `accept4`, when the listener cannot be watched (at once, not in
   * the promise).
   */
  run(handler: ConnectionHandler, poller: ReadinessPoller): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.engine === "deno") {
      return denoAcceptLoop(this.#listener, this.#facts, this.#stats, handler, () => this.#closed);
    }
    this.#accept4 = new Accept4Loop(this.#listenerFd, poller, this.#facts, this.#stats, handler);
    return this.#accept4.stopped;
  }

  /**
   * Connection attempts the kernel dropped at the listening socket since it was made
   * ({@linkcode socketDrops}): SYNs or handshakes that came while the accept queue was full. Each
   * such client usually retries (its SYN after 1 s), but one that does not is never seen. After
   * {@linkcode TcpAcceptor.close}, the count when it closed.
   *
   * @returns The count, or null when the kernel does not report it or the listener's fd was not
   * found (`accept = "deno"` only).
   */
  get listenDrops(): number | null {
    const drops = this.#closed || this.#listenerFd < 0
      ? this.#dropsAtClose
      : socketDrops(this.#listenerFd);
    return drops < 0 ? null : drops;
  }

  /** Stops accepting and closes the listener. Connections already handed on stay open. */
  close(): void {
    if (this.#closed) return;
    if (this.#listenerFd >= 0) this.#dropsAtClose = socketDrops(this.#listenerFd);
    this.#closed = true;
    this.#accept4?.close();
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
  }
}
