/**
 * The shape of one record line, for consumers that parse them.
 *
 * @module
 */

/**
 * One record as parsed from its JSON line. The first eight fields are Spip's, with its names,
 * types and order; the rest follow them. `schema/record.schema.json` describes each field, and a
 * test keeps this type and the schema naming the same fields.
 */
export interface SpipRecord {
  /** When the bytes arrived, whole seconds since the epoch. Spip's field. */
  timestamp: number;
  /** The bytes as lossy UTF-8. Spip's field. */
  payload: string;
  /** The exact bytes, lowercase hex. Spip's field. */
  payload_hex: string;
  /** The client's address. Spip's field. */
  source_ip: string;
  /** The client's port. Spip's field. */
  source_port: number;
  /** The address the client dialled. Spip's field. */
  destination_ip: string;
  /** The port the client dialled. Spip's field. */
  destination_port: number;
  /** The session's UUIDv7, shared by its records. Spip's field. */
  session_id: string;
  /** The transport the bytes came over. */
  transport: "tcp" | "udp";
  /** The sensor's configured name. */
  sensor_name: string;
  /** The record's number within its session, from 1. */
  seq: number;
  /** When the bytes arrived, epoch milliseconds. */
  timestamp_ms: number;
  /** The flow's Community ID v1. */
  community_id: string;
  /** The one record of a session that sent nothing. */
  silent: boolean;
  /** The last logged record of a session that sent more than the byte cap. */
  truncated: boolean;
  /** UDP, when truncated: the datagram's real length in bytes. */
  datagram_length?: number;
  /** TLS hello record: the server name asked for, or null. */
  tls_sni?: string | null;
  /** TLS hello record: the ALPN names offered. */
  tls_alpn?: string[];
  /** TLS hello record: the versions offered. */
  tls_versions?: string[];
  /** TLS hello record: the JA4 fingerprint. */
  ja4?: string;
  /** TLS hello record: the JA3 string. */
  ja3?: string;
  /** TLS hello record: the MD5 of the JA3 string. */
  ja3_hash?: string;
  /** True on records of decrypted bytes. */
  tls?: true;
  /** Why a TLS session failed. */
  tls_error?: string;
  /** TCP, first record: the TTL or hop limit of the client's SYN. */
  syn_ttl?: number;
  /** TCP, first record: the SYN's window. */
  syn_window?: number;
  /** TCP, first record: the SYN's option kinds in order, `-`-joined, such as `"2-4-8-1-3"`. */
  syn_options?: string;
  /** TCP, first record, when present: the SYN's maximum segment size option. */
  syn_mss?: number;
  /** TCP, first record, when present: the SYN's window scale option. */
  syn_wscale?: number;
  /** TCP, first record, IPv4 only: the SYN's don't-fragment bit. */
  syn_df?: boolean;
  /** TCP, first record: the kernel's RTT estimate right after accept, microseconds. */
  rtt_us?: number;
  /** The protocol Spip greeted the client with (docs/greetings.md). */
  greeting?: "ftp" | "smtp" | "pop3" | "imap" | "telnet" | "mysql" | "vnc" | "ssh";
  /** SSH KEXINIT record: the HASSH fingerprint, MD5 of `hassh_algorithms`. */
  hassh?: string;
  /** SSH KEXINIT record: the client's kex;encryption;mac;compression lists. */
  hassh_algorithms?: string;
}

/**
 * Every field name of {@linkcode SpipRecord}, in record order; the compiler checks that none is
 * missing.
 */
export const SPIP_RECORD_FIELDS: readonly (keyof SpipRecord)[] = Object.keys(
  {
    timestamp: true,
    payload: true,
    payload_hex: true,
    source_ip: true,
    source_port: true,
    destination_ip: true,
    destination_port: true,
    session_id: true,
    transport: true,
    sensor_name: true,
    seq: true,
    timestamp_ms: true,
    community_id: true,
    silent: true,
    truncated: true,
    datagram_length: true,
    tls_sni: true,
    tls_alpn: true,
    tls_versions: true,
    ja4: true,
    ja3: true,
    ja3_hash: true,
    tls: true,
    tls_error: true,
    syn_ttl: true,
    syn_window: true,
    syn_options: true,
    syn_mss: true,
    syn_wscale: true,
    syn_df: true,
    rtt_us: true,
    greeting: true,
    hassh: true,
    hassh_algorithms: true,
  } satisfies Record<keyof SpipRecord, true>,
) as (keyof SpipRecord)[];
