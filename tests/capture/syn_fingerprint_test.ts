import { assertEquals } from "../../testing/std.ts";
import { handshakeFields, parseSyn } from "../../src/capture/syn_fingerprint.ts";

/** A TCP SYN header: ports 40000 -> 80, window, then the option bytes padded to 4. */
function tcpHeader(window: number, options: number[]): number[] {
  const padded = [...options];
  while (padded.length % 4 !== 0) padded.push(0);
  const words = 5 + padded.length / 4;
  return [
    ...[0x9c, 0x40, 0x00, 0x50], // ports
    ...[0, 0, 0, 1], // seq
    ...[0, 0, 0, 0], // ack
    words << 4,
    0x02, // SYN
    window >> 8,
    window & 0xff,
    ...[0, 0, 0, 0], // checksum, urgent pointer
    ...padded,
  ];
}

/** An IPv4 header (no options) carrying TCP. */
function ipv4Header(ttl: number, df: boolean, totalLength: number): number[] {
  return [
    0x45,
    0,
    totalLength >> 8,
    totalLength & 0xff,
    ...[0x12, 0x34],
    df ? 0x40 : 0x00,
    0,
    ttl,
    6,
    ...[0, 0],
    ...[127, 0, 0, 1],
    ...[127, 0, 0, 1],
  ];
}

/** An IPv6 header carrying `next`. */
function ipv6Header(hopLimit: number, next: number, payloadLength: number): number[] {
  const address = [...Array(15).fill(0), 1];
  return [
    0x60,
    0,
    0,
    0,
    payloadLength >> 8,
    payloadLength & 0xff,
    next,
    hopLimit,
    ...address,
    ...address,
  ];
}

/** Linux's SYN options: MSS 65495, SACK permitted, timestamps, NOP, window scale 7. */
const LINUX_OPTIONS = [
  ...[2, 4, 0xff, 0xd7],
  ...[4, 2],
  ...[8, 10, 0, 0, 0, 1, 0, 0, 0, 0],
  1,
  ...[3, 3, 7],
];

Deno.test("parseSyn() reads an IPv4 SYN: TTL, DF, window, option kinds, MSS and window scale", () => {
  const tcp = tcpHeader(65495, LINUX_OPTIONS);
  const bytes = new Uint8Array([...ipv4Header(64, true, 20 + tcp.length), ...tcp]);
  assertEquals(parseSyn(bytes), {
    ttl: 64,
    window: 65495,
    options: "2-4-8-1-3",
    mss: 65495,
    wscale: 7,
    df: true,
  });
});

Deno.test("parseSyn() reads an IPv6 SYN: hop limit, no DF, past an extension header", () => {
  const tcp = tcpHeader(64800, [2, 4, 0x03, 0xe8, 1, 1, 4, 2]);
  const plain = new Uint8Array([...ipv6Header(77, 6, tcp.length), ...tcp]);
  const expected = { ttl: 77, window: 64800, options: "2-1-1-4", mss: 1000 };
  assertEquals(parseSyn(plain), expected);
  // A hop-by-hop header of 8 bytes (length field 0) before TCP.
  const hopByHop = [6, 0, 1, 4, 0, 0, 0, 0];
  const extended = new Uint8Array([...ipv6Header(77, 0, 8 + tcp.length), ...hopByHop, ...tcp]);
  assertEquals(parseSyn(extended), expected);
});

Deno.test("parseSyn() gives an empty option list and leaves out MSS and window scale without options", () => {
  const tcp = tcpHeader(1024, []);
  const bytes = new Uint8Array([...ipv4Header(255, false, 40), ...tcp]);
  assertEquals(parseSyn(bytes), { ttl: 255, window: 1024, options: "", df: false });
});

Deno.test("parseSyn() stops at end-of-list (kept) and at a malformed option (not kept)", () => {
  const ended = tcpHeader(512, [2, 4, 0x05, 0xb4, 0, 3, 3, 9]);
  assertEquals(parseSyn(new Uint8Array([...ipv4Header(60, true, 40), ...ended]))?.options, "2-0");
  // Window scale claims 9 bytes, past the header's end: not kept, and nothing after it.
  const overlong = tcpHeader(512, [2, 4, 0x05, 0xb4, 3, 9, 1, 1]);
  const parsed = parseSyn(new Uint8Array([...ipv4Header(60, true, 40), ...overlong]));
  assertEquals([parsed?.options, parsed?.mss, parsed?.wscale], ["2", 1460, undefined]);
  // A length below 2 would loop for ever: it stops the walk.
  const zero = tcpHeader(512, [1, 8, 0, 1]);
  assertEquals(parseSyn(new Uint8Array([...ipv4Header(60, true, 40), ...zero]))?.options, "1");
});

Deno.test("parseSyn() returns null for bytes that are not IP + a whole TCP header", () => {
  const tcp = tcpHeader(65495, LINUX_OPTIONS);
  const v4 = [...ipv4Header(64, true, 20 + tcp.length), ...tcp];
  assertEquals(parseSyn(new Uint8Array(0)), null);
  assertEquals(parseSyn(new Uint8Array(v4.slice(0, 30))), null, "cut inside TCP");
  assertEquals(parseSyn(new Uint8Array(v4.slice(0, 45))), null, "cut inside the options");
  const udp = [...v4];
  udp[9] = 17;
  assertEquals(parseSyn(new Uint8Array(udp)), null, "not TCP");
  const shortIhl = [...v4];
  shortIhl[0] = 0x44;
  assertEquals(parseSyn(new Uint8Array(shortIhl)), null, "IHL below 5");
  const v5 = [...v4];
  v5[0] = 0x55;
  assertEquals(parseSyn(new Uint8Array(v5)), null, "IP version 5");
  assertEquals(parseSyn(new Uint8Array(ipv6Header(64, 17, 0))), null, "IPv6 without TCP");
  assertEquals(parseSyn(new Uint8Array(ipv6Header(64, 0, 0))), null, "cut extension header");
});

Deno.test("handshakeFields() names the fields as records carry them, leaving out what is unknown", () => {
  const v4 = { ttl: 64, window: 65495, options: "2-4-8-1-3", mss: 65495, wscale: 7, df: true };
  assertEquals(handshakeFields(v4, 42), {
    syn_ttl: 64,
    syn_window: 65495,
    syn_options: "2-4-8-1-3",
    syn_mss: 65495,
    syn_wscale: 7,
    syn_df: true,
    rtt_us: 42,
  });
  assertEquals(
    Object.keys(handshakeFields({ ttl: 77, window: 1, options: "" }, 0) ?? {}),
    ["syn_ttl", "syn_window", "syn_options", "rtt_us"],
  );
  assertEquals(handshakeFields(null, 10), { rtt_us: 10 });
  assertEquals(handshakeFields(null, -1), undefined);
});
