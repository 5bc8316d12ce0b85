/**
 * One TCP session: read what the client sends until it ends, and write a record per read.
 *
 * @module
 */
import { receiveQueued, setIntOption } from "../../ffi/socket.ts";
import { Errno } from "../../ffi/errno_error.ts";
import { EPOLLERR, EPOLLHUP } from "../../ffi/epoll.ts";
import type { AcceptedConnection } from "../capture/tcp_acceptor.ts";
import { createFlow, encodeRecord, type Flow } from "../record/record.ts";
import type { RecordWriter } from "../output/record_writer.ts";
import type { Stats } from "../output/stats.ts";
import { printDiagnostic } from "../output/diagnostics.ts";
import {
  type ClientHello,
  clientHelloBytesNeeded,
  ClientHelloError,
  parseClientHello,
  sniffTls,
} from "../tls/client_hello.ts";
import { tlsHelloFields, type TlsTerminator } from "../tls/terminator.ts";
import type { ReadinessHandler, ReadinessPoller } from "../capture/readiness_poller.ts";
import { FdDuplex } from "../tls/fd_duplex.ts";

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
  /** Tells each session when its socket is readable. */
  readonly poller: ReadinessPoller;
  /** Called once when the session's connection is closed, before its fd is freed. */
  readonly onClose: (session: TcpSession) => void;
  /** Terminates TLS when the first bytes are a ClientHello; absent, TLS is plain bytes. */
  readonly tls?: TlsTerminator;
  /** Read and count, but write no record: the source is over its budget. */
  readonly quiet?: boolean;
}

/** The extra field on every record of decrypted bytes. */
const INSIDE_TLS: Readonly<Record<string, unknown>> = { tls: true };

/**
 * Reads per readiness report at most. A client that keeps the socket full is read again at the
 * next batch, so it cannot hold the event loop.
 */
const READS_PER_EVENT = 8;

const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;

/** Bytes read so far that may be a ClientHello, each read kept to be recorded as it came. */
interface HelloCandidate {
  readonly reads: { bytes: Uint8Array; timeMs: number }[];
  all: Uint8Array;
}

let scratch = new Uint8Array(4096);

/**
 * A TCP session. After {@linkcode TcpSession.start}, the poller reports the socket readable and
 * the session reads what is queued: each read (up to `readSize` bytes) is a record, all with the
 * session's id. It ends at end of stream, a reset, or `close` (which the sweeper calls at the idle
 * timeout or the lifetime cap). Bytes past the byte cap are counted, not logged, and the last
 * logged record is marked truncated. A session that sends nothing gets one silent record.
 *
 * An idle session holds no buffer and no pending operation: this object, Deno's resource for its
 * socket (kept open, since closing it shuts the socket's writing side), and the kernel's socket.
 */
export class TcpSession implements ReadinessHandler {
  /** The accepted connection. */
  readonly connection: AcceptedConnection;
  /** What its records share. */
  readonly flow: Flow;
  /** When data last arrived (or the connection was accepted), epoch ms. */
  lastActivityMs: number;
  readonly #context: SessionContext;
  #token = 0;
  #seq = 0;
  #received = 0;
  #logged = 0;
  #held:
    | { bytes: Uint8Array; timeMs: number; extra: Readonly<Record<string, unknown>> | undefined }
    | null = null;
  #hello: HelloCandidate | null = null;
  #tls: FdDuplex | null = null;
  #truncated = false;
  #closed = false;
  #finished = false;
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
   * Starts reading. `Stats.connectionsOpen` counts the sessions started and not yet finished.
   */
  start(): void {
    this.#context.stats.connectionsOpen++;
    const { fd, conn } = this.connection;
    if (fd < 0) {
      this.#readWithoutFd(conn).catch((error) => this.#fail(error));
      return;
    }
    try {
      this.#token = this.#context.poller.watch(fd, this);
    } catch (error) {
      printDiagnostic(`Cannot watch a session: ${error instanceof Error ? error.message : error}`);
      this.#end("eof");
    }
  }

