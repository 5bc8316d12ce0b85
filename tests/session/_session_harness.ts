/**
 * Test helper: TCP sessions wired as the sensor wires them (a real readiness poller, a record
 * writer, counters), over real loopback sockets, with the records kept in memory.
 *
 * @module
 */
import type { AcceptedConnection } from "../../src/capture/accepted_connection.ts";
import { ReadinessPoller } from "../../src/capture/readiness_poller.ts";
import { DEFAULT_GREET_PORTS, type GreetProtocol } from "../../src/config/greet.ts";
import type { ByteSink } from "../../src/output/byte_sink.ts";
import { RecordWriter } from "../../src/output/record_writer.ts";
import { Stats } from "../../src/output/stats.ts";
import { greetPolicy } from "../../src/session/greeter.ts";
import type { SessionContext } from "../../src/session/session_context.ts";
import { SO_RCVBUF, SO_SNDBUF, SOL_SOCKET } from "../../ffi/constants.ts";
import { findListenerFd, setIntOption } from "../../ffi/socket.ts";
import { dialledFdOf, fdOf, within } from "../_socket_fd.ts";

const decoder = new TextDecoder();

/** The receive buffer of a peer that reads: 1 MiB. */
const WIDE_RCVBUF_BYTES = 1 << 20;

/** A sink that keeps every byte it is given. */
export class MemorySink implements ByteSink {
  readonly #chunks: Uint8Array[] = [];

  write(bytes: Uint8Array): Promise<number> {
    this.#chunks.push(bytes.slice());
    return Promise.resolve(bytes.length);
  }

  /** The record lines written so far, as written (without their newlines). */
  get lines(): string[] {
    return this.#chunks.map((chunk) => decoder.decode(chunk)).join("").split("\n")
      .filter((line) => line !== "");
  }

  /** The record lines written so far, parsed. */
  get records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line));
  }
}

/** A poller that also logs each interest a session sets through it. */
export class InterestLoggingPoller extends ReadinessPoller {
  /** The `events` of every `change`, in order. */
  readonly changes: number[] = [];

  override change(fd: number, token: number, events: number): void {
    this.changes.push(events);
    super.change(fd, token, events);
  }
}

/** How the sessions of a harness greet. */
export interface GreetOptions {
  /** Silence before greeting, ms. */
  afterMs: number;
  /** Banner replacements. */
  banners?: Partial<Record<GreetProtocol, string>>;
}

/** What the sessions of one test share, and where their records go. */
export interface SessionHarness extends AsyncDisposable {
  /** The context every session gets. */
  readonly context: SessionContext;
  /** Its counters. */
  readonly stats: Stats;
  /** Its poller. */
  readonly poller: InterestLoggingPoller;
  /** Writes what is buffered and returns every record so far. */
  records(): Promise<Record<string, unknown>[]>;
  /** Writes what is buffered and returns every record line so far, as written. */
  lines(): Promise<string[]>;
}

/**
 * A session context like the sensor's, with the built-in greeting map (`default = "none"`).
 *
 * @param greet How to greet; undefined for `greet.enabled = false`.
 * @returns The harness; dispose it to close the poller.
 */
export function sessionHarness(greet: GreetOptions | undefined): SessionHarness {
  const stats = new Stats();
  const sink = new MemorySink();
  const writer = new RecordWriter(sink, 1 << 24, stats);
  const poller = new InterestLoggingPoller();
  const policy = greet === undefined ? undefined : greetPolicy({
    enabled: true,
    afterMs: greet.afterMs,
    ports: DEFAULT_GREET_PORTS,
    defaultProtocol: null,
    detectSsh: true,
    banners: greet.banners ?? {},
  });
  const context: SessionContext = {
    sensorName: "test",
    readSize: 4096,
    maxBytes: 1 << 20,
    recordSilent: true,
    writer,
    stats,
    poller,
    ...(policy === undefined ? {} : { greet: policy }),
  };
  return {
    context,
    stats,
    poller,
    async records(): Promise<Record<string, unknown>[]> {
      await writer.flush();
      return sink.records;
    },
    async lines(): Promise<string[]> {
      await writer.flush();
      return sink.lines;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await writer.flush();
      await poller.close();
    },
  };
}

/**
 * An accepted connection as an accept engine hands it over, for a socket this test owns.
 *
 * @param fd The socket.
 * @param destinationPort The port the client "dialled" (which decides the greeting).
 * @param close What closing it does.
 * @returns The connection.
 */
export function acceptedConnection(
  fd: number,
  destinationPort: number,
  close: () => void,
): AcceptedConnection {
  return {
    fd,
    source: { ip: "127.0.0.1", port: 40_000 },
    destination: { ip: "127.0.0.1", port: destinationPort },
    acceptedAtMs: Date.now(),
    firstRecordFields: undefined,
    close,
  };
}

/** A loopback pair whose sensor side sends into small buffers. */
export interface TightPair {
  /** The sensor's side. */
  readonly sensor: Deno.TcpConn;
  /** Its fd. */
  readonly sensorFd: number;
  /** The client's side, which the test reads and writes. */
  readonly peer: Deno.TcpConn;
  /**
   * Gives the peer a large receive buffer, as a client that reads would have: without it, a
   * window a few hundred bytes wide opens slowly (about 2 s for 5 KB on loopback).
   */
  widenPeer(): void;
  /** Closes both sides; any already closed is skipped. */
  [Symbol.dispose](): void;
}

/**
 * A connected TCP pair on loopback where the sensor side's send buffer and the peer's receive
 * buffer are the kernel's smallest (`SO_SNDBUF` and `SO_RCVBUF` set to 1 are rounded up to the
 * minimum), so a few KiB fill them: a peer that does not read makes `send` return EAGAIN soon.
 * The peer's receive buffer is set on the listener before the handshake, so that the window it
 * advertises is small from the start.
 *
 * @returns The pair.
 */
export async function tightPair(): Promise<TightPair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const listenerFd = findListenerFd(listener.addr.port);
    setIntOption(listenerFd, SOL_SOCKET, SO_RCVBUF, 1, "SO_RCVBUF");
    const dialling = Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const peer = await listener.accept();
    const sensor = await dialling;
    const sensorFd = dialledFdOf(sensor);
    setIntOption(sensorFd, SOL_SOCKET, SO_SNDBUF, 1, "SO_SNDBUF");
    return {
      sensor,
      sensorFd,
      peer,
      widenPeer(): void {
        setIntOption(fdOf(peer), SOL_SOCKET, SO_RCVBUF, WIDE_RCVBUF_BYTES, "SO_RCVBUF");
      },
      [Symbol.dispose](): void {
        for (const conn of [sensor, peer]) {
          try {
            conn.close();
          } catch {
            // Already closed by the test or the session.
          }
        }
      },
    };
  } finally {
    listener.close();
  }
}

/**
 * Reads from a connection until it ends.
 *
 * @param conn The connection.
 * @param ms The longest wait; longer fails the test.
 * @returns Every byte read.
 */
export async function readToEnd(conn: Deno.Conn, ms: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  const reading = (async () => {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      chunks.push(buffer.slice(0, n));
    }
  })();
  await within(reading, ms, "the end of the stream");
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
