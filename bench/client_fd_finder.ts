/**
 * Finds the fd behind a client-side `Deno.Conn`, so the load client can close it with a reset
 * (`setLingerZero` from `ffi/socket.ts`): `Deno.Conn` exposes neither its fd nor `SO_LINGER`.
 *
 * A client-side `Deno.Conn` carries no fd (its `Symbol(Deno.internal.fd)` is `undefined`), so
 * the fd is found by probing: the lowest fds not owned by a live connection, checked with
 * `getsockname` and `getpeername` against the connection's two ports.
 *
 * @module
 */
import { localPort, peerPort } from "../ffi/socket.ts";

/** Probe this many fds past the owned ones before giving up. */
const PROBE_MARGIN = 1024;

/** Finds connected sockets' fds by their ports, skipping fds it has handed out and not freed. */
export class FdFinder {
  readonly #owned = new Set<number>();

  /**
   * Finds the fd of a connected socket.
   *
   * @param port The socket's own port.
   * @param remotePort The port it is connected to (as the client dialled it).
   * @returns The fd, now owned until {@linkcode FdFinder.release}, or -1.
   */
  find(port: number, remotePort: number): number {
    const limit = 3 + this.#owned.size + PROBE_MARGIN;
    for (let fd = 3; fd < limit; fd++) {
      if (this.#owned.has(fd)) continue;
      if (localPort(fd) === port && peerPort(fd) === remotePort) {
        this.#owned.add(fd);
        return fd;
      }
    }
    return -1;
  }

  /**
   * Gives an fd back, right before its connection is closed.
   *
   * @param fd The fd from {@linkcode FdFinder.find}.
   */
  release(fd: number): void {
    this.#owned.delete(fd);
  }
}