  /**
   * Closes the connection and finishes the session, or, under TLS, ends the TLS session, which
   * then finishes it.
   *
   * @param reason Why.
   */
  close(reason: EndReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason;
    this.#context.onClose(this);
    if (this.#token !== 0) this.#context.poller.forget(this.#token);
    try {
      this.connection.conn.close();
    } catch {
      // Already closed.
    }
    if (this.#tls !== null) this.#tls.detach();
    else this.#finish();
  }

  /**
   * Reads what the socket has queued; called by the poller.
   *
   * @param events The `EPOLL*` bits.
   */
  onReady(events: number): void {
    if (this.#closed) return;
    try {
      if (this.#tls !== null) this.#tls.onReady(events);
      else this.#receive(events);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Reports an unexpected error on stderr and ends the session; the sensor goes on. */
  #fail(error: unknown): void {
    printDiagnostic(`Cannot finish a session: ${error instanceof Error ? error.message : error}`);
    this.#end("eof");
    this.#finish();
  }

  #receive(events: number): void {
    const fd = this.connection.fd;
    const into = scratch.subarray(0, this.#context.readSize);
    for (let reads = 0; reads < READS_PER_EVENT; reads++) {
      const n = receiveQueued(fd, into);
      if (n > 0) {
        this.#bytes(into.subarray(0, n), Date.now());
        // TLS may have taken the socket over, or the session been closed.
        if (this.#closed || this.#tls !== null) return;
        continue;
      }
      if (n === 0) this.#end("eof");
      else if (n === -Errno.ECONNRESET) this.#end("reset");
      else if (n !== -Errno.EAGAIN) this.#end("eof");
      else if ((events & (EPOLLERR | EPOLLHUP)) !== 0 && reads === 0) this.#end("eof");
      return;
    }
  }

  /** Reads through Deno when the fd is unknown (never seen on Deno 2.9; kept as a fallback). */
  async #readWithoutFd(conn: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(this.#context.readSize);
    while (!this.#closed) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (error) {
        this.#end(error instanceof Deno.errors.ConnectionReset ? "reset" : "eof");
        return;
      }
      if (n === null) break;
      this.lastActivityMs = Date.now();
      this.#take(buffer.subarray(0, n), this.lastActivityMs);
    }
    this.#end("eof");
  }

  #end(reason: EndReason): void {
    if (!this.#closed) this.close(reason);
  }

  #bytes(bytes: Uint8Array, timeMs: number): void {
    this.lastActivityMs = timeMs;
    if (
      this.#hello !== null ||
      (this.#received === 0 && this.#context.tls !== undefined && sniffTls(bytes) !== "not-tls")
    ) {
      this.#collectHello(bytes, timeMs);
    } else {
      this.#take(bytes, timeMs);
    }
  }

  /**
   * Gathers reads until they hold a whole ClientHello, then hands the socket to TLS. When they
   * turn out not to be one, each read becomes a record exactly as on the plain path.
   */
  #collectHello(bytes: Uint8Array, timeMs: number): void {
    const copy = bytes.slice();
    const candidate = this.#hello ?? { reads: [], all: new Uint8Array(0) };
    this.#hello = candidate;
    candidate.reads.push({ bytes: copy, timeMs });
    const all = new Uint8Array(candidate.all.length + copy.length);
    all.set(candidate.all);
    all.set(copy, candidate.all.length);
    candidate.all = all;
    let hello: ClientHello | null = null;
    try {
      const kind = sniffTls(all);
      if (kind === "tls" && clientHelloBytesNeeded(all) === 0) hello = parseClientHello(all);
      else if (kind !== "not-tls") return; // Wait for more.
    } catch (error) {
      if (!(error instanceof ClientHelloError)) throw error;
    }
    this.#hello = null;
    if (hello === null) {
      this.#takePlain(candidate);
      return;
    }
    candidate.reads.forEach((read, i) => {
      const last = i === candidate.reads.length - 1;
      this.#take(read.bytes, read.timeMs, last ? tlsHelloFields(hello) : undefined);
    });
    this.#runTls(all, hello).catch((error) => this.#fail(error));
  }

  #takePlain(candidate: HelloCandidate): void {
    for (const read of candidate.reads) this.#take(read.bytes, read.timeMs);
  }

  async #runTls(replay: Uint8Array, hello: ClientHello): Promise<void> {
    const tls = this.#context.tls;
    if (tls === undefined) return;
    const { fd } = this.connection;
    try {
      setIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
    } catch {
      // Closed meanwhile: the handshake fails below and says so.
    }
    const duplex = new FdDuplex(fd, replay, {
      setInterest: (events) => {
        if (this.#closed) return;
        try {
          this.#context.poller.change(fd, this.#token, events);
        } catch {
          this.#end("eof");
        }
      },
      onActivity: () => {
        this.lastActivityMs = Date.now();
      },
      close: () => this.#end("eof"),
    });
    this.#tls = duplex;
    const outcome = await tls.terminate({
      transport: duplex,
      hello,
      destinationIp: this.flow.destinationIp,
      onData: (plain) => {
        const now = Date.now();
        this.lastActivityMs = now;
        this.#take(plain, now, INSIDE_TLS);
      },
      close: () => this.#end("eof"),
    });
    this.#end("eof");
    if (outcome.error !== null) {
      if (this.#held !== null) {
        this.#emit(this.#held.bytes, this.#held.timeMs, false, this.#held.extra);
        this.#held = null;
      }
      const reason = this.#reason === "eof" ? outcome.error : `${this.#reason}: ${outcome.error}`;
      this.#emit(new Uint8Array(0), Date.now(), false, { tls: true, tls_error: reason });
    }
    this.#finish();
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

  /** Writes what is still held, counts how the session ended, and marks it finished. */
  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#hello !== null) {
      // The connection ended before the bytes were known to be a ClientHello or not.
      const candidate = this.#hello;
      this.#hello = null;
      this.#takePlain(candidate);
    }
    if (this.#held !== null) {
      this.#emit(this.#held.bytes, this.#held.timeMs, false, this.#held.extra);
      this.#held = null;
    }
    const { stats, recordSilent } = this.#context;
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
    stats.connectionsOpen--;
  }
}
