/**
 * The record: one JSON line per payload, Spip's eight fields first, then Spip's extras.
 * `schema/record.schema.json` and the README document every field.
 *
 * @module
 */
import { communityId, IPPROTO } from "./community_id.ts";
import { newSessionId } from "./session_id.ts";

/** The transport a record's bytes came over. */
export type Transport = "tcp" | "udp";

/** What every record of one session shares. */
export interface Flow {
  /** UUIDv7, so that ids sort by time. */
  readonly sessionId: string;
  /** The transport. */
  readonly transport: Transport;
  /** The sensor's configured name. */
  readonly sensorName: string;
  /** The client's address. */
  readonly sourceIp: string;
  /** The client's port. */
  readonly sourcePort: number;
  /** The address the client dialled. */
  readonly destinationIp: string;
  /** The port the client dialled. */
  readonly destinationPort: number;
  /** The Community ID v1 of the flow. */
  readonly communityId: string;
}

/** An address and port, as a capture engine resolved them. */
export interface Endpoint {
  /** The address, normalised: IPv4-mapped addresses as plain IPv4. */
  readonly ip: string;
  /** The port. */
  readonly port: number;
}

/**
 * Starts a flow: gives it a new session id and its Community ID.
 *
 * @param transport The transport.
 * @param source The client's endpoint.
 * @param destination The endpoint the client dialled.
 * @param sensorName The sensor's name.
 * @param startedAtMs When the session began, epoch ms: the time in its session id. Now by
 * default.
 * @returns The flow.
 */
export function createFlow(
  transport: Transport,
  source: Endpoint,
  destination: Endpoint,
  sensorName: string,
  startedAtMs: number = Date.now(),
): Flow {
  const protocol = transport === "tcp" ? IPPROTO.TCP : IPPROTO.UDP;
  return {
    sessionId: newSessionId(startedAtMs),
    transport,
    sensorName,
    sourceIp: source.ip,
    sourcePort: source.port,
    destinationIp: destination.ip,
    destinationPort: destination.port,
    communityId: communityId(protocol, source.ip, source.port, destination.ip, destination.port),
  };
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Decodes bytes as lossy UTF-8, like Rust's `String::from_utf8_lossy`: a leading BOM is kept and
 * each invalid sequence becomes U+FFFD.
 *
 * @param bytes The payload.
 * @returns The text.
 */
export function lossyUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * Lowercase hex of the bytes.
 *
 * @param bytes The payload.
 * @returns Two hex digits a byte.
 */
export function hex(bytes: Uint8Array): string {
  return bytes.toHex();
}

/** How a record stands in its session. */
export interface RecordMarks {
  /** The session ended without sending a byte; the payload is empty. */
  silent: boolean;
  /** The session sent more than the byte cap; this is its last logged record. */
  truncated: boolean;
}

/**
 * Encodes one record as a JSON line, without the newline.
 *
 * @param flow The session's flow.
 * @param seq The record's number within its session, from 1.
 * @param payload The bytes this record carries.
 * @param timeMs When the bytes arrived, in epoch milliseconds.
 * @param marks Whether the record is silent or truncated.
 * @param extra Fields that follow the standard ones, such as TLS details; one named like a
 * standard field is left out.
 * @returns The JSON text.
 */
export function encodeRecord(
  flow: Flow,
  seq: number,
  payload: Uint8Array,
  timeMs: number,
  marks: RecordMarks,
  extra?: Readonly<Record<string, unknown>>,
): string {
  const record = {
    timestamp: Math.floor(timeMs / 1000),
    payload: utf8.decode(payload),
    payload_hex: payload.toHex(),
    source_ip: flow.sourceIp,
    source_port: flow.sourcePort,
    destination_ip: flow.destinationIp,
    destination_port: flow.destinationPort,
    session_id: flow.sessionId,
    transport: flow.transport,
    sensor_name: flow.sensorName,
    seq,
    timestamp_ms: timeMs,
    community_id: flow.communityId,
    silent: marks.silent,
    truncated: marks.truncated,
  };
  if (extra === undefined) return JSON.stringify(record);
  // Extra fields follow the standard ones and never replace one: Spip's consumers rely on them.
  const withExtra: Record<string, unknown> = { ...record };
  for (const [key, value] of Object.entries(extra)) {
    if (!(key in record)) withExtra[key] = value;
  }
  return JSON.stringify(withExtra);
}
