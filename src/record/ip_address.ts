/**
 * IP address text: normalising what Deno reports, and turning text into bytes (`ipToBytes`,
 * which lives in `ffi/ip_text.ts` since sockaddr encoding needs it too).
 *
 * @module
 */
export { ipToBytes } from "../../ffi/ip_text.ts";

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
