import { assertEquals } from "../../testing/std.ts";
import { parseControl } from "../../ffi/cmsg.ts";
import {
  IP_ORIGDSTADDR,
  IPV6_ORIGDSTADDR,
  SO_RXQ_OVFL,
  SOL_IP,
  SOL_IPV6,
  SOL_SOCKET,
} from "../../ffi/constants.ts";
import { decodeSockaddr } from "../../ffi/sockaddr.ts";

/** Builds one cmsghdr record as the kernel lays it out on 64-bit Linux, padded to 8. */
function cmsg(level: number, type: number, data: Uint8Array): Uint8Array {
  const length = 16 + data.length;
  const bytes = new Uint8Array(Math.ceil(length / 8) * 8);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(length), true);
  view.setInt32(8, level, true);
  view.setInt32(12, type, true);
  bytes.set(data, 16);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// The bytes the kernel gave for a datagram TPROXYed to 198.51.100.7:53 (captured with recvmsg).
const SOCKADDR_IN = Uint8Array.from([2, 0, 0, 53, 198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 0, 0]);

function sockaddrIn6(address: number[], port: number): Uint8Array {
  const bytes = new Uint8Array(28);
  new DataView(bytes.buffer).setUint16(0, 10, true);
  new DataView(bytes.buffer).setUint16(2, port, false);
  bytes.set(address, 8);
  return bytes;
}

Deno.test("parseControl reads IP_ORIGDSTADDR", () => {
  const control = cmsg(SOL_IP, IP_ORIGDSTADDR, SOCKADDR_IN);
  assertEquals(control.length, 32);
  assertEquals(parseControl(control, control.length), {
    destination: { ip: "198.51.100.7", port: 53 },
    dropped: null,
  });
});

Deno.test("parseControl reads IPV6_ORIGDSTADDR and SO_RXQ_OVFL together", () => {
  const v6 = sockaddrIn6([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], 9999);
  const dropped = new Uint8Array(new Uint32Array([1234]).buffer);
  const control = concat(
    cmsg(SOL_SOCKET, SO_RXQ_OVFL, dropped),
    cmsg(SOL_IPV6, IPV6_ORIGDSTADDR, v6),
  );
  assertEquals(parseControl(control, control.length), {
    destination: { ip: "2001:db8:1::9", port: 9999 },
    dropped: 1234,
  });
});

Deno.test("parseControl ignores unknown records, and stops at msg_controllen", () => {
  const unknown = cmsg(SOL_IP, 8, /* IP_PKTINFO */ new Uint8Array(12));
  const control = concat(unknown, cmsg(SOL_IP, IP_ORIGDSTADDR, SOCKADDR_IN));
  assertEquals(parseControl(control, control.length).destination, { ip: "198.51.100.7", port: 53 });
  assertEquals(parseControl(control, unknown.length), { destination: null, dropped: null });
  assertEquals(parseControl(control, 0), { destination: null, dropped: null });
});

Deno.test("parseControl survives malformed lengths", () => {
  const control = cmsg(SOL_IP, IP_ORIGDSTADDR, SOCKADDR_IN);
  const view = new DataView(control.buffer);
  view.setBigUint64(0, 4n, true); // shorter than a header
  assertEquals(parseControl(control, control.length).destination, null);
  view.setBigUint64(0, 1000n, true); // past the buffer
  assertEquals(parseControl(control, control.length).destination, null);
  assertEquals(parseControl(control, 10_000).destination, null);
});

Deno.test("decodeSockaddr turns an IPv4-mapped sender into plain IPv4", () => {
  const mapped = sockaddrIn6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1], 40001);
  assertEquals(decodeSockaddr(mapped), { ip: "192.0.2.1", port: 40001 });
  assertEquals(decodeSockaddr(mapped.subarray(0, 16)), null);
});
