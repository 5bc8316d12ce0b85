/**
 * Writing to a pipe, FIFO or terminal without ever blocking the event loop: a nonblocking open
 * file description of its own, and a fallback write on a blocking thread.
 *
 * `fcntl(1, F_SETFL, O_NONBLOCK)` would change the description that the shell, the reader's
 * other writers and every child share. Opening `/proc/self/fd/N` again makes a new description
 * for the same pipe, FIFO or terminal, whose `O_NONBLOCK` nobody else sees.
 *
 * @module
 */
import { lastErrno, libc } from "./libc.ts";
import { check, Errno, ErrnoError } from "./errno_error.ts";
import { F_GETFL, O_APPEND, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_WRONLY } from "./constants.ts";

/** What {@linkcode writeNonblocking} returns when the reader is not keeping up (EAGAIN). */
export const WOULD_BLOCK = -1;

const encoder = new TextEncoder();

/**
 * The file status flags of an fd (`fcntl(fd, F_GETFL)`), such as `O_NONBLOCK`.
 *
 * @param fd The fd.
 * @returns The flags.
 * @throws {ErrnoError} When the fd is not open.
 */
export function statusFlags(fd: number): number {
  return check(libc().fcntl(fd, F_GETFL, 0), `fcntl(${fd}, F_GETFL)`);
}

/**
 * Whether an fd's writes fail with EAGAIN instead of blocking.
 *
 * @param fd The fd.
 * @returns True when `O_NONBLOCK` is set on its description.
 */
export function isNonblocking(fd: number): boolean {
  return (statusFlags(fd) & O_NONBLOCK) !== 0;
}

/**
 * Opens a path for nonblocking appending writes
 * (`O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY`). A FIFO without a reader fails with
 * ENXIO. `O_APPEND` matters when the path is a regular file (stdout or stderr redirected with
 * `>>`, reopened through /proc/self/fd because Deno allows `stat` of that path only with
 * `--allow-all`): without it the new description writes from offset 0, over what the file held.
 *
 * @param path The path.
 * @returns The new fd.
 * @throws {ErrnoError} When `open` fails.
 */
export function openNonblockingWriter(path: string): number {
  const flags = O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  return check(libc().open(encoder.encode(`${path}\0`), flags, 0), `open ${path}`);
}

/**
 * Opens what an fd refers to again, as a new nonblocking description, through
 * `/proc/self/fd/N`. Works for pipes, FIFOs, terminals and devices; a socket fails with ENXIO,
 * a pipe owned by another user with EACCES. The new description is checked: it must be
 * nonblocking while the original fd's flags stay as they were.
 *
 * @param fd The fd, such as 1 for stdout.
 * @returns The new fd; close it with {@linkcode closeFd}.
 * @throws {ErrnoError} When the reopening fails.
 * @throws {Error} When the flag would be shared with the original fd (then nothing is kept open).
 */
export function reopenNonblocking(fd: number): number {
  const before = statusFlags(fd);
  const own = openNonblockingWriter(`/proc/self/fd/${fd}`);
  const after = statusFlags(fd);
  if (after !== before || !isNonblocking(own)) {
    closeFd(own);
    throw new Error(`Cannot reopen fd ${fd} nonblocking: the description would be shared`);
  }
  return own;
}

/**
 * Writes what a nonblocking fd takes now (`write`), retrying when interrupted.
 *
 * @param fd A nonblocking fd.
 * @param bytes The bytes.
 * @returns How many were written, or {@linkcode WOULD_BLOCK} when none could be (EAGAIN).
 * @throws {ErrnoError} When the write fails otherwise, such as EPIPE when the reader is gone.
 */
export function writeNonblocking(fd: number, bytes: Uint8Array): number {
  for (;;) {
    const n = Number(libc().write(fd, bytes, BigInt(bytes.length)));
    if (n >= 0) return n;
    const errno = lastErrno();
    if (errno === Errno.EAGAIN) return WOULD_BLOCK;
    if (errno !== Errno.EINTR) throw new ErrnoError(`write to fd ${fd}`, errno);
  }
}

/**
 * Writes on one of Deno's blocking threads (`write`), for an fd that cannot be made
 * nonblocking: a stalled reader blocks that thread, never the event loop. The bytes must not
 * change until the promise settles.
 *
 * @param fd The fd.
 * @param bytes The bytes.
 * @returns How many were written.
 * @throws {Error} When the write fails (its errno stays on the other thread).
 */
export async function writeOnThread(fd: number, bytes: Uint8Array): Promise<number> {
  const n = Number(await libc().writeOnThread(fd, bytes, BigInt(bytes.length)));
  if (n < 0) throw new Error(`Cannot write to fd ${fd}: the write failed`);
  return n;
}

/**
 * Closes an fd (`close`), ignoring failure.
 *
 * @param fd The fd.
 */
export function closeFd(fd: number): void {
  libc().close(fd);
}
