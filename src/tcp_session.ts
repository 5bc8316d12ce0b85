/**
 * One TCP session: read what the client sends until it ends, and write a record per read.
 *
 * @module
 */
import { receiveQueued } from "../ffi/socket.ts";
import { Errno } from "../ffi/errno_error.ts";
import type { AcceptedConnection } from "./tcp_acceptor.ts";
import { createFlow, encodeRecord, type Flow } from "./record.ts";
import type { RecordWriter } from "./record_writer.ts";
import type { Stats } from "./stats.ts";

/**
 * Bytes of the per-connection buffer that a pending read holds. Kept small so that an idle
 * connection pins little memory; whatever else has arrived is then taken at once from the
 * socket into one shared buffer (`recv` with MSG_DONTWAIT), so a burst still makes one record.
 */
export const FIRST_READ_BYTES = 256;

/** Why a session ended. */
export type EndReason = "eof" | "reset" | "idle" | "lifetime" | "evicted" | "shutdown";

/** What every session shares. */
export interface SessionContext {
  /** The sensor's name. */
  readonly sensorName: string;
  /** Most bytes one record carries. */
  readonly readSize: number;
  /** Bytes logged per session at most. */
  readonly maxBytes: number;
  /** Whether a session that sends nothing gets a record. */
  readonly recordSilent: boolean;
  /** Where records go. */
  readonly writer: RecordWriter;
  /** Counters. */
  readonly stats: Stats;
  /** Called once when the session's connection is closed, before its fd is freed. */
  readonly onClose: (session: TcpSession) => void;
}

let scratch = new Uint8Array(4096);

/**
 * A TCP session. `run` reads until end of stream, a reset, or `close` (which the sweeper calls
 * at the idle timeout or the lifetime cap), writing one record per read, all with the session's
 * id. Bytes past the byte cap are counted, not logged, and the last logged record is marked
 * truncated. A session that sends nothing gets one silent record.
 */
export class TcpSession {
  /** The accepted connection. */
  readonly connection: AcceptedConnection;
  /** What its records share. */
  readonly flow: Flow;
  /** When data last arrived (or the connection was accepted), epoch ms. */
  lastActivityMs: number;
  readonly #context: SessionContext;
  #seq = 0;
  #received = 0;
  #logged = 0;
  #held: { bytes: Uint8Array; timeMs: number } | null = null;
  #truncated = false;
  #closed = false;
  #reason: EndReason = "eof";

  /**
   * @param connection The accepted connection.
   * @param context What sessions share.
   */
  constructor(connection: AcceptedConnection, context: SessionContext) {
    this.connection = connection;
    this.#context = context;
    this.lastActivityMs = connection.acceptedAtMs;
    this.flow = createFlow("tcp", connection.source, connection.destination, context.sensorName);
    if (scratch.length < context.readSize) scratch = new Uint8Array(context.readSize);
  }

  /** Whether the connection has been closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Closes the connection; a pending read then ends and `run` finishes.
   *
   * @param reason Why.
   */
  close(reason: EndReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason;
    this.#context.onClose(this);
    try {
      this.connection.conn.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * Reads until the session ends, writing its records.
   *
   * @returns When the session has ended and its records are queued.
   */
  async run(): Promise<void> {
    const { conn, fd } = this.connection;
    const first = new Uint8Array(FIRST_READ_BYTES);
    const readSize = this.#context.readSize;
    while (!this.#closed) {
      let n: number | null;
      try {
        n = await conn.read(first);
      } catch (error) {
        if (!this.#closed) {
          this.close(error instanceof Deno.errors.ConnectionReset ? "reset" : "eof");
        }
        break;
      }
      if (n === null) break;
      const timeMs = Date.now();
      this.lastActivityMs = timeMs;
      let size = n;
      let ended = false;
      scratch.set(first.subarray(0, n));
      // A full first buffer means more may be queued: take it now, so a burst is one record.
      // The fd is only used while the connection is open, so it cannot belong to another.
      if (n === first.length && fd >= 0 && !this.#closed) {
        const more = receiveQueued(fd, scratch.subarray(n, readSize));
        if (more > 0) size += more;
        else if (more === 0) ended = true;
        else if (more === -Errno.ECONNRESET) {
          ended = true;
          this.#reason = "reset";
        }
      }
      this.#take(scratch.subarray(0, size), timeMs);
      if (ended) break;
    }
    this.#finish();
  }

  #take(bytes: Uint8Array, timeMs: number): void {
    const { maxBytes, stats } = this.#context;
    this.#received += bytes.length;
    stats.bytesReceived += bytes.length;
    if (this.#held !== null) {
      // The cap was reached exactly, and more came: the held record was the last, truncated.
      this.#truncated = true;
      this.#emit(this.#held.bytes, this.#held.timeMs);
      this.#held = null;
    }
    const room = maxBytes - this.#logged;
    if (room <= 0) {
      stats.bytesOverCap += bytes.length;
      return;
    }
    if (bytes.length < room) {
      this.#logged += bytes.length;
      this.#emit(bytes, timeMs);
    } else if (bytes.length === room) {
      // Whether this record is the truncated last one depends on what comes next.
      this.#logged = maxBytes;
      this.#held = { bytes: bytes.slice(), timeMs };
    } else {
      this.#logged = maxBytes;
      this.#truncated = true;
      stats.bytesOverCap += bytes.length - room;
      this.#emit(bytes.subarray(0, room), timeMs);
    }
  }

  #emit(bytes: Uint8Array, timeMs: number, silent = false): void {
    const { writer, stats } = this.#context;
    this.#seq++;
    if (this.#truncated) stats.sessionsTruncated++;
    stats.bytesLogged += bytes.length;
    const line = encodeRecord(this.flow, this.#seq, bytes, timeMs, {
      silent,
      truncated: this.#truncated,
    });
    writer.push(line);
  }

  #finish(): void {
    if (this.#held !== null) {
      this.#emit(this.#held.bytes, this.#held.timeMs);
      this.#held = null;
    }
    const { stats, recordSilent } = this.#context;
    if (!this.#closed) this.close(this.#reason);
    switch (this.#reason) {
      case "reset":
        stats.sessionsReset++;
        break;
      case "idle":
        stats.sessionsIdleTimeout++;
        break;
      case "lifetime":
        stats.sessionsLifetimeCap++;
        break;
      case "evicted":
        stats.sessionsEvicted++;
        break;
    }
    if (this.#received === 0) {
      stats.sessionsSilent++;
      if (recordSilent) this.#emit(new Uint8Array(0), Date.now(), true);
    }
  }
}
