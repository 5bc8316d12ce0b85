import { assertEquals } from "../../testing/std.ts";
import { AF_INET, AF_INET6 } from "../../ffi/constants.ts";
import {
  decodeSockaddr,
  encodeSockaddr,
  SOCKADDR_IN6_BYTES,
  SOCKADDR_IN_BYTES,
  SOCKADDR_MAX,
  type SocketAddress,
} from "../../ffi/sockaddr.ts";

/** A `struct sockaddr_in` as Linux lays it out on a little-endian host. */
function sockaddrIn(ip: [number, number, number, number], port: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, AF_INET, true);
  view.setUint16(2, port, false);
  bytes.set(ip, 4);
  return bytes;
}

/** A `struct sockaddr_in6`, with flow info and scope id set to show they are ignored. */
function sockaddrIn6(address: Uint8Array, port: number): Uint8Array {
  const bytes = new Uint8Array(SOCKADDR_MAX);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, AF_INET6, true);
  view.setUint16(2, port, false);
  view.setUint32(4, 0x12345, false);
  bytes.set(address, 8);
  view.setUint32(24, 7, true);
  return bytes;
}

/** 16 address bytes from 8 groups. */
function groups(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setUint16(i * 2, value, false));
  return bytes;
}

Deno.test("decodeSockaddr() reads a sockaddr_in", () => {
  assertEquals(decodeSockaddr(sockaddrIn([192, 0, 2, 10], 8080)), {
    ip: "192.0.2.10",
    port: 8080,
  });
  assertEquals(decodeSockaddr(sockaddrIn([0, 0, 0, 0], 0)), { ip: "0.0.0.0", port: 0 });
  assertEquals(decodeSockaddr(sockaddrIn([255, 255, 255, 255], 65535)), {
    ip: "255.255.255.255",
    port: 65535,
  });
});

Deno.test("decodeSockaddr() reads a sockaddr_in inside a larger buffer", () => {
  const bytes = new Uint8Array(SOCKADDR_MAX);
  bytes.set(sockaddrIn([127, 0, 0, 1], 5555));
  bytes.fill(0xee, 16);
  assertEquals(decodeSockaddr(bytes), { ip: "127.0.0.1", port: 5555 });
});

Deno.test("decodeSockaddr() reads a sockaddr_in6", () => {
  assertEquals(decodeSockaddr(sockaddrIn6(groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), 443)), {
    ip: "2001:db8::1",
    port: 443,
  });
  assertEquals(decodeSockaddr(sockaddrIn6(groups(0, 0, 0, 0, 0, 0, 0, 1), 22)), {
    ip: "::1",
    port: 22,
  });
});

Deno.test("decodeSockaddr() writes an IPv4-mapped sockaddr_in6 as plain IPv4", () => {
  const mapped = groups(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0221);
  assertEquals(decodeSockaddr(sockaddrIn6(mapped, 1234)), { ip: "192.0.2.33", port: 1234 });
});

Deno.test("decodeSockaddr() returns null for short buffers", () => {
  assertEquals(decodeSockaddr(new Uint8Array(0)), null);
  assertEquals(decodeSockaddr(sockaddrIn([1, 2, 3, 4], 5).subarray(0, 15)), null);
  const v6 = sockaddrIn6(groups(0, 0, 0, 0, 0, 0, 0, 1), 22);
  assertEquals(decodeSockaddr(v6.subarray(0, 16)), null);
  assertEquals(decodeSockaddr(v6.subarray(0, SOCKADDR_MAX - 1)), null);
});

Deno.test("decodeSockaddr() returns null for other families", () => {
  for (const family of [0, 1, /* AF_UNIX */ 17, /* AF_PACKET */ 0x0200, 0x0a00]) {
    const bytes = sockaddrIn6(groups(0, 0, 0, 0, 0, 0, 0, 1), 22);
    new DataView(bytes.buffer).setUint16(0, family, true);
    assertEquals(decodeSockaddr(bytes), null, `family ${family}`);
  }
});

Deno.test("encodeSockaddr() lays out a sockaddr_in byte for byte", () => {
  const bytes = encodeSockaddr({ ip: "198.51.100.7", port: 53 }, AF_INET);
  assertEquals(bytes, Uint8Array.from([2, 0, 0, 53, 198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 0, 0]));
  assertEquals(bytes, sockaddrIn([198, 51, 100, 7], 53));
});

Deno.test("encodeSockaddr() lays out a sockaddr_in6 byte for byte", () => {
  const bytes = encodeSockaddr({ ip: "2001:db8::1", port: 443 }, AF_INET6);
  const expected = sockaddrIn6(groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), 443);
  new DataView(expected.buffer).setUint32(4, 0, false); // flow info 0
  new DataView(expected.buffer).setUint32(24, 0, true); // scope id 0
  assertEquals(bytes, expected);
  assertEquals(bytes?.length, SOCKADDR_IN6_BYTES);
});

