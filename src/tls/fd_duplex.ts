/**
 * A node Duplex over a socket fd that the {@linkcode ReadinessPoller} watches: what TLS runs
 * over once a session has read a whole ClientHello.
 *
 * @module
 */
import { Duplex } from "node:stream";
import { Buffer } from "node:buffer";
import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from "../../ffi/epoll.ts";
import { Errno, errnoName } from "../../ffi/errno_error.ts";
import { receiveQueued, sendNow, shutdownWrite } from "../../ffi/socket.ts";

/** Bytes per read: one full TLS record. */
const READ_BYTES = 16384 + 2048 + 5;
/** Reads per readiness event at most, so that one busy session cannot hold the loop. */
const READS_PER_EVENT = 4;

let scratch: Uint8Array<ArrayBuffer> | null = null;

/** What the duplex needs from the session that owns the fd. */
export interface FdDuplexOwner {
  /**
   * Sets the readiness events the poller reports for the fd.
   *
   * @param events `EPOLL*` bits; 0 pauses.
   */
  setInterest(events: number): void;
  /** Called when bytes arrive, to keep the idle timeout at bay. */
  onActivity(): void;
  /** Closes the fd, the owner's way. Called once the duplex is destroyed. */
  close(): void;
}

/**
 * A Duplex over a nonblocking socket fd. Reads come from {@linkcode FdDuplex.onReady} when the
 * poller reports the fd; writes go out with `send` at once, and wait for `EPOLLOUT` when the send
 * buffer is full. The first read yields `replay`, the bytes the session already took from the
 * socket. They are pushed in a microtask: pushed synchronously, a malformed hello reaches node:tls
 * before its handle has started, and the fatal alert then throws where nothing can catch it.
 */
export class FdDuplex extends Duplex {
  #fd: number;
  readonly #owner: FdDuplexOwner;
  #replay: Uint8Array | null;
  #wanted = false;
  #ended = false;
  #interest = EPOLLIN | EPOLLRDHUP;
  #pending: { chunk: Uint8Array; offset: number; callback: (error?: Error | null) => void } | null =
    null;

  /**
   * @param fd The socket, nonblocking, already watched with `EPOLLIN | EPOLLRDHUP`.
   * @param replay The bytes to yield first.
   * @param owner The session's side.
   */
  constructor(fd: number, replay: Uint8Array, owner: FdDuplexOwner) {
    super();
    this.#fd = fd;
    this.#replay = replay;
    this.#owner = owner;
  }

  /**
   * Handles a readiness report for the fd.
   *
   * @param events The `EPOLL*` bits.
   */
  onReady(events: number): void {
    if (this.#fd < 0) return;
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) !== 0 && this.#pending !== null) this.#send();
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) !== 0) this.#receive();
  }

  /** Forgets the fd (the owner has closed it) and destroys the stream with an error. */
  detach(): void {
    this.#fd = -1;
    this.destroy(new Error("the connection was closed"));
  }

  override _read(): void {
    if (this.#replay !== null) {
      const replay = this.#replay;
      this.#replay = null;
      queueMicrotask(() => this.push(Buffer.from(replay)));
      return;
    }
    this.#wanted = true;
    this.#updateInterest();
    // Bytes may have arrived while reading was paused: the level-triggered poller reports them.
  }

  override _write(
    chunk: Buffer,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    this.#pending = { chunk, offset: 0, callback };
    this.#send();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#fd >= 0) shutdownWrite(this.#fd);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const pending = this.#pending;
    this.#pending = null;
    pending?.callback(error ?? new Error("Cannot send: the connection is closed"));
    if (this.#fd >= 0) {
      this.#fd = -1;
      this.#owner.close();
    }
    callback(error);
  }

  #receive(): void {
    for (let reads = 0; reads < READS_PER_EVENT && this.#wanted && !this.#ended; reads++) {
      if (this.#fd < 0) return;
      scratch ??= new Uint8Array(READ_BYTES);
      const n = receiveQueued(this.#fd, scratch);
      if (n === -Errno.EAGAIN) return;
      if (n < 0) {
        this.destroy(new Error(`Cannot read: ${errnoName(-n)}`));
        return;
      }
      if (n === 0) {
        this.#ended = true;
        this.#updateInterest();
        this.push(null);
        return;
      }
      this.#owner.onActivity();
      this.#wanted = this.push(Buffer.from(scratch.subarray(0, n)));
      if (!this.#wanted) this.#updateInterest();
    }
  }

  #send(): void {
    const pending = this.#pending;
    if (pending === null) return;
    if (this.#fd < 0) {
      this.#pending = null;
      pending.callback(new Error("Cannot send: the connection is closed"));
      return;
    }
    while (pending.offset < pending.chunk.length) {
      const n = sendNow(this.#fd, pending.chunk.subarray(pending.offset));
      if (n === -Errno.EAGAIN) {
        this.#updateInterest();
        return;
      }
      if (n < 0) {
        this.#pending = null;
        this.#updateInterest();
        pending.callback(new Error(`Cannot send: ${errnoName(-n)}`));
        return;
      }
      pending.offset += n;
    }
    this.#pending = null;
    this.#updateInterest();
    pending.callback();
  }

  #updateInterest(): void {
    if (this.#fd < 0) return;
    const events = (this.#wanted && !this.#ended ? EPOLLIN | EPOLLRDHUP : 0) |
      (this.#pending !== null ? EPOLLOUT : 0);
    if (events === this.#interest) return;
    this.#interest = events;
    this.#owner.setInterest(events);
  }
}
