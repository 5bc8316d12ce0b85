/**
 * The `accept = "accept4"` engine (the default): the sensor takes connections off the listening
 * socket itself with `accept4`, driven by the same epoll set that reads the sessions.
 *
 * `accept4` hands out every connection the kernel completed, including one the client reset
 * while it waited in the accept queue: its address comes from `accept4` itself, its original
 * destination still answers, and the bytes it sent before the reset are still readable. Each
 * session owns its fd and closes it with `close(2)`; no Deno resource is made per connection.
 *
 * When the kernel's accept queue runs long (three quarters of its limit or more), the engine
 * accepts until it is half full and holds those connections itself, handing them on first over
 * the next batches: a burst then waits in the sensor rather than overflowing a queue that
 * somaxconn caps at 4096 (a fresh process, still compiling its code, is slower than a fast client
 * for a few hundred milliseconds).
 *
 * @module
 */
import { EPOLLIN } from "../../ffi/epoll.ts";
import { Errno, errnoName } from "../../ffi/errno_error.ts";
import {
  acceptConnection,
  type AcceptedSocket,
  type AcceptQueue,
  closeFd,
  readAcceptQueue,
} from "../../ffi/accept.ts";
import type { Stats } from "../output/stats.ts";
import { reportDiagnostic } from "../output/events.ts";
import type { ReadinessHandler, ReadinessPoller } from "./readiness_poller.ts";
import type { AcceptedConnection, ConnectionHandler } from "./accepted_connection.ts";
import type { ConnectionFacts } from "./connection_facts.ts";
import type { Endpoint } from "../record/record.ts";
import { nextBackoffMs, RESOURCE_ERRORS } from "./deno_accept_loop.ts";
import { type HeldConnectionHandler, HeldConnections } from "./held_connections.ts";

/**
 * Connections accepted per readiness event at most. A flood leaves the rest in the queue for
 * the next batch (the listener is level-triggered), so sessions' reads and timers still run
 * between batches.
 */
export const ACCEPTS_PER_EVENT = 256;

/**
 * Connections accepted ahead of their turn and held at most. Each is an open fd (in the kernel,
 * it held the same socket while it waited in the queue) and a slot of {@linkcode HeldConnections}
 * (24 bytes of typed arrays and two string references; under 260 KB for all, made at the first
 * accept ahead).
 */
export const ACCEPT_AHEAD_MAX_CONNECTIONS = 8192;

/**
 * Accept ahead once the kernel's accept queue is this full or more (a share of its limit),
 * checked after each {@linkcode ACCEPT_AHEAD_CHECK_EVERY} connections a readiness event took
 * without emptying the queue.
 */
const ACCEPT_AHEAD_WHEN_QUEUE_SHARE = 0.75;

/** Accepting ahead takes the kernel's accept queue down to this share of its limit. */
const ACCEPT_AHEAD_DOWN_TO_QUEUE_SHARE = 0.5;

/**
 * Connections taken between two looks at the kernel's queue, while a readiness event lasts: few
 * enough that a cold process (about 150 us per connection in its first 50 ms) looks again before
 * a fast client fills the quarter of the queue left free.
 */
const ACCEPT_AHEAD_CHECK_EVERY = 64;

/** How an {@linkcode Accept4Loop} batches. */
export interface Accept4LoopOptions {
  /** Connections handed on per readiness event at most; default {@linkcode ACCEPTS_PER_EVENT}. */
  acceptsPerEvent?: number;
}

/** A connection this engine accepted: its fields, and `close(2)` as a method, not a closure. */
class Accept4Connection implements AcceptedConnection {
  constructor(
    readonly fd: number,
    readonly source: Endpoint,
    readonly destination: Endpoint,
    readonly acceptedAtMs: number,
    readonly firstRecordFields: Readonly<Record<string, unknown>> | undefined,
    readonly peerFinished: boolean,
  ) {}

  close(): void {
    closeFd(this.fd);
  }
}

/** Errors that mean the listener itself is gone: the engine stops. */
const LISTENER_GONE: ReadonlySet<number> = new Set([
  Errno.EBADF,
  Errno.ENOTSOCK,
  Errno.EINVAL,
]);

