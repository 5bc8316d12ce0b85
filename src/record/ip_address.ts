/**
 * IP address text: normalising what Deno reports, and turning text into bytes.
 *
 * @module
 */

/**
 * Writes an address the way records carry it: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
 * as a dual-stack listener reports IPv4 peers) becomes plain IPv4; anything else is lowercased.
 *
 * @param address An address as `Deno.NetAddr.hostname` gives it.
 * @returns The address for records.
 */
export function normalizeIp(address: string): string {
  if (address.length > 7 && address.charCodeAt(0) === 58 /* ':' */) {
    const lower = address.toLowerCase();
    if (lower.startsWith("::ffff:") && lower.indexOf(".", 7) > 0) return lower.slice(7);
    return lower;
  }
  return address.includes(":") ? address.toLowerCase() : address;
}

/**
 * Whether an address, as `Deno.NetAddr.hostname` gives it, is an IPv6 peer proper, neither IPv4
 * nor IPv4-mapped.
 *
 * @param address The address text.
 * @returns True for IPv6 proper.
 */
export function isIpv6(address: string): boolean {
  return address.includes(":") && !/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address);
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
