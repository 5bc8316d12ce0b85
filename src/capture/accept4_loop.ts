/**
 * The `accept = "accept4"` engine (the default): the sensor takes connections off the listening
 * socket itself with `accept4`, driven by the same epoll set that reads the sessions.
 *
 * `accept4` hands out every connection the kernel completed, including one the client reset
 * while it waited in the accept queue: its address comes from `accept4` itself, its original
 * destination still answers, and the bytes it sent before the reset are still readable. Each
 * session owns its fd and closes it with `close(2)`; no Deno resource is made per connection.
 *
 * @module
 */
import { EPOLLIN } from "../../ffi/epoll.ts";
import { Errno, errnoName } from "../../ffi/errno_error.ts";
import { acceptConnection, closeFd } from "../../ffi/accept.ts";
import type { Stats } from "../output/stats.ts";
import { reportDiagnostic } from "../output/events.ts";
import type { ReadinessHandler, ReadinessPoller } from "./readiness_poller.ts";
import type { AcceptedConnection, ConnectionHandler } from "./accepted_connection.ts";
import type { ConnectionFacts } from "./connection_facts.ts";
import type { Endpoint } from "../record/record.ts";
import { nextBackoffMs, RESOURCE_ERRORS } from "./deno_accept_loop.ts";

/**
 * Connections accepted per readiness event at most. A flood leaves the rest in the queue for
 * the next batch (the listener is level-triggered), so sessions' reads and timers still run
 * between batches.
 */
export const ACCEPTS_PER_EVENT = 256;

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
 * {@linkcode ACCEPTS_PER_EVENT}. EMFILE, ENFILE, ENOBUFS and ENOMEM take the listener out of the
 * epoll set for a pause (5 ms, doubling to 500 ms while they last), so a full fd table cannot
 * make the loop spin; other errors concern one connection and are counted.
 */
export class Accept4Loop implements ReadinessHandler {
  readonly #listenerFd: number;
  readonly #poller: ReadinessPoller;
  readonly #facts: ConnectionFacts;
  readonly #stats: Stats;
  readonly #handler: ConnectionHandler;
  readonly #stopped: Promise<void>;
  #resolveStopped: () => void = () => {};
  #token = 0;
  #backoffMs = 0;
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
   * @throws {ErrnoError} When the listener cannot be watched.
   */
  constructor(
    listenerFd: number,
    poller: ReadinessPoller,
    facts: ConnectionFacts,
    stats: Stats,
    handler: ConnectionHandler,
  ) {
    this.#listenerFd = listenerFd;
    this.#poller = poller;
    this.#facts = facts;
    this.#stats = stats;
    this.#handler = handler;
    this.#stopped = new Promise((resolve) => this.#resolveStopped = resolve);
    this.#token = poller.watch(listenerFd, this, EPOLLIN);
  }

  /** Resolves when the engine has stopped. */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  /**
   * Accepts what is queued; called by the poller.
   *
   * @param _events The `EPOLL*` bits.
   */
  onReady(_events: number): void {
    for (let i = 0; i < ACCEPTS_PER_EVENT && !this.#closed; i++) {
      const accepted = acceptConnection(this.#listenerFd);
      if (typeof accepted !== "number") {
        this.#backoffMs = 0;
        this.#take(accepted.fd, accepted.peer);
        continue;
      }
      const errno = -accepted;
      if (errno === Errno.EAGAIN) return;
      if (errno === Errno.EINTR) continue;
      const kind = errnoName(errno);
      this.#stats.countAcceptError(kind);
      if (RESOURCE_ERRORS.has(kind)) {
        this.#pause();
        return;
      }
      if (LISTENER_GONE.has(errno)) {
        reportDiagnostic(`Cannot accept: ${kind} on the listening socket; no longer accepting`);
        this.close();
        return;
      }
    }
  }

  #take(fd: number, peer: { ip: string; port: number } | null): void {
    const acceptedAtMs = Date.now();
    if (peer === null) {
      // Not an IP peer: cannot happen on a TCP listener; counted, never handed on.
      this.#stats.countAcceptError("NoPeerAddress");
      closeFd(fd);
      return;
    }
    this.#stats.connectionsAccepted++;
    const destination = this.#facts.destination(fd, peer);
    const fields = this.#facts.handshake(fd);
    this.#handler(
      new Accept4Connection(
        fd,
        peer,
        destination,
        acceptedAtMs,
        fields,
        this.#facts.peerFinished,
      ),
    );
  }

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

  /** Stops accepting; the listener stays open (its owner closes it). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
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
