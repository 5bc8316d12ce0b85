/**
 * One TCP session: read what the client sends until it ends, and write a record per read.
 *
 * @module
 */
import { receiveQueued } from "../../ffi/socket.ts";
import { Errno } from "../../ffi/errno_error.ts";
import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from "../../ffi/epoll.ts";
import type { AcceptedConnection } from "../capture/accepted_connection.ts";
import type { ReadinessHandler } from "../capture/readiness_poller.ts";
import { createFlow, type Flow } from "../record/record.ts";
import { reportDiagnostic } from "../output/events.ts";
import { tlsHelloFields } from "../tls/terminator.ts";
import type { FdDuplex } from "../tls/fd_duplex.ts";
import type { ClientHello } from "../tls/client_hello.ts";
import type { SessionContext } from "./session_context.ts";
import { countEnd, type EndReason } from "./session_end.ts";
import { CappedRecords, type ExtraFields } from "./capped_records.ts";
import { type HeldRead, HelloCollector, mayBeClientHello } from "./hello_collector.ts";
import { handOffToTls } from "./tls_handoff.ts";
import { Greeter } from "./greeter.ts";
import { createDialog, opensSsh } from "../greet/registry.ts";
import type { GreetProtocol } from "../config/greet.ts";

export type { EndReason } from "./session_end.ts";
export type { SessionContext } from "./session_context.ts";

/** The extra field on every record of decrypted bytes. */
const INSIDE_TLS: ExtraFields = { tls: true };

/**
 * Reads per readiness report at most. A client that keeps the socket full is read again at the
 * next batch, so it cannot hold the event loop.
 */
const READS_PER_EVENT = 8;

/** What a session's socket is watched for: readable or ended. */
const DEFAULT_INTEREST = EPOLLIN | EPOLLRDHUP;

let scratch = new Uint8Array(4096);

/**
 * A TCP session. After {@linkcode TcpSession.start}, the poller reports the socket readable and
 * the session reads what is queued: each read (up to `readSize` bytes) is a record, all with the
 * session's id ({@linkcode CappedRecords} applies the byte cap). It ends at end of stream, a
 * reset, or `close` (which the sweeper calls at the idle timeout or the lifetime cap). A session
 * that sends nothing gets one silent record. When TLS is on and the first bytes are a
 * ClientHello, the socket is handed to TLS and the decrypted bytes are recorded. When greeting is
 * on, a session silent on a greeted port is greeted by the sweeper
 * ({@linkcode TcpSession.greetIfSilent}), and one that opens with an SSH version line is answered
 * at once; a {@linkcode Greeter} then answers its reads.
 *
 * An idle session holds no buffer and no pending operation: this object, its fd (with the
 * `accept = "deno"` engine also Deno's resource for it), and the kernel's socket.
 */
export class TcpSession implements ReadinessHandler {
  /** The accepted connection. */
  readonly connection: AcceptedConnection;
  /** When data last arrived (or the connection was accepted), epoch ms. */
  lastActivityMs: number;
  readonly #context: SessionContext;
  /** Made when first needed, so that an idle session holds neither its flow nor its records. */
  #flow: Flow | null = null;
  #records: CappedRecords | null = null;
  #token = 0;
  /** Whether {@linkcode TcpSession.start} is reading what was queued before the watch. */
  #starting = false;
  /** What TLS or the greeter asked to be reported while starting. */
  #startInterest: number | undefined;
  #received = 0;
  #hello: HelloCollector | null = null;
  #tls: FdDuplex | null = null;
  #greeter: Greeter | null = null;
  #closed = false;
  #finished = false;
  #reason: EndReason = "eof";
  readonly #onClose: (session: TcpSession) => void;

