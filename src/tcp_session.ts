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
import { printDiagnostic } from "./diagnostics.ts";
import {
  type ClientHello,
  clientHelloBytesNeeded,
  ClientHelloError,
  parseClientHello,
  sniffTls,
} from "./client_hello.ts";
import { tlsHelloFields, type TlsTerminator } from "./tls_terminator.ts";

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
  /** Terminates TLS when the first bytes are a ClientHello; absent, TLS is plain bytes. */
  readonly tls?: TlsTerminator;
  /** Read and count, but write no record: the source is over its budget. */
  readonly quiet?: boolean;
}

/** The extra field on every record of decrypted bytes. */
const INSIDE_TLS: Readonly<Record<string, unknown>> = { tls: true };

/** How reading the first bytes as a possible ClientHello ended. */
type TlsAttempt = "tls" | "plain" | "plain-ended";

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
  #held:
    | { bytes: Uint8Array; timeMs: number; extra: Readonly<Record<string, unknown>> | undefined }
    | null = null;
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
   * Reads until the session ends, writing its records. It never rejects: a failure is reported
   * on stderr and the session is closed. `Stats.connectionsOpen` counts sessions still running.
   *
   * @returns When the session has ended and its records are queued.
   */
  async run(): Promise<void> {
    const stats = this.#context.stats;
    stats.connectionsOpen++;
    try {
      await this.#read();
    } catch (error) {
      this.close("eof");
      printDiagnostic(`Cannot finish a session: ${error instanceof Error ? error.message : error}`);
    } finally {
      stats.connectionsOpen--;
    }
  }

  async #read(): Promise<void> {
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
      // Take at once whatever else is queued, so that a burst is one record, and learn of an
      // end of stream that has already arrived without another async read. The fd is only
      // used while the connection is open, so it cannot belong to another connection.
      if (fd >= 0 && !this.#closed) {
        const more = receiveQueued(fd, scratch.subarray(n, readSize));
        if (more > 0) size += more;
        else if (more === 0) ended = true;
        else if (more === -Errno.ECONNRESET) {
          ended = true;
          this.#reason = "reset";
        }
      }
      if (
        this.#received === 0 && this.#context.tls !== undefined &&
        sniffTls(scratch.subarray(0, size)) !== "not-tls"
      ) {
        const attempt = await this.#tryTls(scratch.slice(0, size), timeMs, ended);
        if (attempt !== "plain") break;
        continue;
      }
      this.#take(scratch.subarray(0, size), timeMs);
      if (ended) break;
    }
    this.#finish();
  }

  /**
   * Reads on until the bytes hold a whole ClientHello, then runs TLS over the connection. When
   * they turn out not to be one, each read becomes a record exactly as on the plain path.
   */
  async #tryTls(bytes: Uint8Array, timeMs: number, ended: boolean): Promise<TlsAttempt> {
    const tls = this.#context.tls;
    const reads = [{ bytes, timeMs }];
    let all = bytes;
    let hello: ClientHello | null = null;
    let buffer: Uint8Array | null = null;
    while (tls !== undefined) {
      try {
        if (sniffTls(all) === "tls" && clientHelloBytesNeeded(all) === 0) {
          hello = parseClientHello(all);
          break;
        }
        if (sniffTls(all) === "not-tls") break;
      } catch (error) {
        if (!(error instanceof ClientHelloError)) throw error;
        break;
      }
      if (ended || this.#closed) break;
      buffer ??= new Uint8Array(this.#context.readSize);
      let n: number | null;
      try {
        n = await this.connection.conn.read(buffer);
      } catch (error) {
        if (!this.#closed) {
          this.close(error instanceof Deno.errors.ConnectionReset ? "reset" : "eof");
        }
        n = null;
      }
      if (n === null) {
        ended = true;
        break;
      }
      const now = Date.now();
      this.lastActivityMs = now;
      const more = buffer.slice(0, n);
      reads.push({ bytes: more, timeMs: now });
      const joined = new Uint8Array(all.length + n);
      joined.set(all);
      joined.set(more, all.length);
      all = joined;
    }
    if (tls === undefined || hello === null) {
      for (const read of reads) this.#take(read.bytes, read.timeMs);
      return ended || this.#closed ? "plain-ended" : "plain";
    }
    reads.forEach((read, i) => {
      this.#take(
        read.bytes,
        read.timeMs,
        i === reads.length - 1 ? tlsHelloFields(hello) : undefined,
      );
    });
    const outcome = await tls.terminate({
      conn: this.connection.conn,
      replay: all,
      hello,
      destinationIp: this.flow.destinationIp,
      onData: (plain) => {
        const now = Date.now();
        this.lastActivityMs = now;
        this.#take(plain, now, INSIDE_TLS);
      },
      onActivity: () => {
        this.lastActivityMs = Date.now();
      },
      close: () => this.close("eof"),
    });
    if (outcome.error !== null) {
      if (this.#held !== null) {
        this.#emit(this.#held.bytes, this.#held.timeMs, false, this.#held.extra);
        this.#held = null;
      }
      const reason = this.#reason === "eof" ? outcome.error : `${this.#reason}: ${outcome.error}`;
      this.#emit(new Uint8Array(0), Date.now(), false, { tls: true, tls_error: reason });
    }
    return "tls";
  }

  #take(bytes: Uint8Array, timeMs: number, extra?: Readonly<Record<string, unknown>>): void {
    const { maxBytes, stats } = this.#context;
    this.#received += bytes.length;
    stats.bytesReceived += bytes.length;
    if (this.#context.quiet === true) return;
    if (this.#held !== null) {
      // The cap was reached exactly, and more came: the held record was the last, truncated.
      this.#truncated = true;
      this.#emit(this.#held.bytes, this.#held.timeMs, false, this.#held.extra);
      this.#held = null;
    }
    const room = maxBytes - this.#logged;
    if (room <= 0) {
      stats.bytesOverCap += bytes.length;
      return;
    }
    if (bytes.length < room) {
      this.#logged += bytes.length;
      this.#emit(bytes, timeMs, false, extra);
    } else if (bytes.length === room) {
      // Whether this record is the truncated last one depends on what comes next.
      this.#logged = maxBytes;
      this.#held = { bytes: bytes.slice(), timeMs, extra };
    } else {
      this.#logged = maxBytes;
      this.#truncated = true;
      stats.bytesOverCap += bytes.length - room;
      this.#emit(bytes.subarray(0, room), timeMs, false, extra);
    }
  }

  #emit(
    bytes: Uint8Array,
    timeMs: number,
    silent = false,
    extra?: Readonly<Record<string, unknown>>,
  ): void {
    const { writer, stats, quiet } = this.#context;
    if (quiet === true) return;
    this.#seq++;
    if (this.#truncated) stats.sessionsTruncated++;
    stats.bytesLogged += bytes.length;
    const line = encodeRecord(this.flow, this.#seq, bytes, timeMs, {
      silent,
      truncated: this.#truncated,
    }, extra);
    writer.push(line);
  }

  #finish(): void {
    if (this.#held !== null) {
      this.#emit(this.#held.bytes, this.#held.timeMs, false, this.#held.extra);
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
