/**
 * An error from a libc call, carrying the C `errno`.
 *
 * @module
 */

/** Names of the errno values the sensor meets, for messages and for matching. */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  28: "ENOSPC",
  32: "EPIPE",
  88: "ENOTSOCK",
  92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  105: "ENOBUFS",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
};

/** errno values used by name elsewhere in the code. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOTSOCK: 88,
  ENOPROTOOPT: 92,
  EPIPE: 32,
  ECONNRESET: 104,
  ENOTCONN: 107,
} as const;

/**
 * Returns the symbolic name of an errno value, such as `ENOENT`.
 *
 * @param errno The errno value.
 * @returns Its name, or `errno N` for one this table does not know.
 */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** A failed libc call. `errno` is the C errno it left, `code` its symbolic name. */
export class ErrnoError extends Error {
  /** The C errno value. */
  readonly errno: number;
  /** The symbolic name of {@linkcode ErrnoError.errno}, such as `ENOENT`. */
  readonly code: string;

  /**
   * @param action What was attempted, such as `getsockopt(SO_ORIGINAL_DST)`.
   * @param errno The errno the call left.
   */
  constructor(action: string, errno: number) {
    const code = errnoName(errno);
    super(`Cannot ${action}: ${code}`);
    this.name = "ErrnoError";
    this.errno = errno;
    this.code = code;
  }
}
