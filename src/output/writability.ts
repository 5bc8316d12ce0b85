/**
 * Waiting until a nonblocking fd can take more bytes: through the sensor's epoll set
 * (`EPOLLOUT`), or by trying again after a short pause where there is no epoll set.
 *
 * @module
 */
import { EPOLLOUT } from "../../ffi/epoll.ts";

/** Waits until an fd can be written again. */
export interface WritabilityWaiter {
  /**
   * Resolves when the fd may be writable (or has an error to report); rejects once the waiter
   * is closed.
   */
  waitWritable(fd: number): Promise<void>;
}

/** The part of the readiness poller this module uses (`ReadinessPoller` has it). */
export interface ReadinessWatcher {
  /** Starts watching an fd and returns its token. */
  watch(fd: number, handler: { onReady(events: number): void }, events: number): number;
  /** Changes what is reported for a watched fd; 0 takes it out of the set. */
  change(fd: number, token: number, events: number): void;
  /** Stops calling the fd's handler. */
  forget(token: number): void;
}

interface Watched {
  token: number;
  armed: boolean;
  waiters: PromiseWithResolvers<void>[];
}

/**
 * Writability through the sensor's epoll set: an fd is in the set (for `EPOLLOUT`) only while
 * someone waits for it, so a writable fd does not wake the poller at every batch.
 */
export class PollerWritability implements WritabilityWaiter {
  readonly #poller: ReadinessWatcher;
  readonly #watched = new Map<number, Watched>();
  #closed = false;

  /** @param poller The readiness poller. */
  constructor(poller: ReadinessWatcher) {
    this.#poller = poller;
  }

  /**
   * Waits for `EPOLLOUT` (or an error or hang-up) on the fd.
   *
   * @param fd The fd; it must stay open until {@linkcode PollerWritability.close}.
   * @returns When it is writable.
   */
  waitWritable(fd: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Cannot wait for writability: closed"));
    const waiter = Promise.withResolvers<void>();
    const watched = this.#watched.get(fd);
    if (watched === undefined) {
      const entry: Watched = { token: 0, armed: true, waiters: [waiter] };
      entry.token = this.#poller.watch(fd, { onReady: () => this.#ready(fd) }, EPOLLOUT);
      this.#watched.set(fd, entry);
      return waiter.promise;
    }
    watched.waiters.push(waiter);
    if (!watched.armed) {
      this.#poller.change(fd, watched.token, EPOLLOUT);
      watched.armed = true;
    }
    return waiter.promise;
  }

  #ready(fd: number): void {
    const watched = this.#watched.get(fd);
    if (watched === undefined) return;
    if (watched.armed) {
      this.#poller.change(fd, watched.token, 0);
      watched.armed = false;
    }
    const waiters = watched.waiters;
    watched.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** Stops watching every fd and rejects the waits still pending. Call it before closing them. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const watched of this.#watched.values()) {
      this.#poller.forget(watched.token);
      for (const waiter of watched.waiters) {
        waiter.reject(new Error("Cannot wait for writability: closed"));
      }
    }
    this.#watched.clear();
  }
}

/**
 * Writability by trying again after a pause, for low-volume streams (stderr) that must work
 * with no epoll set: before the sensor starts and after it stops. The timer does not keep the
 * process alive.
 */
export class RetryWritability implements WritabilityWaiter {
  readonly #pauseMs: number;

  /** @param pauseMs How long to wait before the next try, ms. */
  constructor(pauseMs: number) {
    this.#pauseMs = pauseMs;
  }

  /**
   * Waits the pause.
   *
   * @returns When the pause has passed.
   */
  waitWritable(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.#pauseMs);
      Deno.unrefTimer(timer);
    });
  }
}
