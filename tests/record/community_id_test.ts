import { assertEquals } from "../../testing/std.ts";
import { communityId, IPPROTO } from "../../src/record/community_id.ts";

interface Vector {
  proto: number;
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
  communityid: string;
}

const SCTP = 132;

/**
 * The port-based vectors (TCP, UDP, SCTP) of the spec's published baselines, both directions,
 * from corelight/community-id-spec baseline/baseline_deflt.json (seed 0) at commit
 * c4ec2bc40d65ddbcbdd642582bf5609797a80772. ICMP vectors are left out: their port mapping is
 * not implemented, since Spip records no ICMP.
 */
const BASELINE_SEED_0: Vector[] = [
  {
    proto: 6,
    saddr: "2001:470:e5bf:dead:4957:2174:e82c:4887",
    daddr: "2607:f8b0:400c:c03::1a",
    sport: 63943,
    dport: 25,
    communityid: "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
  },
  {
    proto: 6,
    saddr: "2607:f8b0:400c:c03::1a",
    daddr: "2001:470:e5bf:dead:4957:2174:e82c:4887",
    sport: 25,
    dport: 63943,
    communityid: "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
  },
  {
    proto: 132,
    saddr: "192.168.170.8",
    daddr: "192.168.170.56",
    sport: 7,
    dport: 7,
    communityid: "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
  },
  {
    proto: 132,
    saddr: "192.168.170.56",
    daddr: "192.168.170.8",
    sport: 7,
    dport: 7,
    communityid: "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
  },
  {
    proto: 6,
    saddr: "128.232.110.120",
    daddr: "66.35.250.204",
    sport: 34855,
    dport: 80,
    communityid: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
  },
  {
    proto: 6,
    saddr: "66.35.250.204",
    daddr: "128.232.110.120",
    sport: 80,
    dport: 34855,
    communityid: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
  },
  {
    proto: 17,
    saddr: "192.168.1.52",
    daddr: "8.8.8.8",
    sport: 54585,
    dport: 53,
    communityid: "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
  },
  {
    proto: 17,
    saddr: "8.8.8.8",
    daddr: "192.168.1.52",
    sport: 53,
    dport: 54585,
    communityid: "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
  },
];

/** The same flows from baseline/baseline_seed1.json (seed 1), same commit. */
const BASELINE_SEED_1: Vector[] = [
  {
    proto: 6,
    saddr: "2001:470:e5bf:dead:4957:2174:e82c:4887",
    daddr: "2607:f8b0:400c:c03::1a",
    sport: 63943,
    dport: 25,
    communityid: "1:eJYTW6AOzFLlSUoESovMjnu7rMw=",
  },
  {
    proto: 6,
    saddr: "2607:f8b0:400c:c03::1a",
    daddr: "2001:470:e5bf:dead:4957:2174:e82c:4887",
    sport: 25,
    dport: 63943,
    communityid: "1:eJYTW6AOzFLlSUoESovMjnu7rMw=",
  },
  {
    proto: 132,
    saddr: "192.168.170.8",
    daddr: "192.168.170.56",
    sport: 7,
    dport: 7,
    communityid: "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
  },
  {
    proto: 132,
    saddr: "192.168.170.56",
    daddr: "192.168.170.8",
    sport: 7,
    dport: 7,
    communityid: "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
  },
  {
    proto: 6,
    saddr: "128.232.110.120",
    daddr: "66.35.250.204",
    sport: 34855,
    dport: 80,
    communityid: "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
  },
  {
    proto: 6,
    saddr: "66.35.250.204",
    daddr: "128.232.110.120",
    sport: 80,
    dport: 34855,
    communityid: "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
  },
  {
    proto: 17,
    saddr: "192.168.1.52",
    daddr: "8.8.8.8",
    sport: 54585,
    dport: 53,
    communityid: "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
  },
  {
    proto: 17,
    saddr: "8.8.8.8",
    daddr: "192.168.1.52",
    sport: 53,
    dport: 54585,
    communityid: "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
  },
];

function label(v: Vector): string {
  return `proto ${v.proto} ${v.saddr}:${v.sport} -> ${v.daddr}:${v.dport}`;
}

Deno.test("communityId() matches the spec's seed 0 baseline (TCP/UDP/SCTP, v4 and v6)", () => {
  for (const v of BASELINE_SEED_0) {
    assertEquals(communityId(v.proto, v.saddr, v.sport, v.daddr, v.dport), v.communityid, label(v));
  }
});

Deno.test("communityId() matches the spec's seed 1 baseline", () => {
  for (const v of BASELINE_SEED_1) {
    assertEquals(
      communityId(v.proto, v.saddr, v.sport, v.daddr, v.dport, 1),
      v.communityid,
      label(v),
    );
  }
});

Deno.test("communityId() is the same in both directions", () => {
  const flows: [string, number, string, number][] = [
    ["127.0.0.1", 5000, "127.0.0.1", 80],
    ["10.0.0.1", 1, "10.0.0.1", 1],
    ["::1", 40000, "::1", 22],
    ["2001:db8::1", 443, "2001:db8::2", 443],
  ];
  for (const [a, aPort, b, bPort] of flows) {
    for (const protocol of [IPPROTO.TCP, IPPROTO.UDP, SCTP]) {
      assertEquals(
        communityId(protocol, a, aPort, b, bPort),
        communityId(protocol, b, bPort, a, aPort),
        `${protocol} ${a}:${aPort} ${b}:${bPort}`,
      );
    }
  }
});

Deno.test("communityId() reads IPv6 text in any spelling the same", () => {
  const reference = communityId(IPPROTO.TCP, "2607:f8b0:400c:c03::1a", 25, "2001:db8::1", 1);
  for (const spelling of ["2607:F8B0:400C:0C03:0:0:0:1A", "2607:f8b0:400c:c03:0000::001a"]) {
    assertEquals(communityId(IPPROTO.TCP, spelling, 25, "2001:db8::1", 1), reference, spelling);
  }
});

Deno.test("communityId() distinguishes protocol, seed and ports", () => {
  const tcp = communityId(IPPROTO.TCP, "192.0.2.1", 1000, "192.0.2.2", 80);
  const ids = new Set([
    tcp,
    communityId(IPPROTO.UDP, "192.0.2.1", 1000, "192.0.2.2", 80),
    communityId(IPPROTO.TCP, "192.0.2.1", 1000, "192.0.2.2", 80, 2),
    communityId(IPPROTO.TCP, "192.0.2.1", 1001, "192.0.2.2", 80),
    communityId(IPPROTO.TCP, "192.0.2.1", 80, "192.0.2.2", 1000),
  ]);
  assertEquals(ids.size, 5);
});

Deno.test("communityId() is empty for unparseable addresses or mixed families", () => {
  assertEquals(communityId(IPPROTO.TCP, "192.0.2.1", 1, "2001:db8::1", 2), "");
  assertEquals(communityId(IPPROTO.TCP, "not an ip", 1, "192.0.2.1", 2), "");
  assertEquals(communityId(IPPROTO.TCP, "192.0.2.1", 1, "192.0.2.256", 2), "");
  assertEquals(communityId(IPPROTO.TCP, "", 1, "", 2), "");
});