  /**
   * @param connection The accepted connection.
   * @param context What sessions share.
   * @param onClose Called once when the connection is closed, before its fd is freed.
   */
  constructor(
    connection: AcceptedConnection,
    context: SessionContext,
    onClose: (session: TcpSession) => void,
  ) {
    this.connection = connection;
    this.#context = context;
    this.#onClose = onClose;
    this.lastActivityMs = connection.acceptedAtMs;
    if (scratch.length < context.readSize) scratch = new Uint8Array(context.readSize);
  }

  /**
   * What its records share: its session id (whose time is the accept time), addresses and
   * Community ID. Made at the first use, usually the first record.
   */
  get flow(): Flow {
    if (this.#flow !== null) return this.#flow;
    const { source, destination, acceptedAtMs } = this.connection;
    this.#flow = createFlow("tcp", source, destination, this.#context.sensorName, acceptedAtMs);
    return this.#flow;
  }

  /** The session's records, made at the first read or at the end. */
  get #recorder(): CappedRecords {
    if (this.#records !== null) return this.#records;
    const context = this.#context;
    this.#records = new CappedRecords({
      flow: this.flow,
      maxBytes: context.maxBytes,
      writer: context.writer,
      stats: context.stats,
      quiet: context.quiet === true,
      firstFields: this.connection.firstRecordFields,
    });
    return this.#records;
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
    // What the client sent before it was accepted is read now: a client that already sent and
    // closed is recorded and closed without ever entering the epoll set.
    this.#starting = true;
    try {
      this.#receive(0);
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#starting = false;
    }
    if (this.#closed) return;
    try {
      this.#token = this.#context.poller.watch(
        this.connection.fd,
        this,
        this.#startInterest ?? DEFAULT_INTEREST,
      );
    } catch (error) {
      reportDiagnostic(`Cannot watch a session: ${error instanceof Error ? error.message : error}`);
      this.#end("eof");
    }
  }

  /**
   * Sets what the poller reports for the socket (TLS and the greeter change it); before the
   * socket is watched, what {@linkcode TcpSession.start} will watch it with.
   */
  #setInterest(events: number): void {
    if (this.#closed) return;
    if (this.#starting) {
      this.#startInterest = events;
      return;
    }
    try {
      this.#context.poller.change(this.connection.fd, this.#token, events);
    } catch {
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
    this.#greeter?.onClose();
    this.#onClose(this);
    if (this.#token !== 0) this.#context.poller.forget(this.#token);
    this.connection.close();
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
      if (this.#tls !== null) {
        this.#tls.onReady(events);
        return;
      }
      if ((events & EPOLLOUT) !== 0) this.#greeter?.onWritable();
      if ((events & ~EPOLLOUT) !== 0) this.#receive(events);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Reports an unexpected error on stderr and ends the session; the sensor goes on. */
  #fail(error: unknown): void {
    reportDiagnostic(`Cannot finish a session: ${error instanceof Error ? error.message : error}`);
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
        // A client that had ended its side when accepted has nothing more queued than this
        // short read: the end, without a read to learn it.
        if (this.#starting && n < into.length && this.connection.peerFinished === true) {
          this.#end("eof");
          return;
        }
        continue;
      }
      if (n === 0) this.#end("eof");
      else if (n === -Errno.ECONNRESET) this.#end("reset");
      else if (n !== -Errno.EAGAIN) this.#end("eof");
      else if ((events & (EPOLLERR | EPOLLHUP)) !== 0 && reads === 0) this.#end("eof");
      return;
    }
  }

  #end(reason: EndReason): void {
    if (!this.#closed) this.close(reason);
  }

  /**
   * Greets the session when it has said nothing for the greeting delay and its port has a
   * protocol; prods an already greeted, still silent session once. Called by the sweeper.
   *
   * @param now The current time, epoch ms.
   */
  greetIfSilent(now: number): void {
    const greet = this.#context.greet;
    if (
      greet === undefined || this.#closed || this.#received !== 0 || this.#hello !== null ||
      this.#tls !== null || now - this.lastActivityMs < greet.afterMs
    ) return;
    if (this.#greeter !== null) {
      this.#greeter.onSilence();
      return;
    }
    const protocol = greet.protocolFor(this.connection.destination.port);
    if (protocol === null) return;
    this.lastActivityMs = now;
    this.#greet(protocol);
  }

  #greet(protocol: GreetProtocol): void {
    const fd = this.connection.fd;
    if (fd < 0) return;
    try {
      const banner = this.#context.greet?.banners[protocol];
      const dialog = createDialog(protocol, { sourceIp: this.connection.source.ip, banner });
      this.#greeter = new Greeter(dialog, {
        fd,
        stats: this.#context.stats,
        setInterest: (events) => this.#setInterest(events),
      });
    } catch (error) {
      this.#fail(error);
    }
  }

  #bytes(bytes: Uint8Array, timeMs: number): void {
    this.lastActivityMs = timeMs;
    if (
      this.#greeter === null && this.#received === 0 && this.#hello === null &&
      this.#context.greet?.detectSsh === true && opensSsh(bytes)
    ) this.#greet("ssh");
    if (this.#greeter !== null) {
      this.#take(bytes, timeMs, this.#greeter.receive(bytes));
      return;
    }
    if (
      this.#hello === null &&
      (this.#received > 0 || this.#context.tls === undefined || !mayBeClientHello(bytes))
    ) {
      this.#take(bytes, timeMs);
      return;
    }
    this.#hello ??= new HelloCollector();
    const verdict = this.#hello.push(bytes, timeMs);
    if (verdict.kind === "wait") return;
    this.#hello = null;
    if (verdict.kind === "plain") {
      this.#takeReads(verdict.reads);
      return;
    }
    const { reads, all, hello } = verdict;
    reads.forEach((read, i) => {
      const last = i === reads.length - 1;
      this.#take(read.bytes, read.timeMs, last ? tlsHelloFields(hello) : undefined);
    });
    this.#runTls(all, hello).catch((error) => this.#fail(error));
  }

  #takeReads(reads: readonly HeldRead[]): void {
    for (const read of reads) this.#take(read.bytes, read.timeMs);
  }

  async #runTls(replay: Uint8Array, hello: ClientHello): Promise<void> {
    const terminator = this.#context.tls;
    if (terminator === undefined) return;
    const { fd } = this.connection;
    const { duplex, outcome } = handOffToTls(terminator, hello, replay, {
      fd,
      destinationIp: this.connection.destination.ip,
      setInterest: (events) => this.#setInterest(events),
      onActivity: () => {
        this.lastActivityMs = Date.now();
      },
      onData: (plain) => {
        const now = Date.now();
        this.lastActivityMs = now;
        this.#take(plain, now, INSIDE_TLS);
      },
      close: () => this.#end("eof"),
    });
    this.#tls = duplex;
    const { error } = await outcome;
    this.#end("eof");
    if (error !== null) {
      this.#recorder.flush();
      const reason = this.#reason === "eof" ? error : `${this.#reason}: ${error}`;
      this.#recorder.emit(new Uint8Array(0), Date.now(), { tls: true, tls_error: reason });
    }
    this.#finish();
  }

  #take(bytes: Uint8Array, timeMs: number, extra?: ExtraFields): void {
    this.#received += bytes.length;
    this.#context.stats.bytesReceived += bytes.length;
    this.#recorder.take(bytes, timeMs, extra);
  }

  /** Writes what is still held, counts how the session ended, and marks it finished. */
  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#hello !== null) {
      // The connection ended before the bytes were known to be a ClientHello or not.
      const reads = this.#hello.reads;
      this.#hello = null;
      this.#takeReads(reads);
    }
    this.#recorder.flush();
    const { stats, recordSilent } = this.#context;
    countEnd(stats, this.#reason);
    if (this.#received === 0) {
      stats.sessionsSilent++;
      if (recordSilent) {
        this.#recorder.emit(new Uint8Array(0), Date.now(), this.#greeter?.fields, true);
      }
    }
    stats.connectionsOpen--;
  }
}
