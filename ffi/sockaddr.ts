/**
 * Decoding of C `struct sockaddr_in` and `struct sockaddr_in6` bytes into addresses.
 *
 * @module
 */

/** `AF_INET`, the address family of a `struct sockaddr_in`. */
export const AF_INET = 2;
/** `AF_INET6`, the address family of a `struct sockaddr_in6`. */
export const AF_INET6 = 10;
/** `sizeof(struct sockaddr_in6)`, large enough for either family. */
export const SOCKADDR_MAX = 28;

/** An IP address and port. IPv4-mapped IPv6 addresses are written as plain IPv4. */
export interface SocketAddress {
  /** The address as text: dotted IPv4, or RFC 5952 IPv6. */
  ip: string;
  /** The port, 0-65535. */
  port: number;
}

/**
 * Formats 16 bytes of IPv6 address as RFC 5952 text: lowercase, no leading zeros, the longest
 * run of two or more zero groups compressed to `::`. An IPv4-mapped address (`::ffff:a.b.c.d`)
 * is written as plain dotted IPv4, since that is the address the peer actually used.
 *
 * @param bytes The 16 address bytes, in network order.
 * @returns The address as text.
 */
export function formatIpv6(bytes: Uint8Array): string {
  let mapped = true;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) mapped = false;
  if (mapped && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

/**
 * Decodes a `struct sockaddr_in` or `struct sockaddr_in6`.
 *
 * @param bytes The structure's bytes, as a libc call filled them.
 * @returns The address and port, or `null` when the family is neither AF_INET nor AF_INET6 or
 * the bytes are too short for it.
 */
export function decodeSockaddr(bytes: Uint8Array): SocketAddress | null {
  if (bytes.length < 16) return null;
  const family = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8); // sa_family_t, host order (little-endian)
  const port = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0); // in_port_t, network order
  if (family === AF_INET) {
    return { ip: `${bytes[4]}.${bytes[5]}.${bytes[6]}.${bytes[7]}`, port };
  }
  if (family === AF_INET6 && bytes.length >= SOCKADDR_MAX) {
    return { ip: formatIpv6(bytes.subarray(8, 24)), port };
  }
  return null;
}
