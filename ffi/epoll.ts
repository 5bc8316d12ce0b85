/**
 * An epoll set through FFI: one kernel readiness queue for every open TCP session, waited on by
 * one of Deno's nonblocking-FFI threads. It replaces a pending Deno read per connection, which
 * costs an async op, a buffer and a resource's readiness bookkeeping for each idle connection.
 *
 * Each registered fd carries a token: a positive integer below 2^53 that the caller chooses and
 * never reuses, so an event that arrives after its fd was closed and its number reused cannot be
 * mistaken for the new connection's. Token 0 is the set's own wake-up eventfd.
 *
 * @module
 */
import { libc } from "./libc.ts";
import { check } from "./errno_error.ts";
import {
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLLIN,
} from "./constants.ts";

/** The event bits callers pass and read, defined in `ffi/constants.ts`. */
export { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from "./constants.ts";

const TWO_TO_32 = 2 ** 32;

/** `struct epoll_event` is packed on x86-64 (12 bytes, data at 4); elsewhere 16 (data at 8). */
const EVENT_BYTES = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;

const request = new Uint8Array(16);
const requestView = new DataView(request.buffer);

function control(epfd: number, op: number, fd: number, token: number, events: number): number {
  requestView.setUint32(0, events >>> 0, true);
  requestView.setUint32(DATA_OFFSET, token % TWO_TO_32, true);
  requestView.setUint32(DATA_OFFSET + 4, Math.floor(token / TWO_TO_32), true);
  return libc().epoll_ctl(epfd, op, fd, request);
}

/** An epoll set with a wake-up eventfd. */
export class Epoll {
  /** The epoll fd. */
  readonly fd: number;
  /** Most events one wait returns. */
  readonly maxEvents: number;
  readonly #wakeFd: number;
  readonly #events: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  #waiting = false;
  #closed = false;

  /**
   * Creates the set and its wake-up eventfd.
   *
   * @param maxEvents Most events one wait returns.
   * @throws {ErrnoError} When `epoll_create1` or `eventfd` fails, such as at the fd limit.
   */
  constructor(maxEvents = 256) {
    this.maxEvents = maxEvents;
    this.#events = new Uint8Array(EVENT_BYTES * maxEvents);
    this.#view = new DataView(this.#events.buffer);
    this.fd = check(libc().epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
    try {
      this.#wakeFd = check(libc().eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd");
    } catch (error) {
      libc().close(this.fd);
      throw error;
    }
    try {
      check(control(this.fd, EPOLL_CTL_ADD, this.#wakeFd, 0, EPOLLIN), "epoll_ctl(EPOLL_CTL_ADD)");
    } catch (error) {
      libc().close(this.#wakeFd);
      libc().close(this.fd);
      throw error;
    }
  }

  /**
   * Registers an fd (level-triggered).
   *
   * @param fd The fd.
   * @param token Its token, a positive integer below 2^53, never reused.
   * @param events The events to report, such as `EPOLLIN | EPOLLRDHUP`.
   * @throws {ErrnoError} When `epoll_ctl` fails, such as for a closed fd.
   */
  add(fd: number, token: number, events: number): void {
    check(control(this.fd, EPOLL_CTL_ADD, fd, token, events), "epoll_ctl(EPOLL_CTL_ADD)");
  }

  /**
   * Changes the events reported for a registered fd; 0 pauses it (errors and hang-ups are still
   * reported).
   *
   * @param fd The fd.
   * @param token Its token.
   * @param events The events to report.
   * @throws {ErrnoError} When `epoll_ctl` fails.
   */
  modify(fd: number, token: number, events: number): void {
    check(control(this.fd, EPOLL_CTL_MOD, fd, token, events), "epoll_ctl(EPOLL_CTL_MOD)");
  }

  /**
   * Unregisters an fd. Closing an fd also unregisters it, when no duplicate of it stays open.
   *
   * @param fd The fd.
   * @returns False when it was not registered.
   */
  remove(fd: number): boolean {
    return control(this.fd, EPOLL_CTL_DEL, fd, 0, 0) === 0;
  }

  /**
   * Waits on a blocking thread until an fd is ready or the set is woken, without blocking the
   * event loop. Read the events with {@linkcode Epoll.token} and {@linkcode Epoll.events}
   * before the next wait. Only one wait may run at a time.
   *
   * @param timeoutMs The longest wait; -1 waits until something happens.
   * @returns How many events are ready; -1 when the wait failed (interrupted by a signal, for
   * example: the errno belongs to the other thread).
   * @throws {Error} When a wait is already running or the set is closed.
   */
  async wait(timeoutMs: number): Promise<number> {
    if (this.#closed) throw new Error("Cannot wait on epoll: the set is closed");
    if (this.#waiting) throw new Error("Cannot wait on epoll: a wait is already running");
    this.#waiting = true;
    try {
      return await libc().epoll_wait(this.fd, this.#events, this.maxEvents, timeoutMs);
    } finally {
      this.#waiting = false;
    }
  }

  /**
   * The token of the i-th event of the last wait; 0 is the wake-up.
   *
   * @param i The event's index.
   * @returns The token.
   */
  token(i: number): number {
    const at = i * EVENT_BYTES + DATA_OFFSET;
    return this.#view.getUint32(at, true) + this.#view.getUint32(at + 4, true) * TWO_TO_32;
  }

  /**
   * The events of the i-th event of the last wait.
   *
   * @param i The event's index.
   * @returns The `EPOLL*` bits.
   */
  events(i: number): number {
    return this.#view.getUint32(i * EVENT_BYTES, true);
  }

  /** Makes a running wait, and every later one, return at once with the wake-up event. */
  wake(): void {
    const one = new BigUint64Array([1n]);
    libc().write(this.#wakeFd, new Uint8Array(one.buffer), 8n);
  }

  /** Closes the set. Call it once no wait is running. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.#wakeFd);
    libc().close(this.fd);
  }
}
