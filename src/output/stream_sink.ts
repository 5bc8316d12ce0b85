/**
 * Standard output and standard error as sinks that never block the sensor's thread on a stalled
 * reader.
 *
 * @module
 */
import {
  closeFd,
  reopenNonblocking,
  WOULD_BLOCK,
  writeNonblocking,
  writeOnThread,
} from "../../ffi/nonblocking_fd.ts";
import type { ByteSink } from "./byte_sink.ts";
import type { WritabilityWaiter } from "./writability.ts";

/**
 * How a stream is written:
 * - `file`: a regular file, with synchronous appends (a write cannot block for long);
 * - `nonblocking`: a pipe, FIFO, terminal or device, through a nonblocking description of its
 *   own; a full pipe makes the write wait for writability, never the thread;
 * - `thread`: what cannot be reopened (a socket, a pipe another user owns), written on one of
 *   Deno's blocking threads, one write at a time;
 * - `blocking`: FFI is not allowed; Deno's own writes, which block on a stalled reader.
 */
export type StreamMode = "file" | "nonblocking" | "thread" | "blocking";

/** A sink for stdout or stderr, and how it writes. */
export interface StreamSink extends ByteSink {
  /** How it writes. */
  readonly mode: StreamMode;
  /**
   * Writes what the stream takes now, without waiting (in `blocking` mode: Deno's blocking
   * write); absent in `thread` mode.
   *
   * @returns How many bytes were written, or -1 when none could be.
   */
  tryWrite?: (bytes: Uint8Array) => number;
  /** Releases what the sink opened; later writes fail. */
  close(): void;
}

/** The fd-level calls a {@linkcode NonblockingFdSink} makes; tests replace them. */
export interface FdCalls {
  /** Writes what the fd takes now; -1 for EAGAIN; throws on other errors. */
  write(fd: number, bytes: Uint8Array): number;
  /** Closes the fd. */
  close(fd: number): void;
}

const LIBC_CALLS: FdCalls = { write: writeNonblocking, close: closeFd };

/**
 * A nonblocking fd as a {@linkcode ByteSink}. A write takes what the fd takes now; when it
 * takes nothing (EAGAIN), the write waits for writability and tries again. Partial writes are
 * returned as such: the caller keeps its offset, so nothing is lost or repeated.
 */
export class NonblockingFdSink implements StreamSink {
  /** Always `nonblocking`. */
  readonly mode: StreamMode = "nonblocking";
  /** The fd written to. */
  readonly fd: number;
  readonly #waiter: WritabilityWaiter;
  readonly #calls: FdCalls;
  readonly #ownsFd: boolean;
  #closed = false;
  /** Writes that found the fd full (EAGAIN). */
  stalls = 0;

  /**
   * @param fd A nonblocking fd.
   * @param waiter Waits for writability after EAGAIN.
   * @param ownsFd Whether {@linkcode NonblockingFdSink.close} closes the fd.
   * @param calls The fd-level calls, for tests.
   */
  constructor(fd: number, waiter: WritabilityWaiter, ownsFd = true, calls: FdCalls = LIBC_CALLS) {
    this.fd = fd;
    this.#waiter = waiter;
    this.#ownsFd = ownsFd;
    this.#calls = calls;
  }

  /**
   * Writes what the fd takes now.
   *
   * @param bytes The bytes.
   * @returns How many were written, or -1 when the fd is full.
   * @throws {Error} When the sink is closed or the write fails (EPIPE: the reader is gone).
   */
  tryWrite(bytes: Uint8Array): number {
    if (this.#closed) throw new Error(`Cannot write to fd ${this.fd}: the sink is closed`);
    const n = this.#calls.write(this.fd, bytes);
    if (n === WOULD_BLOCK) this.stalls++;
    return n;
  }

  /**
   * Writes some of the bytes, waiting for writability while the fd is full.
   *
   * @param bytes The bytes.
   * @returns How many were written (at least one, unless `bytes` is empty).
   * @throws {Error} When the sink is closed meanwhile or the write fails.
   */
  async write(bytes: Uint8Array): Promise<number> {
    for (;;) {
      const n = this.tryWrite(bytes);
      if (n !== WOULD_BLOCK) return n;
      await this.#waiter.waitWritable(this.fd);
    }
  }

  /** Closes the fd (when owned). Later writes fail; a wait in progress ends with the waiter. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsFd) this.#calls.close(this.fd);
  }
}

/**
 * Writes on one of Deno's blocking threads, for an fd that cannot be reopened nonblocking. The
 * event loop never waits; the writer's bound sheds while a write is stuck.
 */
class ThreadSink implements StreamSink {
  readonly mode: StreamMode = "thread";
  readonly #fd: number;
  #closed = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) {
      return Promise.reject(new Error(`Cannot write to fd ${this.#fd}: the sink is closed`));
    }
    return writeOnThread(this.#fd, bytes);
  }

  close(): void {
    this.#closed = true;
  }
}

function isRegularFile(fd: number): boolean {
  try {
    return Deno.statSync(`/proc/self/fd/${fd}`).isFile;
  } catch {
    return false;
  }
}

/**
 * Opens stdout (fd 1) or stderr (fd 2) as a sink that never blocks the thread where it can:
 * a regular file is appended to synchronously (never reopened: a new description would not
 * append); a pipe, FIFO or terminal is reopened as a nonblocking description of its own; what
 * cannot be reopened is written on a blocking thread; without FFI, Deno's own writes are used.
 *
 * @param fd 1 or 2.
 * @param waiter Waits for writability of the reopened fd.
 * @returns The sink.
 */
export function openStreamSink(fd: 1 | 2, waiter: WritabilityWaiter): StreamSink {
  const stream = fd === 1 ? Deno.stdout : Deno.stderr;
  if (isRegularFile(fd)) {
    return {
      mode: "file",
      write: (bytes) => stream.write(bytes),
      writeSync: (bytes) => stream.writeSync(bytes),
      tryWrite: (bytes) => stream.writeSync(bytes),
      close: () => {},
    };
  }
  try {
    return new NonblockingFdSink(reopenNonblocking(fd), waiter);
  } catch {
    // A socket, a pipe owned by another user, no /proc, or no FFI: see below.
  }
  try {
    // Throws when FFI is not allowed; then only Deno's own (blocking) writes remain.
    writeNonblocking(fd, new Uint8Array(0));
    return new ThreadSink(fd);
  } catch {
    return {
      mode: "blocking",
      write: (bytes) => stream.write(bytes),
      tryWrite: (bytes) => stream.writeSync(bytes),
      close: () => {},
    };
  }
}
