/**
 * The fields of one records line that the report reads, checked and typed. Only the fields every
 * sensor version writes are required; the others (seq, transport, TLS, SYN, HASSH, greeting
 * fields) are read when present.
 *
 * @module
 */
import { guessProtocol } from "./protocol_guess.ts";

/** The most characters of a fingerprint or greeting kept as a key. */
export const KEY_MAX_CHARS = 256;

/** What the report needs of one record. */
export interface ReportRecord {
  /** Epoch seconds. */
  readonly timestamp: number;
  /** "tcp", or "udp" (records without `transport` are TCP). */
  readonly transport: "tcp" | "udp";
  /** The client's address. */
  readonly sourceIp: string;
  /** The port dialled. */
  readonly destinationPort: number;
  /** The session's first record: `seq` is 1, or absent (Spip's format: each record counts). */
  readonly sessionStart: boolean;
  /** A session that sent nothing. */
  readonly silent: boolean;
  /** Bytes decrypted inside a TLS session Spip terminated. */
  readonly tls: boolean;
  /** The protocol guess of the session's first payload (session start with a payload only). */
  readonly firstLine: string | undefined;
  /** JA4 of a ClientHello. */
  readonly ja4: string | undefined;
  /** JA3 hash of a ClientHello (or the JA3 string when the hash is missing). */
  readonly ja3: string | undefined;
  /** The SYN fingerprint, `syn_*` fields joined. */
  readonly syn: string | undefined;
  /** HASSH of an SSH KEXINIT. */
  readonly hassh: string | undefined;
  /** The protocol the sensor greeted with, on a session start. */
  readonly greeting: string | undefined;
}

type Json = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (typeof value === "string") {
    return value.length > KEY_MAX_CHARS ? value.slice(0, KEY_MAX_CHARS) : value;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

const SYN_PARTS: readonly [string, string][] = [
  ["syn_ttl", "ttl"],
  ["syn_window", "win"],
  ["syn_options", "opts"],
  ["syn_mss", "mss"],
  ["syn_wscale", "ws"],
];

function synFingerprint(record: Json): string | undefined {
  let out = "";
  for (const [field, label] of SYN_PARTS) {
    const value = text(record[field]);
    if (value !== undefined) out += `${out === "" ? "" : " "}${label}=${value}`;
  }
  const df = record["syn_df"];
  if (typeof df === "boolean") out += `${out === "" ? "" : " "}${df ? "df" : "no-df"}`;
  return out === "" ? undefined : out;
}

/**
 * Reads a parsed JSON line as a record.
 *
 * @param value The parsed line.
 * @returns The record, or null when it is not one (not an object, or a missing or mistyped
 *   `timestamp`, `source_ip` or `destination_port`).
 */
export function readRecord(value: unknown): ReportRecord | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const record = value as Json;
  const timestamp = record["timestamp"];
  const sourceIp = record["source_ip"];
  const port = record["destination_port"];
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp) || timestamp < 0) return null;
  if (typeof sourceIp !== "string" || sourceIp === "") return null;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  const seq = record["seq"];
  const sessionStart = seq === 1 || seq === undefined;
  const silent = record["silent"] === true;
  const payload = record["payload"];
  const payloadHex = record["payload_hex"];
  const ja4 = text(record["ja4"]);
  const sni = record["tls_sni"];
  const firstLine = sessionStart && !silent && typeof payload === "string" &&
      typeof payloadHex === "string"
    ? guessProtocol({
      payload,
      payloadHex,
      tlsSni: typeof sni === "string" || sni === null ? sni : undefined,
      isClientHello: ja4 !== undefined,
    })
    : undefined;
  return {
    timestamp: Math.floor(timestamp),
    transport: record["transport"] === "udp" ? "udp" : "tcp",
    sourceIp,
    destinationPort: port,
    sessionStart,
    silent,
    tls: record["tls"] === true,
    firstLine,
    ja4,
    ja3: text(record["ja3_hash"]) ?? text(record["ja3"]),
    syn: sessionStart ? synFingerprint(record) : undefined,
    hassh: text(record["hassh"]),
    greeting: sessionStart ? text(record["greeting"]) : undefined,
  };
}
