/**
 * The `accept = "deno"` engine: Deno's `listener.accept()`, the product's original design.
 *
 * It loses what Deno loses: Deno asks for the peer's address after `accept`, and a connection the
 * client reset while it waited in the accept queue fails that with ENOTCONN and is closed before
 * JavaScript sees it (counted as `accept_errors.NotConnected`). `nmap -sT`, which closes with a
 * reset, and clients that send and reset at once leave few records. Each connection also holds a
 * `Deno.TcpConn` resource until it closes, and its fd must be found (`FdFinder`).
 *
 * @module
 */
import { normalizeIp } from "../record/ip_address.ts";
import type { Endpoint } from "../record/record.ts";
import type { Stats } from "../output/stats.ts";
import type { AcceptedConnection, ConnectionHandler } from "./accepted_connection.ts";
import type { ConnectionFacts } from "./connection_facts.ts";
import { FdFinder } from "./fd_finder.ts";

/** The first pause after EMFILE, ENFILE, ENOBUFS or ENOMEM, ms; it doubles while they last. */
export const ACCEPT_BACKOFF_FIRST_MS = 5;
/** The longest pause after EMFILE and its kind, ms. */
export const ACCEPT_BACKOFF_MAX_MS = 500;

/** Errors that mean "out of a resource": wait before accepting again, or spin. */
export const RESOURCE_ERRORS: ReadonlySet<string> = new Set([
  "EMFILE",
  "ENFILE",
  "ENOBUFS",
  "ENOMEM",
]);

/**
 * The next pause of a doubling backoff.
 *
 * @param previousMs The last pause, 0 for none.
 * @returns The next pause, ms.
 */
export function nextBackoffMs(previousMs: number): number {
  return Math.min(
    previousMs === 0 ? ACCEPT_BACKOFF_FIRST_MS : previousMs * 2,
    ACCEPT_BACKOFF_MAX_MS,
  );
}

function errorKind(error: unknown): string {
  if (error instanceof Deno.errors.NotConnected) return "NotConnected";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code.length > 0) return code;
  return error instanceof Error ? error.name : "Unknown";
}

/**
 * Accepts with `listener.accept()` until the listener is closed. The loop survives every accept
 * error: a peer that reset before Deno accepted it (`NotConnected`) is counted and skipped;
 * EMFILE and ENFILE back off (5 ms, doubling to 500 ms) without spinning; anything else is
 * counted and retried.
 *
 * @param listener The listener.
 * @param facts Reads each connection's destination and handshake.
 * @param stats Where accepts and their errors are counted.
 * @param handler Receives each connection.
 * @param closed Whether the acceptor was closed.
 */
export async function denoAcceptLoop(
  listener: Deno.TcpListener,
  facts: ConnectionFacts,
  stats: Stats,
  handler: ConnectionHandler,
  closed: () => boolean,
): Promise<void> {
  const fds = new FdFinder();
  let backoffMs = 0;
  while (!closed()) {
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (closed() || error instanceof Deno.errors.BadResource) return;
      const kind = errorKind(error);
      stats.countAcceptError(kind);
      if (RESOURCE_ERRORS.has(kind)) {
        backoffMs = nextBackoffMs(backoffMs);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
      continue;
    }
    backoffMs = 0;
    stats.connectionsAccepted++;
    handler(resolve(conn, fds, facts, stats));
  }
}

function resolve(
  conn: Deno.TcpConn,
  fds: FdFinder,
  facts: ConnectionFacts,
  stats: Stats,
): AcceptedConnection {
  const acceptedAtMs = Date.now();
  const remote = conn.remoteAddr;
  const source: Endpoint = { ip: normalizeIp(remote.hostname), port: remote.port };
  const local: Endpoint = { ip: normalizeIp(conn.localAddr.hostname), port: conn.localAddr.port };
  const fd = fds.find(conn, source.ip, source.port);
  if (fd < 0) stats.fdNotFound++;
  return {
    fd,
    source,
    destination: fd < 0 ? local : facts.destination(fd, source, local),
    acceptedAtMs,
    firstRecordFields: fd < 0 ? undefined : facts.handshake(fd),
    close: () => {
      fds.release(fd);
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
}
