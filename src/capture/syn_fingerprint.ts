/**
 * The client's SYN as the kernel saved it (`TCP_SAVED_SYN`): the IPv4 or IPv6 header and the TCP
 * header, parsed into the raw facts a TCP fingerprint is made of.
 *
 * @module
 */

/** What a SYN tells about the client's TCP stack. */
export interface SynFingerprint {
  /** The IPv4 TTL or the IPv6 hop limit, as it arrived. */
  readonly ttl: number;
  /** The TCP window. */
  readonly window: number;
  /** The TCP option kinds in order, `-`-joined, e.g. `"2-4-8-1-3"`; `""` without options. */
  readonly options: string;
  /** The maximum segment size option's value, when present. */
  readonly mss?: number;
  /** The window scale option's value, when present. */
  readonly wscale?: number;
  /** The IPv4 don't-fragment bit; absent for IPv6. */
  readonly df?: boolean;
}

const IPPROTO_TCP = 6;
/** IPv6 extension headers that may come before TCP: hop-by-hop, routing, destination options. */
const IPV6_EXTENSIONS = new Set([0, 43, 60]);
const IPV6_HEADER_BYTES = 40;
const IPV4_MIN_HEADER_BYTES = 20;
const TCP_MIN_HEADER_BYTES = 20;
const TCP_OPTION_END = 0;
const TCP_OPTION_NOP = 1;
const TCP_OPTION_MSS = 2;
const TCP_OPTION_WSCALE = 3;

/** Where the TCP header starts, and the IP facts, or null when the IP header is malformed. */
interface IpPart {
  readonly tcpAt: number;
  readonly ttl: number;
  readonly df?: boolean;
}

function ipv4(bytes: Uint8Array): IpPart | null {
  const headerBytes = ((bytes[0] ?? 0) & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER_BYTES || bytes.length < headerBytes) return null;
  if (bytes[9] !== IPPROTO_TCP) return null;
  return { tcpAt: headerBytes, ttl: bytes[8] ?? 0, df: ((bytes[6] ?? 0) & 0x40) !== 0 };
}

function ipv6(bytes: Uint8Array): IpPart | null {
  if (bytes.length < IPV6_HEADER_BYTES) return null;
  let next = bytes[6] ?? 0;
  let at = IPV6_HEADER_BYTES;
  while (IPV6_EXTENSIONS.has(next)) {
    if (bytes.length < at + 2) return null;
    next = bytes[at] ?? 0;
    at += ((bytes[at + 1] ?? 0) + 1) * 8;
  }
  if (next !== IPPROTO_TCP) return null;
  return { tcpAt: at, ttl: bytes[7] ?? 0 };
}

/**
 * Parses the saved SYN headers.
 *
 * @param bytes The IP header followed by the TCP header, as `TCP_SAVED_SYN` returns them.
 * @returns The fingerprint, or `null` when the bytes are not an IPv4 or IPv6 header followed by
 * a whole TCP header. Options are read up to the end-of-list option (kept in the list) or the
 * first malformed one (not kept).
 */
export function parseSyn(bytes: Uint8Array): SynFingerprint | null {
  const version = (bytes[0] ?? 0) >> 4;
  const ip = version === 4 ? ipv4(bytes) : version === 6 ? ipv6(bytes) : null;
  if (ip === null) return null;
  const tcp = bytes.subarray(ip.tcpAt);
  const headerBytes = ((tcp[12] ?? 0) >> 4) * 4;
  if (headerBytes < TCP_MIN_HEADER_BYTES || tcp.length < headerBytes) return null;
  const window = ((tcp[14] ?? 0) << 8) | (tcp[15] ?? 0);
  let options = "";
  let mss: number | undefined;
  let wscale: number | undefined;
  for (let at = TCP_MIN_HEADER_BYTES; at < headerBytes;) {
    const kind = tcp[at] ?? 0;
    if (kind === TCP_OPTION_END) {
      options = options === "" ? `${kind}` : `${options}-${kind}`;
      break;
    }
    if (kind === TCP_OPTION_NOP) {
      options = options === "" ? `${kind}` : `${options}-${kind}`;
      at++;
      continue;
    }
    const length = tcp[at + 1] ?? 0;
    if (length < 2 || at + length > headerBytes) break;
    options = options === "" ? `${kind}` : `${options}-${kind}`;
    if (kind === TCP_OPTION_MSS && length === 4) {
      mss = ((tcp[at + 2] ?? 0) << 8) | (tcp[at + 3] ?? 0);
    } else if (kind === TCP_OPTION_WSCALE && length === 3) {
      wscale = tcp[at + 2] ?? 0;
    }
    at += length;
  }
  const fingerprint: Mutable<SynFingerprint> = { ttl: ip.ttl, window, options };
  if (mss !== undefined) fingerprint.mss = mss;
  if (wscale !== undefined) fingerprint.wscale = wscale;
  if (ip.df !== undefined) fingerprint.df = ip.df;
  return fingerprint;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The record fields of a fingerprint and an RTT, named as on a session's first record.
 *
 * @param syn The fingerprint, or null when the kernel saved no SYN.
 * @param rttUs The RTT estimate in microseconds, or -1 when unknown.
 * @returns `syn_ttl`, `syn_window`, `syn_options`, then `syn_mss`, `syn_wscale` and `syn_df`
 * when known, then `rtt_us` when known; `undefined` when there is nothing at all.
 */
export function handshakeFields(
  syn: SynFingerprint | null,
  rttUs: number,
): Record<string, unknown> | undefined {
  if (syn === null && rttUs < 0) return undefined;
  const fields: Record<string, unknown> = {};
  if (syn !== null) {
    fields["syn_ttl"] = syn.ttl;
    fields["syn_window"] = syn.window;
    fields["syn_options"] = syn.options;
    if (syn.mss !== undefined) fields["syn_mss"] = syn.mss;
    if (syn.wscale !== undefined) fields["syn_wscale"] = syn.wscale;
    if (syn.df !== undefined) fields["syn_df"] = syn.df;
  }
  if (rttUs >= 0) fields["rtt_us"] = rttUs;
  return fields;
}
