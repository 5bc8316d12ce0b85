import { assertEquals } from "../../testing/std.ts";
import { AF_INET, AF_INET6, decodeSockaddr, formatIpv6, SOCKADDR_MAX } from "../../ffi/sockaddr.ts";

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

Deno.test("formatIpv6() follows RFC 5952", () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0], "::"],
    [[0, 0, 0, 0, 0, 0, 0, 1], "::1"],
    [[1, 0, 0, 0, 0, 0, 0, 0], "1::"],
    // Lowercase, no leading zeros.
    [
      [0x2001, 0x0db8, 0xabcd, 0x0012, 0x00ff, 0x0f00, 0xffff, 0x000a],
      "2001:db8:abcd:12:ff:f00:ffff:a",
    ],
    // A single zero group is not compressed (RFC 5952 4.2.2).
    [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], "2001:db8:0:1:1:1:1:1"],
    [[0, 1, 2, 3, 4, 5, 6, 7], "0:1:2:3:4:5:6:7"],
    [[1, 2, 3, 4, 5, 6, 7, 0], "1:2:3:4:5:6:7:0"],
    // The longest run is compressed (4.2.3).
    [[0x2001, 0, 0, 1, 0, 0, 0, 1], "2001:0:0:1::1"],
    [[1, 0, 0, 2, 0, 0, 0, 0], "1:0:0:2::"],
    // Of equal runs, the first (4.2.3).
    [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], "2001:db8::1:0:0:1"],
    [[0, 0, 1, 2, 3, 4, 0, 0], "::1:2:3:4:0:0"],
    [[0xfe80, 0, 0, 0, 0x200, 0x86ff, 0xfe05, 0x80da], "fe80::200:86ff:fe05:80da"],
    // Not IPv4-mapped: written as IPv6.
    [[0, 0, 0, 0, 0, 0xfffe, 0x102, 0x304], "::fffe:102:304"],
    [[0, 0, 0, 0, 1, 0xffff, 0x102, 0x304], "::1:ffff:102:304"],
    [[0, 0, 0, 0, 0, 0, 0x102, 0x304], "::102:304"],
    [[0x64, 0xff9b, 0, 0, 0, 0, 0x102, 0x304], "64:ff9b::102:304"],
  ];
  for (const [values, expected] of cases) {
    assertEquals(formatIpv6(groups(...values)), expected, expected);
  }
});

Deno.test("formatIpv6() writes IPv4-mapped addresses as dotted IPv4", () => {
  assertEquals(formatIpv6(groups(0, 0, 0, 0, 0, 0xffff, 0x7f00, 0x0001)), "127.0.0.1");
  assertEquals(formatIpv6(groups(0, 0, 0, 0, 0, 0xffff, 0xffff, 0xffff)), "255.255.255.255");
});
