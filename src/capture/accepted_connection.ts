/**
 * What either accept engine hands the rest of the sensor: an accepted connection as an fd with
 * its addresses resolved, the facts of its handshake, and a way to close it. Nothing past the
 * engines knows which engine made it.
 *
 * @module
 */
import type { Endpoint } from "../record/record.ts";

/** An accepted connection with its addresses already resolved. */
export interface AcceptedConnection {
  /** Its fd, for reading (nonblocking reads only); -1 when it could not be found. */
  readonly fd: number;
  /** The client. */
  readonly source: Endpoint;
  /** What the client dialled: the original destination, or the local address when the
   * connection was not redirected. */
  readonly destination: Endpoint;
  /** When it was accepted, epoch ms. */
  readonly acceptedAtMs: number;
  /**
   * Fields for the session's first record: the client's SYN (`syn_*`) and the RTT (`rtt_us`),
   * those known; `undefined` when none is.
   */
  readonly firstRecordFields: Readonly<Record<string, unknown>> | undefined;
  /** Closes the connection and frees what the engine holds for it. Call it once. */
  close(): void;
}

/** Receives each accepted connection. It must not throw. */
export type ConnectionHandler = (connection: AcceptedConnection) => void;
