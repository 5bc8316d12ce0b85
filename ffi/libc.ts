/**
 * The libc binding: the project's one symbol table and the one `Deno.dlopen` call.
 *
 * Nothing outside `ffi/` (and its tests) imports this file; the rest of the code uses the typed
 * wrappers (`ffi/socket.ts`, `ffi/epoll.ts`, `ffi/udp_socket.ts`, `ffi/transparent.ts`), the C
 * constants in `ffi/constants.ts`, and `check` from `ffi/errno_error.ts` for failed calls.
 *
 * @module
 */

/**
 * Where libc lives on the distributions Spip is deployed to. `--allow-ffi` must name the exact
 * path that is opened, so the `deno.json` tasks list these same paths.
 */
export const LIBC_PATHS: readonly string[] = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
];

/** Every libc function Spip calls, with its C prototype beside each parameter. */
export const LIBC_SYMBOLS = {
  /** `int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen);` */
  getsockopt: {
    parameters: [
      "i32", // int sockfd
      "i32", // int level
      "i32", // int optname
      "buffer", // void *optval
      "buffer", // socklen_t *optlen
    ],
    result: "i32",
  },
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
  /** `int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);` */
  accept4: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct sockaddr *addr
      "buffer", // socklen_t *addrlen
      "i32", // int flags
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
  /** `int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen);` */
  getsockname: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct sockaddr *addr
      "buffer", // socklen_t *addrlen
    ],
    result: "i32",
  },
  /** `int listen(int sockfd, int backlog);` */
  listen: {
    parameters: [
      "i32", // int sockfd
      "i32", // int backlog
    ],
    result: "i32",
  },
  /** `ssize_t recv(int sockfd, void *buf, size_t len, int flags);` */
  recv: {
    parameters: [
      "i32", // int sockfd
      "buffer", // void *buf
      "usize", // size_t len
      "i32", // int flags
    ],
    result: "isize",
  },
  /** `int socket(int domain, int type, int protocol);` */
  socket: {
    parameters: [
      "i32", // int domain
      "i32", // int type
      "i32", // int protocol
    ],
    result: "i32",
  },
  /** `int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen);` */
  bind: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const struct sockaddr *addr
      "u32", // socklen_t addrlen
    ],
    result: "i32",
  },
  /** `int shutdown(int sockfd, int how);` */
  shutdown: {
    parameters: [
      "i32", // int sockfd
      "i32", // int how
    ],
    result: "i32",
  },
  /** `int close(int fd);` */
  close: {
    parameters: [
      "i32", // int fd
    ],
    result: "i32",
  },
  /** `ssize_t send(int sockfd, const void *buf, size_t len, int flags);` */
  send: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const void *buf
      "usize", // size_t len
      "i32", // int flags
    ],
    result: "isize",
  },
  /** `int epoll_create1(int flags);` */
  epoll_create1: {
    parameters: [
      "i32", // int flags
    ],
    result: "i32",
  },
  /** `int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);` */
  epoll_ctl: {
    parameters: [
      "i32", // int epfd
      "i32", // int op
      "i32", // int fd
      "buffer", // struct epoll_event *event
    ],
    result: "i32",
  },
  /**
   * `int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);`
   *
   * Runs on one of Deno's blocking threads and returns a Promise, so waiting for readiness never
   * blocks the event loop. `errno` belongs to that thread and cannot be read afterwards.
   */
  epoll_wait: {
    parameters: [
      "i32", // int epfd
      "buffer", // struct epoll_event *events
      "i32", // int maxevents
      "i32", // int timeout
    ],
    result: "i32",
    nonblocking: true,
  },
  /** `int eventfd(unsigned int initval, int flags);` */
  eventfd: {
    parameters: [
      "u32", // unsigned int initval
      "i32", // int flags
    ],
    result: "i32",
  },
  /** `ssize_t write(int fd, const void *buf, size_t count);` */
  write: {
    parameters: [
      "i32", // int fd
      "buffer", // const void *buf
      "usize", // size_t count
    ],
    result: "isize",
  },
  /**
   * `ssize_t write(int fd, const void *buf, size_t count);` on one of Deno's blocking threads:
   * a write that may block (a pipe another user owns, which cannot be reopened nonblocking)
   * blocks that thread, never the event loop. `errno` belongs to that thread.
   */
  writeOnThread: {
    name: "write",
    parameters: [
      "i32", // int fd
      "buffer", // const void *buf
      "usize", // size_t count
    ],
    result: "isize",
    nonblocking: true,
  },
  /** `int open(const char *pathname, int flags, mode_t mode);` (mode is the variadic third). */
  open: {
    parameters: [
      "buffer", // const char *pathname (NUL-terminated)
      "i32", // int flags
      "u32", // mode_t mode
    ],
    result: "i32",
  },
  /** `int fcntl(int fd, int cmd, int arg);` (the variadic third argument as an int). */
  fcntl: {
    parameters: [
      "i32", // int fd
      "i32", // int cmd
      "i32", // int arg
    ],
    result: "i32",
  },
  /**
   * `int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags,
   * struct timespec *timeout);`
   *
   * Runs on one of Deno's blocking threads and returns a Promise, so a wait for datagrams never
   * blocks the event loop. `errno` belongs to that thread and cannot be read afterwards.
   */
  recvmmsg: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct mmsghdr *msgvec
      "u32", // unsigned int vlen
      "i32", // int flags
      "pointer", // struct timespec *timeout
    ],
    result: "i32",
    nonblocking: true,
  },
  /**
   * `void *memmove(void *dest, const void *src, size_t n);`
   *
   * Called with `n = 0` it copies nothing and returns `dest`: the address of a buffer, for
   * structures that hold pointers (`struct msghdr`). `Deno.UnsafePointer.of` would do the same
   * but needs an unscoped `--allow-ffi`; the tasks grant it for the libc path only.
   */
  memmove: {
    parameters: [
      "buffer", // void *dest
      "buffer", // const void *src
      "usize", // size_t n
    ],
    result: "usize",
  },
  /**
   * `void *memmove(void *dest, const void *src, size_t n);` with `src` given as an address:
   * copies `n` bytes from raw memory (the thread's `errno`) into a buffer. Reading memory with
   * `Deno.UnsafePointerView` needs an unscoped `--allow-ffi`; calling libc does not.
   */
  readMemory: {
    name: "memmove",
    parameters: [
      "buffer", // void *dest
      "usize", // const void *src
      "usize", // size_t n
    ],
    result: "usize",
  },
  /** `int *__errno_location(void);`, the address as an integer. */
  __errno_location: {
    parameters: [],
    result: "usize",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened libc, typed by {@linkcode LIBC_SYMBOLS}. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

let opened: Libc | undefined;
let errnoAddress = 0n;
const errnoValue = new Int32Array(1);

/**
 * Opens libc on first use and returns its symbols.
 *
 * @returns The bound functions.
 * @throws {Error} "Cannot open libc: ..." when none of {@linkcode LIBC_PATHS} opens.
 */
export function libc(): Libc {
  if (opened !== undefined) return opened;
  const failures: string[] = [];
  for (const path of LIBC_PATHS) {
    try {
      const lib = Deno.dlopen(path, LIBC_SYMBOLS);
      opened = lib.symbols;
      errnoAddress = lib.symbols.__errno_location();
      if (errnoAddress === 0n) {
        throw new Error("__errno_location returned NULL");
      }
      return opened;
    } catch (error) {
      failures.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`Cannot open libc: ${failures.join("; ")}`);
}

/**
 * Reads the calling thread's `errno`. Call it right after the failed libc call. It works under
 * the path-scoped `--allow-ffi` of the tasks (no `Deno.UnsafePointerView`). It is meaningless
 * after a `nonblocking` call, which ran on another thread.
 *
 * @returns The current errno value.
 */
export function lastErrno(): number {
  libc().readMemory(errnoValue, errnoAddress, 4n);
  return errnoValue[0] ?? 0;
}
