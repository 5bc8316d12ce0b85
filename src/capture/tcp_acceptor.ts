/**
 * The TCP capture engine: listens, accepts every connection, and resolves each one's real
 * source and the destination the client dialled before handing it on.
 *
 * @module
 */
import {
  findListenerFd,
  keepUrgentInline,
  originalDestination,
  setListenBacklog,
} from "../../ffi/socket.ts";
import { enableTransparent } from "../../ffi/transparent.ts";
import { FdFinder } from "./fd_finder.ts";
import { normalizeIp } from "../record/ip_address.ts";
import type { Endpoint } from "../record/record.ts";
import type { Stats } from "../output/stats.ts";
import { RateLimitedLog } from "../output/diagnostics.ts";
import { reportDiagnostic } from "../output/events.ts";
import type { Mode } from "../config/mode.ts";

/** An accepted connection with its addresses already resolved. */
export interface AcceptedConnection {
  /** The connection, for reading and closing. */
  readonly conn: Deno.Conn;
  /** Its fd, or -1 when it could not be found. */
  readonly fd: number;
  /** The client. */
  readonly source: Endpoint;
  /** What the client dialled: the original destination, or the local address when the
   * connection was not redirected. */
  readonly destination: Endpoint;
  /** When it was accepted, epoch ms. */
  readonly acceptedAtMs: number;
}

/** Receives each accepted connection. It must not throw. */
export type ConnectionHandler = (connection: AcceptedConnection) => void;

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
}

const BACKOFF_FIRST_MS = 5;
const BACKOFF_MAX_MS = 500;

function errorKind(error: unknown): string {
  if (error instanceof Deno.errors.NotConnected) return "NotConnected";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code.length > 0) return code;
  return error instanceof Error ? error.name : "Unknown";
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
 * Accepts TCP connections for ever, until closed.
 *
 * The loop survives every accept error: a peer that reset before Deno accepted it
 * (`NotConnected`) is counted and skipped; EMFILE and ENFILE back off (5 ms, doubling to 500 ms)
 * and retry without spinning; anything else is counted and retried. It stops only when the
 * listener is closed.
 */
export class TcpAcceptor {
  readonly #listener: Deno.TcpListener;
  readonly #stats: Stats;
  readonly #fds = new FdFinder();
  readonly #destinationErrors = new RateLimitedLog(60_000, reportDiagnostic);
  readonly #tproxy: boolean;
  #closed = false;

  /**
   * Listens on the address, raises the backlog and keeps urgent bytes in the stream
   * (`SO_OOBINLINE`, which accepted connections inherit) through FFI; in tproxy mode, marks the
   * listener transparent (`IP_TRANSPARENT`), which works on the bound socket because TPROXY
   * checks the mark as each packet arrives.
   *
   * @param options Where to listen.
   * @param stats Where accept errors are counted.
   * @throws {Deno.errors.AddrInUse} When another process holds the port.
   * @throws {ErrnoError} In tproxy mode, when the listener cannot be made transparent, such as
   * without CAP_NET_ADMIN.
   */
  constructor(options: AcceptorOptions, stats: Stats) {
    this.#stats = stats;
    this.#tproxy = options.mode === "tproxy";
    this.#listener = Deno.listen({ hostname: options.ip, port: options.port, transport: "tcp" });
    const fd = findListenerFd(options.port);
    if (this.#tproxy) {
      try {
        if (fd < 0) throw new Error("Cannot enable tproxy mode: listening socket not found");
        enableTransparent(fd);
      } catch (error) {
        this.#listener.close();
        throw error;
      }
    }
    tuneListener(
      fd,
      `raise the listen backlog to ${options.backlog}`,
      (listener) => setListenBacklog(listener, options.backlog),
    );
    tuneListener(fd, "keep urgent bytes in the stream (SO_OOBINLINE)", keepUrgentInline);
  }

  /** The address the listener is bound to. */
  get address(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /**
   * Releases a connection's fd. Call it right before closing the connection.
   *
   * @param connection The connection.
   */
  release(connection: AcceptedConnection): void {
    this.#fds.release(connection.fd);
  }

  /**
   * Accepts connections until {@linkcode TcpAcceptor.close} is called.
   *
   * @param handler Receives each connection.
   */
  async run(handler: ConnectionHandler): Promise<void> {
    let backoffMs = 0;
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        const kind = errorKind(error);
        this.#stats.countAcceptError(kind);
        if (kind === "EMFILE" || kind === "ENFILE" || kind === "ENOBUFS" || kind === "ENOMEM") {
          backoffMs = Math.min(backoffMs === 0 ? BACKOFF_FIRST_MS : backoffMs * 2, BACKOFF_MAX_MS);
          await new Promise((resolve) => setTimeout(resolve, backoffMs));
        }
        continue;
      }
      backoffMs = 0;
      this.#stats.connectionsAccepted++;
      handler(this.#resolve(conn));
    }
  }

  #resolve(conn: Deno.TcpConn): AcceptedConnection {
    const acceptedAtMs = Date.now();
    const remote = conn.remoteAddr;
    const local = conn.localAddr;
    const source = { ip: normalizeIp(remote.hostname), port: remote.port };
    const fd = this.#fds.find(conn, source.ip, source.port);
    let destination: Endpoint = { ip: normalizeIp(local.hostname), port: local.port };
    if (fd < 0) {
      this.#stats.fdNotFound++;
    } else if (!this.#tproxy) {
      try {
        const original = originalDestination(fd, source.ip.includes(":"));
        if (original !== null) destination = original;
      } catch (error) {
        this.#stats.originalDestinationFailures++;
        const detail = error instanceof Error ? error.message : String(error);
        this.#destinationErrors.print(detail);
      }
    }
    return { conn, fd, source, destination, acceptedAtMs };
  }

  /** Stops accepting. Connections already handed on stay open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
  }
}
