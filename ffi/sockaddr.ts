/**
 * C `struct sockaddr_in` and `struct sockaddr_in6`, both ways: decoding the bytes a libc call
 * filled into an address, and encoding an address into the bytes a call such as `bind` takes.
 *
 * Layout on Linux: `sa_family_t` (2 bytes, host order, little-endian here), `in_port_t` (2
 * bytes, network order), then for IPv4 the 4 address bytes and 8 of padding (16 in all); for
 * IPv6 `uint32_t sin6_flowinfo`, the 16 address bytes and `uint32_t sin6_scope_id` (28 in all).
 *
 * @module
 */
import { AF_INET, AF_INET6 } from "./constants.ts";
import { formatIpv6, ipToBytes } from "./ip_text.ts";

/** `sizeof(struct sockaddr_in)`. */
export const SOCKADDR_IN_BYTES = 16;
/** `sizeof(struct sockaddr_in6)`. */
export const SOCKADDR_IN6_BYTES = 28;
/** `sizeof(struct sockaddr_in6)`, large enough for either family. */
export const SOCKADDR_MAX = SOCKADDR_IN6_BYTES;

/** An IP address and port. IPv4-mapped IPv6 addresses are written as plain IPv4. */
export interface SocketAddress {
  /** The address as text: dotted IPv4, or RFC 5952 IPv6. */
  ip: string;
  /** The port, 0-65535. */
  port: number;
}

/**
 * Decodes a `struct sockaddr_in` or `struct sockaddr_in6`.
 *
 * @param bytes The structure's bytes, as a libc call filled them.
 * @returns The address and port, or `null` when the family is neither AF_INET nor AF_INET6 or
 * the bytes are too short for it.
 */
export function decodeSockaddr(bytes: Uint8Array): SocketAddress | null {
  if (bytes.length < SOCKADDR_IN_BYTES) return null;
  const family = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8); // sa_family_t, host order (little-endian)
  const port = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0); // in_port_t, network order
  if (family === AF_INET) return { ip: ipv4Text(bytes, 4), port };
  if (family === AF_INET6 && bytes.length >= SOCKADDR_IN6_BYTES) {
    return {
      ip: isMappedAt(bytes, 8) ? ipv4Text(bytes, 20) : formatIpv6(bytes.subarray(8, 24)),
      port,
    };
  }
  return null;
}

/** Texts of recently seen IPv4 addresses, direct-mapped by address: a scanner, or the sensor's
 * own address, repeats, and each connection then shares one string. */
const IPV4_TEXT_SLOTS = 1024;
const ipv4TextKeys = new Float64Array(IPV4_TEXT_SLOTS).fill(-1);
const ipv4Texts: string[] = new Array<string>(IPV4_TEXT_SLOTS).fill("");

/** The dotted text of the IPv4 address in 4 bytes from `at`. */
function ipv4Text(bytes: Uint8Array, at: number): string {
  const a = bytes[at] ?? 0, b = bytes[at + 1] ?? 0, c = bytes[at + 2] ?? 0, d = bytes[at + 3] ?? 0;
  const key = a * 0x1000000 + ((b << 16) | (c << 8) | d);
  const slot = (key ^ (key >>> 10) ^ (key >>> 20)) & (IPV4_TEXT_SLOTS - 1);
  if (ipv4TextKeys[slot] === key) return ipv4Texts[slot] ?? "";
  const text = `${a}.${b}.${c}.${d}`;
  ipv4TextKeys[slot] = key;
  ipv4Texts[slot] = text;
  return text;
}

/** Whether the 16 bytes from `at` are an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`). */
function isMappedAt(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[at + i] !== 0) return false;
  return bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
}

/** The 12 bytes that start an IPv4-mapped IPv6 address (`::ffff:0:0/96`). */
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;

function isMapped(address: Uint8Array): boolean {
  return address.length === 16 && MAPPED_PREFIX.every((byte, i) => address[i] === byte);
}

/**
 * Encodes an address as a `struct sockaddr_in` (AF_INET) or `struct sockaddr_in6` (AF_INET6),
 * flow info and scope id 0. For AF_INET6 an IPv4 address becomes IPv4-mapped
 * (`::ffff:a.b.c.d`), as a dual-stack socket needs; for AF_INET an IPv4-mapped address is
 * written as its IPv4 address.
 *
 * @param address The address and port; the address as dotted IPv4 or IPv6 text.
 * @param family `AF_INET` or `AF_INET6`.
 * @returns The structure's bytes (16 or 28), or `null` when the text is not an address, the port
 * is not an integer in 0-65535, the family is another, or an IPv6 address is asked for AF_INET.
 */
export function encodeSockaddr(
  address: SocketAddress,
  family: number,
): Uint8Array<ArrayBuffer> | null {
  const { port } = address;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) return null;
  let ip = ipToBytes(address.ip);
  if (ip === null) return null;
  let bytes: Uint8Array<ArrayBuffer>;
  if (family === AF_INET) {
    if (isMapped(ip)) ip = ip.subarray(12);
    if (ip.length !== 4) return null;
    bytes = new Uint8Array(SOCKADDR_IN_BYTES);
    bytes.set(ip, 4);
  } else if (family === AF_INET6) {
    bytes = new Uint8Array(SOCKADDR_IN6_BYTES);
    if (ip.length === 4) bytes.set([...MAPPED_PREFIX, ...ip], 8);
    else bytes.set(ip, 8);
  } else {
    return null;
  }
  const view = new DataView(bytes.buffer);
  view.setUint16(0, family, true); // sa_family_t, host order (little-endian)
  view.setUint16(2, port, false); // in_port_t, network order
  return bytes;
}