/**
 * Accepts with `accept4` on each readiness report of the listener, until EAGAIN or
 * {@linkcode ACCEPTS_PER_EVENT}, and hands each connection on at once. After every 64 taken
 * without emptying the queue, it looks at the kernel's queue: three quarters full or more, it
 * accepts ahead until the queue is half full (holding {@linkcode ACCEPT_AHEAD_MAX_CONNECTIONS} at
 * most), and hands those on first, a budget per batch, in the order they came. A connection
 * accepted ahead has its source, destination and accept time read when it is accepted; its SYN
 * and RTT when it is handed on.
 *
 * EMFILE, ENFILE, ENOBUFS and ENOMEM take the listener out of the epoll set for a pause (5 ms,
 * doubling to 500 ms while they last), so a full fd table cannot make the loop spin; other errors
 * concern one connection and are counted.
 */
export class Accept4Loop implements ReadinessHandler {
  readonly #listenerFd: number;
  readonly #poller: ReadinessPoller;
  readonly #facts: ConnectionFacts;
  readonly #stats: Stats;
  readonly #handler: ConnectionHandler;
  readonly #acceptsPerEvent: number;
  readonly #stopped: Promise<void>;
  readonly #queue: AcceptQueue = { length: -1, limit: -1 };
  /** Connections accepted ahead, oldest first; made at the first accept ahead. */
  #held: HeldConnections | undefined;
  #resolveStopped: () => void = () => {};
  #token = 0;
  #backoffMs = 0;
  /** Set while accepting is paused after a resource error. */
  #backoffTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Starts watching the listener.
   *
   * @param listenerFd The listening socket (nonblocking, as Deno makes it).
   * @param poller The sessions' poller.
   * @param facts Reads each connection's destination and handshake.
   * @param stats Where accepts and their errors are counted.
   * @param handler Receives each connection.
   * @param options How to batch.
   * @throws {ErrnoError} When the listener cannot be watched.
   */
  constructor(
    listenerFd: number,
    poller: ReadinessPoller,
    facts: ConnectionFacts,
    stats: Stats,
    handler: ConnectionHandler,
    options: Accept4LoopOptions = {},
  ) {
    this.#listenerFd = listenerFd;
    this.#poller = poller;
    this.#facts = facts;
    this.#stats = stats;
    this.#handler = handler;
    this.#acceptsPerEvent = options.acceptsPerEvent ?? ACCEPTS_PER_EVENT;
    this.#stopped = new Promise((resolve) => this.#resolveStopped = resolve);
    this.#token = poller.watch(listenerFd, this, EPOLLIN);
  }

