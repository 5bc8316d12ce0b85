/**
 * What every TCP session shares: settings, the writer, the counters and the poller.
 *
 * @module
 */
import type { RecordWriter } from "../output/record_writer.ts";
import type { Stats } from "../output/stats.ts";
import type { ReadinessPoller } from "../capture/readiness_poller.ts";
import type { TlsTerminator } from "../tls/terminator.ts";
import type { GreetPolicy } from "./greeter.ts";

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
  /** Terminates TLS when the first bytes are a ClientHello; absent, TLS is plain bytes. */
  readonly tls?: TlsTerminator;
  /** Speaks first to clients that wait for the server; absent, Spip never writes. */
  readonly greet?: GreetPolicy;
  /** Read and count, but write no record: the source is over its budget. */
  readonly quiet?: boolean;
}
