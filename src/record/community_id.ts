/**
 * Community ID v1: the flow hash that Zeek, Suricata, Elastic and Spip-Go use to join records
 * of one flow across tools (https://github.com/corelight/community-id-spec).
 *
 * @module
 */
import { ipToBytes, ipv4Bytes } from "./ip_address.ts";
import { sha1ShortInto } from "./sha1.ts";

/** IP protocol numbers for the transports Spip records. */
export const IPPROTO = { TCP: 6, UDP: 17 } as const;

// Reused buffers: one Community ID per session, so nothing is allocated but the text.
const sourceBytes = new Uint8Array(16);
const destinationBytes = new Uint8Array(16);
/** Seed (2), two addresses (up to 16 each), protocol and padding (2), two ports (4). */
const input = new Uint8Array(40);
const digest = new Uint8Array(20);

/** Parses an address into `into`; returns its length, 4 or 16, or 0 when it is not one. */
function addressBytes(text: string, into: Uint8Array): number {
  if (!text.includes(":")) return ipv4Bytes(text, into, 0) ? 4 : 0;
  const bytes = ipToBytes(text);
  if (bytes === null) return 0;
  into.set(bytes);
  return bytes.length;
}

/** Whether the first endpoint sorts before the second: address bytes, then port. */
function lessThan(length: number, aPort: number, bPort: number): boolean {
  for (let i = 0; i < length; i++) {
    const x = sourceBytes[i] ?? 0, y = destinationBytes[i] ?? 0;
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
  const length = addressBytes(sourceIp, sourceBytes);
  if (length === 0 || addressBytes(destinationIp, destinationBytes) !== length) return "";
  const sourceFirst = lessThan(length, sourcePort, destinationPort);
  const first = sourceFirst ? sourceBytes : destinationBytes;
  const second = sourceFirst ? destinationBytes : sourceBytes;
  input[0] = (seed >> 8) & 0xff;
  input[1] = seed & 0xff;
  for (let i = 0; i < length; i++) {
    input[2 + i] = first[i] ?? 0;
    input[2 + length + i] = second[i] ?? 0;
  }
  let at = 2 + length * 2;
  input[at++] = protocol;
  input[at++] = 0;
  const firstPort = sourceFirst ? sourcePort : destinationPort;
  const secondPort = sourceFirst ? destinationPort : sourcePort;
  input[at++] = firstPort >> 8;
  input[at++] = firstPort & 0xff;
  input[at++] = secondPort >> 8;
  input[at++] = secondPort & 0xff;
  sha1ShortInto(input, at, digest);
  return `1:${digest.toBase64()}`;
}
