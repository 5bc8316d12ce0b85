/**
 * Speaking first: a session's greeting dialog and its bounded writes. A {@linkcode TcpSession}
 * holds one only once it has greeted; until then its greeting state is nothing but its silence.
 *
 * @module
 */
import { sendNow, shutdownWrite } from "../../ffi/socket.ts";
import { Errno } from "../../ffi/errno_error.ts";
import { EPOLLIN, EPOLLOUT, EPOLLRDHUP } from "../../ffi/epoll.ts";
import { type GreetConfig, type GreetProtocol, greetProtocolFor } from "../config/greet.ts";
import type { Dialog } from "../greet/registry.ts";
import type { Stats } from "../output/stats.ts";
import type { ExtraFields } from "./capped_records.ts";

/** Bytes waiting to be sent at most; a dialog that would queue more is cut off (counted). */
export const MAX_PENDING_BYTES = 8192;

const READING = EPOLLIN | EPOLLRDHUP;

/** How sessions greet: the `[greet]` settings, ready for use. */
export interface GreetPolicy {
  /** Silence before greeting, ms. */
  readonly afterMs: number;
  /** Answer an SSH version line at once, on any port. */
  readonly detectSsh: boolean;
  /**
   * The protocol for a port.
   *
   * @param port The port the client dialled.
   * @returns The protocol, or null for none.
   */
  protocolFor(port: number): GreetProtocol | null;
  /** Banner replacements by protocol. */
  readonly banners: Readonly<Partial<Record<GreetProtocol, string>>>;
}

/**
 * The policy for a configuration.
 *
 * @param greet The `[greet]` settings.
 * @returns The policy, or undefined when greeting is off.
 */
export function greetPolicy(greet: GreetConfig): GreetPolicy | undefined {
  if (!greet.enabled) return undefined;
  return {
    afterMs: greet.afterMs,
    detectSsh: greet.detectSsh,
    protocolFor: (port) => greetProtocolFor(greet, port),
    banners: greet.banners,
  };
}

/** What a greeter needs from its session. */
export interface GreeterOwner {
  /** The socket, nonblocking and watched by the poller. */
  readonly fd: number;
  /** Counters. */
  readonly stats: Stats;
  /**
   * Sets the readiness events the poller reports for the socket.
   *
   * @param events `EPOLL*` bits.
   */
  setInterest(events: number): void;
}

/** The `greeting` field of each protocol, shared by every record. */
const FIELDS = new Map<GreetProtocol, ExtraFields>();

function fieldsOf(protocol: GreetProtocol): ExtraFields {
  let fields = FIELDS.get(protocol);
  if (fields === undefined) {
    fields = Object.freeze({ greeting: protocol });
    FIELDS.set(protocol, fields);
  }
  return fields;
}

/**
 * A session's dialog once it has greeted. Replies go out with `send` at once; when the send
 * buffer is full the rest waits (at most {@linkcode MAX_PENDING_BYTES}) for `EPOLLOUT`. A failed
 * write (an error, too much waiting, or replies still waiting when the session closes) is counted
 * once and ends the writing, never the reading: what the client sent is still read and recorded
 * until it closes. When the dialog ends, Spip shuts its writing side (FIN) once
 * everything is sent, and reads on until the client closes or the idle timeout.
 */
export class Greeter {
  /** The fields of every record read after the greeting: `{ greeting: protocol }`. */
  readonly fields: ExtraFields;
  readonly #dialog: Dialog;
  readonly #owner: GreeterOwner;
  #pending: Uint8Array | null = null;
  #waitingForRoom = false;
  #writing = true;
  #ending = false;
  #prodded = false;

  /**
   * Sends the greeting.
   *
   * @param dialog The dialog, not yet greeted (from `createDialog` in src/greet/registry.ts).
   * @param owner The session's side.
   */
  constructor(dialog: Dialog, owner: GreeterOwner) {
    this.fields = fieldsOf(dialog.protocol);
    this.#owner = owner;
    this.#dialog = dialog;
    owner.stats.greetingsSent++;
    this.#send(this.#dialog.greeting());
  }

  /**
   * Handles one read: the dialog answers it.
   *
   * @param bytes The read.
   * @returns The fields for its record.
   */
  receive(bytes: Uint8Array): ExtraFields {
    const step = this.#dialog.receive(bytes);
    if (step.reply !== null) this.#send(step.reply);
    if (step.end) this.#end();
    return step.fields === null ? this.fields : { ...this.fields, ...step.fields };
  }

  /** The client stayed silent after the greeting: the dialog may prompt, once. */
  onSilence(): void {
    if (this.#prodded) return;
    this.#prodded = true;
    const prompt = this.#dialog.onSilence?.() ?? null;
    if (prompt !== null) this.#send(prompt);
  }

  /** The socket can take more bytes. */
  onWritable(): void {
    this.#flush();
  }

  /**
   * The session is closing (the client ended or reset, or the idle timeout): a reply still
   * waiting for room will never be sent, which counts as a failed write.
   */
  onClose(): void {
    if (this.#pending !== null) this.#fail();
  }

  #send(bytes: Uint8Array): void {
    if (!this.#writing || this.#ending) return;
    const pending = this.#pending;
    if (pending === null) {
      this.#pending = bytes;
    } else if (pending.length + bytes.length > MAX_PENDING_BYTES) {
      this.#fail();
      return;
    } else {
      const joined = new Uint8Array(pending.length + bytes.length);
      joined.set(pending);
      joined.set(bytes, pending.length);
      this.#pending = joined;
    }
    if (pending === null) this.#flush();
  }

  #flush(): void {
    let pending = this.#pending;
    if (pending === null || !this.#writing) return;
    while (pending.length > 0) {
      const n = sendNow(this.#owner.fd, pending);
      if (n === -Errno.EAGAIN) {
        this.#pending = pending;
        if (!this.#waitingForRoom) this.#owner.setInterest(READING | EPOLLOUT);
        this.#waitingForRoom = true;
        return;
      }
      if (n < 0) {
        this.#fail();
        return;
      }
      pending = pending.subarray(n);
    }
    this.#pending = null;
    this.#stopWaiting();
    if (this.#ending) this.#shut();
  }

  /** A write failed (the client is gone, or would not read): stop writing, keep reading. */
  #fail(): void {
    this.#owner.stats.greetingWriteFailures++;
    this.#writing = false;
    this.#pending = null;
    this.#stopWaiting();
  }

  #stopWaiting(): void {
    if (!this.#waitingForRoom) return;
    this.#waitingForRoom = false;
    this.#owner.setInterest(READING);
  }

  #end(): void {
    if (this.#ending) return;
    this.#ending = true;
    if (this.#pending === null) this.#shut();
  }

  #shut(): void {
    if (!this.#writing) return;
    this.#writing = false;
    shutdownWrite(this.#owner.fd);
  }
}
