/**
 * One readiness loop for every open TCP session: an epoll set polled on the main thread while
 * events are ready, and waited on by one nonblocking-FFI thread only when none is, in batches.
 *
 * @module
 */
import { Epoll, EPOLLIN, EPOLLRDHUP } from "../../ffi/epoll.ts";
import { Errno, ErrnoError } from "../../ffi/errno_error.ts";
import { RateLimitedLog } from "../output/diagnostics.ts";
import { reportDiagnostic } from "../output/events.ts";

/** What the poller calls when a watched fd is ready. It must not throw. */
export interface ReadinessHandler {
  /**
   * Called with the `EPOLL*` bits of each readiness event. Level-triggered: an fd that stays
   * ready is reported again at the next batch, so a handler may leave work for later, and must
   * accept a report of readiness that another batch already consumed. Called with 0 when it
   * asked to be called soon ({@linkcode ReadinessPoller.callSoon}) and its fd is not ready.
   */
  onReady(events: number): void;
}

/** How the poller batches. */
export interface PollerOptions {
  /**
   * How long to let events gather after each batch before looking again, in ms. Default 0: the
   * next batch follows one turn of the event loop (`setImmediate`). A timer costs about 55 us of
   * CPU and 2 ms in Deno 2.9, so a delay only makes sense to test batching.
   */
  batchDelayMs?: number;
  /** Most events per batch. Default 256. */
  maxEvents?: number;
}

/**
 * Watches fds for readiness and calls their handlers. A handler is identified by a token that
 * is never reused, so a stale event for a closed (and reused) fd number reaches nobody.
 */
export class ReadinessPoller {
  readonly #epoll: Epoll;
  readonly #handlers = new Map<number, ReadinessHandler>();
  readonly #paused = new Set<number>();
  readonly #batchDelayMs: number;
  readonly #failures = new RateLimitedLog(60_000, reportDiagnostic);
  readonly #running: Promise<void>;
  /** Tokens whose handlers asked to be called at the next batch, ready or not. */
  #soon = new Set<number>();
  /** The set of the batch being handled, swapped with `#soon` at each batch. */
  #soonNow = new Set<number>();
  #nextToken = 1;
  #closing = false;
  /** Batches handled. */
  batches = 0;
  /** Waits that failed (each is retried after a pause). */
  waitFailures = 0;

  /**
   * Creates the epoll set and starts waiting.
   *
   * @param options How to batch.
   * @throws {ErrnoError} When the epoll set cannot be made.
   */
  constructor(options: PollerOptions = {}) {
    this.#epoll = new Epoll(options.maxEvents ?? 256);
    this.#batchDelayMs = options.batchDelayMs ?? 0;
    this.#running = this.#run().catch((error) => {
      // Only a bug gets here; sessions then end at their idle timeout, and the sensor goes on.
      reportDiagnostic(
        `Cannot poll for readiness: ${error instanceof Error ? error.message : error}`,
      );
    });
  }

  /** Fds watched now. */
  get size(): number {
    return this.#handlers.size;
  }

  /**
   * Starts watching an fd.
   *
   * @param fd The fd; it must stay open until {@linkcode ReadinessPoller.forget}.
   * @param handler Receives its events.
   * @param events What to report. Default: readable or ended (`EPOLLIN | EPOLLRDHUP`). 0 watches
   * it paused, as after {@linkcode ReadinessPoller.change} to 0: out of the epoll set until
   * changed.
   * @returns The token for {@linkcode ReadinessPoller.change} and
   * {@linkcode ReadinessPoller.forget}.
   * @throws {ErrnoError} When the fd cannot be watched.
   */
  watch(fd: number, handler: ReadinessHandler, events = EPOLLIN | EPOLLRDHUP): number {
    const token = this.#nextToken++;
    if (events === 0) this.#paused.add(token);
    else this.#epoll.add(fd, token, events);
    this.#handlers.set(token, handler);
    return token;
  }

  /**
   * Changes what is reported for a watched fd. 0 pauses it entirely: the fd leaves the epoll set
   * until it is changed back, so not even an error or a hang-up is reported meanwhile (epoll
   * reports those whatever it is asked, and level-triggered, so a paused reader of a reset socket
   * would otherwise be woken at every batch).
   *
   * @param fd The fd.
   * @param token Its token.
   * @param events What to report.
   * @throws {ErrnoError} When the fd is not watched or is closed.
   */
  change(fd: number, token: number, events: number): void {
    if (this.#paused.has(token)) {
      if (events === 0) return;
      this.#epoll.add(fd, token, events);
      this.#paused.delete(token);
    } else if (events === 0) {
      if (!this.#handlers.has(token) || !this.#epoll.remove(fd)) {
        throw new ErrnoError("epoll_ctl(EPOLL_CTL_DEL)", Errno.ENOENT);
      }
      this.#paused.add(token);
    } else {
      this.#epoll.modify(fd, token, events);
    }
  }

  /**
   * Calls a watched fd's handler at the next batch whether or not the fd is ready (with events
   * 0 when it is not), once: for a handler that left work for later. Called from a handler, the
   * next batch then follows one turn of the event loop, without waiting for readiness; called
   * outside a batch, it does not end a wait that is running.
   *
   * @param token The handler's token; a forgotten one is ignored.
   */
  callSoon(token: number): void {
    if (this.#handlers.has(token)) this.#soon.add(token);
  }

  /**
   * Stops calling a handler. Call it before closing the fd; closing the fd removes it from the
   * epoll set.
   *
   * @param token The handler's token.
   */
  forget(token: number): void {
    this.#handlers.delete(token);
    this.#paused.delete(token);
    this.#soon.delete(token);
    this.#soonNow.delete(token);
  }

  /**
   * Stops waiting and closes the epoll set. Forget or close every fd first.
   *
   * @returns When the wait has ended.
   */
  async close(): Promise<void> {
    if (this.#closing) return await this.#running;
    this.#closing = true;
    this.#epoll.wake();
    await this.#running;
    this.#epoll.close();
  }

  async #run(): Promise<void> {
    const epoll = this.#epoll;
    while (!this.#closing) {
      // What is ready now is taken on this thread; only an idle set is waited on by a blocking
      // thread, a hop that costs more than a batch of events.
      let n = epoll.poll();
      if (n === 0 && this.#soon.size === 0) n = await epoll.wait(-1);
      if (n < 0) {
        this.waitFailures++;
        this.#failures.print("Cannot wait for readiness: epoll_wait failed; retrying");
        await pause(10);
        continue;
      }
      this.batches++;
      // Handlers called now may ask again, for the batch after this one.
      const soon = this.#soon;
      this.#soon = this.#soonNow;
      this.#soonNow = soon;
      for (let i = 0; i < n; i++) {
        const token = epoll.token(i);
        if (soon.size > 0) soon.delete(token);
        this.#call(token, epoll.events(i));
      }
      if (soon.size > 0) {
        for (const token of soon) this.#call(token, 0);
        soon.clear();
      }
      if (this.#closing) break;
      // Timers, I/O and promises run between two batches.
      if (this.#batchDelayMs > 0) await pause(this.#batchDelayMs);
      else await nextTurn();
    }
  }

  #call(token: number, events: number): void {
    const handler = this.#handlers.get(token);
    if (handler === undefined) return;
    try {
      handler.onReady(events);
    } catch (error) {
      // Handlers must not throw; if one does, the others still get their events.
      const detail = error instanceof Error ? error.message : String(error);
      this.#failures.print(`Cannot handle a readiness event: ${detail}`);
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves after one turn of the event loop (`setImmediate`: about 2 us, a timer 2 ms). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
