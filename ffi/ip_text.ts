/**
 * IP addresses as text and as network-order bytes, both ways: the parsing that sockaddr encoding
 * needs, and the RFC 5952 formatting that decoding uses. Pure functions, no libc.
 *
 * @module
 */

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

function ipv4Bytes(text: string, into: Uint8Array, offset: number): boolean {
  let part = 0, value = 0, digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46 && digits > 0 && part < 4) {
      into[offset + part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexGroups(part: string): number[] | null {
  if (part === "") return [];
  const groups: number[] = [];
  for (const group of part.split(":")) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    groups.push(parseInt(group, 16));
  }
  return groups;
}

/**
 * Parses an IPv4 or IPv6 address into its network-order bytes.
 *
 * @param text Dotted IPv4, or IPv6 text (with `::` and a trailing dotted quad allowed).
 * @returns 4 bytes for IPv4, 16 for IPv6, or `null` when the text is not an address.
 */
export function ipToBytes(text: string): Uint8Array | null {
  if (!text.includes(":")) {
    const bytes = new Uint8Array(4);
    return ipv4Bytes(text, bytes, 0) ? bytes : null;
  }
  let body = text;
  const lastColon = body.lastIndexOf(":");
  if (body.indexOf(".", lastColon) > 0) {
    const quad = new Uint8Array(4);
    if (!ipv4Bytes(body.slice(lastColon + 1), quad, 0)) return null;
    const high = (((quad[0] ?? 0) << 8) | (quad[1] ?? 0)).toString(16);
    const low = (((quad[2] ?? 0) << 8) | (quad[3] ?? 0)).toString(16);
    body = `${body.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const head = hexGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? hexGroups(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = groups[i] ?? 0;
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  }
  return bytes;
}
