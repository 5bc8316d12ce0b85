import { assertEquals } from "../../testing/std.ts";
import { ipToBytes, isIpv6, normalizeIp } from "../../src/record/ip_address.ts";

function hexOf(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : bytes.toHex();
}

Deno.test("normalizeIp() writes IPv4-mapped IPv6 addresses as plain IPv4", () => {
  assertEquals(normalizeIp("::ffff:127.0.0.1"), "127.0.0.1");
  assertEquals(normalizeIp("::FFFF:192.0.2.33"), "192.0.2.33");
  assertEquals(normalizeIp("::ffff:1.2.3.4"), "1.2.3.4");
});

Deno.test("normalizeIp() lowercases IPv6 and leaves IPv4 alone", () => {
  assertEquals(normalizeIp("2001:DB8::A"), "2001:db8::a");
  assertEquals(normalizeIp("::1"), "::1");
  assertEquals(normalizeIp("::"), "::");
  assertEquals(normalizeIp("::FFFF:ABCD"), "::ffff:abcd");
  assertEquals(normalizeIp("FE80::1"), "fe80::1");
  assertEquals(normalizeIp("192.0.2.1"), "192.0.2.1");
  assertEquals(normalizeIp("0.0.0.0"), "0.0.0.0");
});

Deno.test("isIpv6() is true for IPv6 proper only", () => {
  assertEquals(isIpv6("::1"), true);
  assertEquals(isIpv6("::"), true);
  assertEquals(isIpv6("2001:db8::1"), true);
  assertEquals(isIpv6("::ffff:abcd"), true);
  assertEquals(isIpv6("::ffff:127.0.0.1"), false);
  assertEquals(isIpv6("::FFFF:127.0.0.1"), false);
  assertEquals(isIpv6("127.0.0.1"), false);
});

Deno.test("ipToBytes() parses IPv4 into 4 bytes", () => {
  assertEquals(hexOf(ipToBytes("0.0.0.0")), "00000000");
  assertEquals(hexOf(ipToBytes("192.0.2.255")), "c00002ff");
  assertEquals(hexOf(ipToBytes("255.255.255.255")), "ffffffff");
});

Deno.test("ipToBytes() parses IPv6 forms into 16 bytes", () => {
  const cases: [string, string][] = [
    ["::", "00000000000000000000000000000000"],
    ["::1", "00000000000000000000000000000001"],
    ["1::", "00010000000000000000000000000000"],
    ["::ffff:1.2.3.4", "00000000000000000000ffff01020304"],
    ["::1.2.3.4", "00000000000000000000000001020304"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
    ["::2:3:4:5:6:7:8", "00000002000300040005000600070008"],
    ["2001:DB8:0:0:1::ABCD", "20010db800000000000100000000abcd"],
    ["fe80::1:0:0:1", "fe800000000000000001000000000001"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
  ];
  for (const [text, expected] of cases) assertEquals(hexOf(ipToBytes(text)), expected, text);
});

Deno.test("ipToBytes() rejects what is not an address", () => {
  const bad = [
    "",
    "localhost",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "1.2.3.-4",
    "01234.1.1.1",
    "1.2.3.4 ",
    " 1.2.3.4",
    ":",
    ":::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "1::2::3",
    "12345::",
    "g::1",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "::ffff:1.2.3",
    "::ffff:1.2.3.256",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "fe80::1%eth0",
  ];
  for (const text of bad) assertEquals(ipToBytes(text), null, JSON.stringify(text));
});
