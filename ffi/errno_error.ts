/**
 * An error from a libc call, carrying the C `errno`, and {@linkcode check}, the one way a failed
 * call becomes one.
 *
 * @module
 */
import { Errno } from "./constants.ts";
import { lastErrno } from "./libc.ts";

export { Errno };

/** The name of each errno value in {@linkcode Errno}. */
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(Errno).map(([name, value]) => [value, name]),
);

/**
 * Returns the symbolic name of an errno value, such as `ENOENT`.
 *
 * @param errno The errno value.
 * @returns Its name, or `errno N` for one {@linkcode Errno} does not list.
 */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
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

/**
 * Checks the result of a libc call that returns -1 on failure and sets `errno`: an fd, a count,
 * or 0 for success. Call it right after the call, on the same thread (not after a `nonblocking`
 * symbol), so that `errno` is still the call's.
 *
 * @example Usage
 * ```ts ignore
 * const fd = check(libc().socket(AF_INET, SOCK_DGRAM, 0), "socket(SOCK_DGRAM)");
 * check(libc().listen(fd, 4096), "listen");
 * ```
 *
 * @param result What the call returned.
 * @param action What was attempted, for the message: "Cannot {action}: {errno name}".
 * @returns The result, when it is not negative.
 * @throws {ErrnoError} With the calling thread's `errno`, when the result is negative.
 */
export function check(result: number, action: string): number {
  if (result < 0) throw new ErrnoError(action, lastErrno());
  return result;
}
