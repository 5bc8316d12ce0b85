/**
 * The load client's own small libc binding, used only to close a connection with a reset:
 * `Deno.Conn` exposes neither its fd nor `SO_LINGER`. The product's binding lives in `ffi/`;
 * this one belongs to the bench client and is never loaded by the sensor.
 *
 * A client-side `Deno.Conn` carries no fd (its `Symbol(Deno.internal.fd)` is `undefined`), so
 * the fd is found by probing: the lowest fds not owned by a live connection, checked with
 * `getsockname` and `getpeername` against the connection's two ports.
 *
 * @module
 */

const LIBC_PATHS = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
];

const SYMBOLS = {
  /** `int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen);` */
  setsockopt: {
    parameters: [
      "i32", // int sockfd
      "i32", // int level
      "i32", // int optname
      "buffer", // const void *optval
      "u32", // socklen_t optlen
    ],
    result: "i32",
  },
  /** `int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen);` */
  getsockname: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct sockaddr *addr
      "buffer", // socklen_t *addrlen
    ],
    result: "i32",
  },
  /** `int getpeername(int sockfd, struct sockaddr *addr, socklen_t *addrlen);` */
  getpeername: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct sockaddr *addr
      "buffer", // socklen_t *addrlen
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

const SOL_SOCKET = 1;
const SO_LINGER = 13;
/** Probe this many fds past the owned ones before giving up. */
const PROBE_MARGIN = 1024;

let symbols: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | undefined;

function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  if (symbols !== undefined) return symbols;
  const failures: string[] = [];
  for (const path of LIBC_PATHS) {
    try {
      symbols = Deno.dlopen(path, SYMBOLS).symbols;
      return symbols;
    } catch (error) {
      failures.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`Cannot open libc: ${failures.join("; ")}`);
}

const name = new Uint8Array(28);
const nameLength = new Uint32Array(1);
/** `struct linger { int l_onoff; int l_linger; }` = {1, 0}: close sends RST. */
const lingerZero = new Int32Array([1, 0]);

function portOf(call: "getsockname" | "getpeername", fd: number): number {
  nameLength[0] = name.length;
  if (libc()[call](fd, name, nameLength) !== 0) return -1;
  const family = (name[0] ?? 0) | ((name[1] ?? 0) << 8);
  if (family !== 2 && family !== 10) return -1;
  return ((name[2] ?? 0) << 8) | (name[3] ?? 0);
}

/** Finds connected sockets' fds by their ports, skipping fds it has handed out and not freed. */
export class FdFinder {
  readonly #owned = new Set<number>();

  /**
   * Finds the fd of a connected socket.
   *
   * @param localPort The socket's own port.
   * @param remotePort The port it is connected to (as the client dialled it).
   * @returns The fd, now owned until {@linkcode FdFinder.release}, or -1.
   */
  find(localPort: number, remotePort: number): number {
    const limit = 3 + this.#owned.size + PROBE_MARGIN;
    for (let fd = 3; fd < limit; fd++) {
      if (this.#owned.has(fd)) continue;
      if (portOf("getsockname", fd) === localPort && portOf("getpeername", fd) === remotePort) {
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

/**
 * Makes the next `close` of a socket send RST instead of FIN (`SO_LINGER` {1, 0}).
 *
 * @param fd The socket's fd.
 * @throws {Error} When `setsockopt` fails.
 */
export function setLingerZero(fd: number): void {
  if (libc().setsockopt(fd, SOL_SOCKET, SO_LINGER, lingerZero, 8) !== 0) {
    throw new Error(`Cannot setsockopt(SO_LINGER) on fd ${fd}`);
  }
}