Deno.test("encodeSockaddr() then decodeSockaddr() round-trips IPv4", () => {
  const cases: SocketAddress[] = [
    { ip: "0.0.0.0", port: 0 },
    { ip: "127.0.0.1", port: 8080 },
    { ip: "192.0.2.33", port: 1 },
    { ip: "255.255.255.255", port: 65535 },
  ];
  for (const address of cases) {
    const bytes = encodeSockaddr(address, AF_INET);
    assertEquals(bytes?.length, SOCKADDR_IN_BYTES, address.ip);
    assertEquals(decodeSockaddr(bytes ?? new Uint8Array(0)), address, address.ip);
  }
});

Deno.test("encodeSockaddr() then decodeSockaddr() round-trips IPv6, in RFC 5952 form", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80::200:86ff:fe05:80da", "fe80::200:86ff:fe05:80da"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
  ];
  for (const [ip, expected] of cases) {
    const bytes = encodeSockaddr({ ip, port: 5353 }, AF_INET6);
    assertEquals(bytes?.length, SOCKADDR_IN6_BYTES, ip);
    assertEquals(decodeSockaddr(bytes ?? new Uint8Array(0)), { ip: expected, port: 5353 }, ip);
  }
});

Deno.test("encodeSockaddr() maps IPv4 into AF_INET6, and decoding gives plain IPv4 back", () => {
  const bytes = encodeSockaddr({ ip: "192.0.2.1", port: 40001 }, AF_INET6);
  assertEquals(bytes, sockaddrIn6Plain(groups(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201), 40001));
  assertEquals(decodeSockaddr(bytes ?? new Uint8Array(0)), { ip: "192.0.2.1", port: 40001 });
  // Written out as mapped IPv6, the same address encodes to the same bytes.
  assertEquals(encodeSockaddr({ ip: "::ffff:192.0.2.1", port: 40001 }, AF_INET6), bytes);
  assertEquals(encodeSockaddr({ ip: "::FFFF:c000:201", port: 40001 }, AF_INET6), bytes);
});

Deno.test("encodeSockaddr() writes an IPv4-mapped address for AF_INET as plain IPv4", () => {
  assertEquals(
    encodeSockaddr({ ip: "::ffff:10.0.0.9", port: 22 }, AF_INET),
    sockaddrIn([10, 0, 0, 9], 22),
  );
});

Deno.test("encodeSockaddr() returns null for what it cannot encode", () => {
  const cases: [SocketAddress, number][] = [
    [{ ip: "", port: 1 }, AF_INET],
    [{ ip: "localhost", port: 1 }, AF_INET6],
    [{ ip: "256.0.0.1", port: 1 }, AF_INET],
    [{ ip: "1:2:3:4:5:6:7:8:9", port: 1 }, AF_INET6],
    [{ ip: "2001:db8::1", port: 1 }, AF_INET], // IPv6 proper has no IPv4 form
    [{ ip: "::1", port: 1 }, AF_INET],
    [{ ip: "192.0.2.1", port: -1 }, AF_INET],
    [{ ip: "192.0.2.1", port: 65536 }, AF_INET],
    [{ ip: "192.0.2.1", port: 1.5 }, AF_INET6],
    [{ ip: "192.0.2.1", port: 1 }, 1 /* AF_UNIX */],
    [{ ip: "192.0.2.1", port: 1 }, 0],
  ];
  for (const [address, family] of cases) {
    assertEquals(encodeSockaddr(address, family), null, `${address.ip} ${address.port} ${family}`);
  }
});

/** A `struct sockaddr_in6` with flow info and scope id 0, as encodeSockaddr() writes it. */
function sockaddrIn6Plain(address: Uint8Array, port: number): Uint8Array {
  const bytes = new Uint8Array(SOCKADDR_IN6_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, AF_INET6, true);
  view.setUint16(2, port, false);
  bytes.set(address, 8);
  return bytes;
}

Deno.test("decodeSockaddr() gives each IPv4 address its own text, however often it repeats", () => {
  // More addresses than the text cache has slots, so that they collide, seen in two orders.
  const addresses = Array.from({ length: 5000 }, (_, i) => [
    (i * 7) & 0xff,
    (i * 13) >> 3 & 0xff,
    i >> 8 & 0xff,
    i & 0xff,
  ]);
  for (const order of [addresses, [...addresses].reverse(), addresses]) {
    for (const [a, b, c, d] of order) {
      const v4 = encodeSockaddr({ ip: `${a}.${b}.${c}.${d}`, port: 1 }, AF_INET);
      const mapped = encodeSockaddr({ ip: `${a}.${b}.${c}.${d}`, port: 2 }, AF_INET6);
      if (v4 === null || mapped === null) throw new Error("cannot encode");
      assertEquals(decodeSockaddr(v4), { ip: `${a}.${b}.${c}.${d}`, port: 1 });
      assertEquals(decodeSockaddr(mapped), { ip: `${a}.${b}.${c}.${d}`, port: 2 });
    }
  }
});
