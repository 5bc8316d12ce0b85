import { assertEquals } from "../../testing/std.ts";
import { formatIpv6 } from "../../ffi/ip_text.ts";

/** 16 address bytes from 8 groups. */
function groups(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setUint16(i * 2, value, false));
  return bytes;
}

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
