/**
 * Community ID v1: the flow hash that Zeek, Suricata, Elastic and Spip-Go use to join records
 * of one flow across tools (https://github.com/corelight/community-id-spec).
 *
 * @module
 */
import { ipToBytes } from "./ip_address.ts";
import { sha1Short } from "./sha1.ts";

/** IP protocol numbers for the transports Spip records. */
export const IPPROTO = { TCP: 6, UDP: 17 } as const;

function lessThan(a: Uint8Array, aPort: number, b: Uint8Array, bPort: number): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return aPort < bPort;
}

/**
 * Computes the Community ID v1 of a flow: the base64 SHA-1 of the seed, the ordered endpoint
 * addresses, the protocol and the ordered ports, prefixed with `1:`.
 *
 * @param protocol The IP protocol number, such as 6 for TCP.
 * @param sourceIp The source address as text.
 * @param sourcePort The source port.
 * @param destinationIp The destination address as text.
 * @param destinationPort The destination port.
 * @param seed The 16-bit seed; 0 unless the tools agree on another.
 * @returns The Community ID, or "" when an address cannot be parsed or the families differ.
 */
export function communityId(
  protocol: number,
  sourceIp: string,
  sourcePort: number,
  destinationIp: string,
  destinationPort: number,
  seed = 0,
): string {
  let a = ipToBytes(sourceIp), b = ipToBytes(destinationIp);
  if (a === null || b === null || a.length !== b.length) return "";
  let aPort = sourcePort, bPort = destinationPort;
  if (!lessThan(a, aPort, b, bPort)) [a, b, aPort, bPort] = [b, a, bPort, aPort];
  const input = new Uint8Array(2 + a.length * 2 + 2 + 4);
  const view = new DataView(input.buffer);
  view.setUint16(0, seed);
  input.set(a, 2);
  input.set(b, 2 + a.length);
  let at = 2 + a.length * 2;
  input[at++] = protocol;
  input[at++] = 0;
  view.setUint16(at, aPort);
  view.setUint16(at + 2, bPort);
  return `1:${sha1Short(input).toBase64()}`;
}