  /** Resolves when the engine has stopped. */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  /** Whether accepting is paused after a resource error (EMFILE and the like). */
  get #paused(): boolean {
    return this.#backoffTimer !== undefined;
  }

  /** Connections accepted ahead and not yet handed on. */
  get heldAhead(): number {
    return this.#held?.count ?? 0;
  }

  /**
   * Hands on what was accepted ahead, then accepts what is queued; called by the poller, and
   * again at the next batch while connections accepted ahead remain.
   *
   * @param _events The `EPOLL*` bits, or 0.
   */
  onReady(_events: number): void {
    let budget = this.#acceptsPerEvent;
    while (budget > 0 && !this.#closed) {
      const slice = Math.min(budget, ACCEPT_AHEAD_CHECK_EVERY);
      const taken = this.#handOnOrAccept(slice);
      budget -= taken;
      // Fewer than asked: the queue is empty, or accepting paused or stopped.
      if (taken < slice) break;
      this.#acceptAheadIfBehind();
    }
    if (this.heldAhead > 0 && !this.#closed) this.#poller.callSoon(this.#token);
  }

  /**
   * Hands on connections accepted ahead, oldest first, then, once none is held, accepts and
   * hands on what is queued.
   *
   * @param most How many connections to take at most (a failed accept counts as one).
   * @returns How many were taken: fewer than `most` when the queue ran empty, or accepting was
   * paused or stopped.
   */
  #handOnOrAccept(most: number): number {
    let taken = this.#handOnAhead(most);
    if (this.heldAhead > 0) return taken;
    for (; taken < most && !this.#closed && !this.#paused; taken++) {
      const accepted = this.#acceptOne();
      if (accepted === null) break;
      if (accepted !== undefined) this.#take(accepted, this.#handOn);
    }
    return taken;
  }

  /**
   * One `accept4`.
   *
   * @returns The connection; `undefined` when one connection failed (counted); null when none
   * can be taken now: the queue is empty, or the listener was paused or closed.
   */
  #acceptOne(): AcceptedSocket | undefined | null {
    const accepted = acceptConnection(this.#listenerFd);
    if (typeof accepted !== "number") {
      this.#backoffMs = 0;
      return accepted;
    }
    const errno = -accepted;
    if (errno === Errno.EAGAIN) return null;
    if (errno === Errno.EINTR) return undefined;
    const kind = errnoName(errno);
    this.#stats.countAcceptError(kind);
    if (RESOURCE_ERRORS.has(kind)) {
      this.#pause();
      return null;
    }
    if (LISTENER_GONE.has(errno)) {
      reportDiagnostic(`Cannot accept: ${kind} on the listening socket; no longer accepting`);
      this.close();
      return null;
    }
    return undefined;
  }

  /**
   * Counts a connection just accepted, reads what cannot wait (its destination and the time) and
   * gives it to `next`, which hands it on or holds it; closes it instead (counted) when its peer
   * is not an IP address, which a TCP listener never hands out.
   *
   * @returns False when the connection was closed.
   */
  #take(accepted: AcceptedSocket, next: HeldConnectionHandler): boolean {
    const acceptedAtMs = Date.now();
    const { fd, peer } = accepted;
    if (peer === null) {
      this.#stats.countAcceptError("NoPeerAddress");
      closeFd(fd);
      return false;
    }
    this.#stats.connectionsAccepted++;
    next(fd, peer, this.#facts.destination(fd, peer), acceptedAtMs);
    return true;
  }

  /**
   * Reads a connection's SYN and RTT and hands it on. A field, so that handing on what is held
   * passes it without making a closure.
   */
  readonly #handOn: HeldConnectionHandler = (fd, source, destination, acceptedAtMs) => {
    const fields = this.#facts.handshake(fd);
    this.#handler(
      new Accept4Connection(
        fd,
        source,
        destination,
        acceptedAtMs,
        fields,
        this.#facts.peerFinished,
      ),
    );
  };

  /**
   * Hands on connections accepted ahead, oldest first.
   *
   * @param most How many at most.
   * @returns How many were handed on.
   */
  #handOnAhead(most: number): number {
    const held = this.#held;
    let handed = 0;
    while (held !== undefined && handed < most && held.shift(this.#handOn)) handed++;
    return handed;
  }

  /**
   * When the kernel's accept queue is three quarters full or more, accepts until it is half
   * full, holding {@linkcode ACCEPT_AHEAD_MAX_CONNECTIONS} at most.
   */
  #acceptAheadIfBehind(): void {
    if (this.#closed || this.#paused) return;
    const queue = this.#queue;
    if (!readAcceptQueue(this.#listenerFd, queue)) return;
    if (queue.length < queue.limit * ACCEPT_AHEAD_WHEN_QUEUE_SHARE) return;
    const held = this.#held ??= new HeldConnections(ACCEPT_AHEAD_MAX_CONNECTIONS);
    let tries = queue.length - Math.floor(queue.limit * ACCEPT_AHEAD_DOWN_TO_QUEUE_SHARE);
    while (tries-- > 0 && held.count < held.capacity && !this.#closed) {
      const accepted = this.#acceptOne();
      if (accepted === null) break;
      if (accepted !== undefined && this.#take(accepted, this.#hold)) {
        this.#stats.connectionsAcceptedAhead++;
      }
    }
  }

  /** Holds a connection accepted ahead (the ring has room: the caller checked). */
  readonly #hold: HeldConnectionHandler = (fd, source, destination, acceptedAtMs) => {
    this.#held?.push(fd, source, destination, acceptedAtMs);
  };

  #pause(): void {
    this.#backoffMs = nextBackoffMs(this.#backoffMs);
    try {
      this.#poller.change(this.#listenerFd, this.#token, 0);
    } catch {
      // Not watched any more: closed meanwhile.
      return;
    }
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      if (this.#closed) return;
      try {
        this.#poller.change(this.#listenerFd, this.#token, EPOLLIN);
      } catch (error) {
        reportDiagnostic(
          `Cannot resume accepting: ${error instanceof Error ? error.message : error}`,
        );
        this.close();
      }
    }, this.#backoffMs);
  }

  /**
   * Stops accepting, and hands on at once the connections accepted ahead, so that they are
   * recorded like the others; the listener stays open (its owner closes it).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handOnAhead(Infinity);
    if (this.#backoffTimer !== undefined) clearTimeout(this.#backoffTimer);
    try {
      // Out of the epoll set now, or a readable listener would be reported at every batch.
      this.#poller.change(this.#listenerFd, this.#token, 0);
    } catch {
      // Already out of the set.
    }
    this.#poller.forget(this.#token);
    this.#resolveStopped();
  }
}
