/**
 * Helpers for tests that drive socket fds directly: the fd behind an accepted connection, and
 * bounded waits so that a bug fails a test instead of hanging it.
 *
 * @module
 */
import { localPort, peerPort } from "../ffi/socket.ts";

/**
 * The fd of an accepted connection, which Deno keeps under its undocumented own symbol, as
 * src/capture/fd_finder.ts reads it.
 *
 * @param conn An accepted connection.
 * @returns Its fd.
 */
export function fdOf(conn: Deno.Conn): number {
  const symbol = Object.getOwnPropertySymbols(conn).find((s) =>
    s.description === "Deno.internal.fd"
  );
  if (symbol === undefined) throw new Error("Deno.Conn has no Symbol(Deno.internal.fd)");
  const fd = (conn as unknown as Record<symbol, unknown>)[symbol];
  if (typeof fd !== "number" || fd < 0) throw new Error(`Bad internal fd ${String(fd)}`);
  return fd;
}

/**
 * Settles like `promise`, or rejects when it takes longer than `ms`.
 *
 * @param promise What to wait for.
 * @param ms The longest wait.
 * @param what What is awaited, for the timeout's message.
 * @returns The promise's value.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls a condition every 5 ms until it holds, or rejects after `ms`.
 *
 * @param condition What must become true.
 * @param ms The longest wait.
 * @param what What is awaited, for the timeout's message.
 */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= deadline) throw new Error(`Timed out after ${ms} ms: ${what}`);
    await sleep(5);
  }
}

/**
 * Resolves after `ms`.
 *
 * @param ms How long.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The fd of a connection this process dialled (`Deno.connect` keeps no fd symbol on it): the
 * socket whose local and peer ports are the connection's.
 *
 * @param conn A connected TCP connection.
 * @param highestFd The highest fd to try.
 * @returns Its fd.
 */
export function dialledFdOf(conn: Deno.TcpConn, highestFd = 65535): number {
  const local = conn.localAddr.port, remote = conn.remoteAddr.port;
  for (let fd = 0; fd <= highestFd; fd++) {
    if (localPort(fd) === local && peerPort(fd) === remote) return fd;
  }
  throw new Error(`No fd for the connection from port ${local} to ${remote}`);
}
