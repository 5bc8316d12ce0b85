/**
 * Finding the file descriptor behind an accepted `Deno.Conn`, which Deno does not expose.
 *
 * @module
 */
import { peerAddress } from "../../ffi/socket.ts";
import { normalizeIp } from "../record/ip_address.ts";

/** How far past the highest owned fd the fallback probe looks. */
const PROBE_SLACK = 256;

/**
 * Finds the fd of each accepted connection, and remembers which fds live connections own.
 *
 * First it reads the undocumented own symbol `Symbol(Deno.internal.fd)` that Deno 2.9 puts on
 * accepted connections, and verifies it with `getpeername`. When that fails, it probes the fds
 * that no live connection owns, in ascending order (Linux hands out the lowest free fd), for the
 * one whose peer is the connection's remote address. It never scans `/proc` per connection.
 */
export class FdFinder {
  #symbol: symbol | null | undefined;
  readonly #owned = new Uint32Array(1 << 15);
  #highest = 0;
  /** Connections whose fd came from the internal symbol. */
  symbolHits = 0;
  /** Connections whose fd came from the probe. */
  probeHits = 0;

  #symbolFd(conn: Deno.Conn): number {
    if (this.#symbol === undefined) {
      this.#symbol = Object.getOwnPropertySymbols(conn).find((s) =>
        s.description === "Deno.internal.fd"
      ) ?? null;
    }
    if (this.#symbol === null) return -1;
    const value = (conn as unknown as Record<symbol, unknown>)[this.#symbol];
    return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : -1;
  }

  #isOwned(fd: number): boolean {
    return ((this.#owned[fd >>> 5] ?? 0) & (1 << (fd & 31))) !== 0;
  }

  #own(fd: number): void {
    const word = fd >>> 5;
    if (word >= this.#owned.length) return;
    this.#owned[word] = (this.#owned[word] ?? 0) | (1 << (fd & 31));
    if (fd > this.#highest) this.#highest = fd;
  }

  /**
   * Finds a just-accepted connection's fd and marks it owned. Call it before any `await`.
   *
   * @param conn The accepted connection.
   * @param remoteIp Its remote address, normalised.
   * @param remotePort Its remote port.
   * @returns The fd, or -1 when it cannot be found.
   */
  find(conn: Deno.Conn, remoteIp: string, remotePort: number): number {
    const fd = this.#symbolFd(conn);
    if (fd >= 0 && !this.#isOwned(fd)) {
      const peer = peerAddress(fd);
      // After a reset getpeername fails, yet the symbol still names this connection's socket.
      if (peer === null || (peer.port === remotePort && peer.ip === remoteIp)) {
        this.symbolHits++;
        this.#own(fd);
        return fd;
      }
    }
    const probed = this.#probe(remoteIp, remotePort);
    if (probed >= 0) {
      this.probeHits++;
      this.#own(probed);
    }
    return probed;
  }

  #probe(remoteIp: string, remotePort: number): number {
    const limit = Math.min(this.#highest + PROBE_SLACK, this.#owned.length * 32);
    for (let fd = 3; fd < limit; fd++) {
      const word = this.#owned[fd >>> 5] ?? 0;
      if (word === 0xffffffff) {
        fd |= 31;
        continue;
      }
      if (word & (1 << (fd & 31))) continue;
      const peer = peerAddress(fd);
      if (peer !== null && peer.port === remotePort && normalizeIp(peer.ip) === remoteIp) return fd;
    }
    return -1;
  }

  /**
   * Marks an fd free again. Call it when its connection is closed.
   *
   * @param fd The fd; -1 is ignored.
   */
  release(fd: number): void {
    if (fd < 0) return;
    const word = fd >>> 5;
    if (word < this.#owned.length) this.#owned[word] = (this.#owned[word] ?? 0) & ~(1 << (fd & 31));
  }
}
