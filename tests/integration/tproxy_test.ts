/**
 * End-to-end tests of tproxy mode and UDP capture: the real sensor in one namespace, real
 * clients (python sockets, dig, nmap) in another, TPROXY rules between them.
 */
import { assert, assertEquals, assertMatch } from "../../testing/std.ts";
import { type SensorResult, TproxySensor } from "./_tproxy_sensor.ts";
import { validateRecord } from "../_schema.ts";
import {
  CLIENT_V4,
  CLIENT_V6,
  ROUTED_V4,
  ROUTED_V6,
  type RuleSet,
  SENSOR_V4,
  TproxyPair,
} from "../../testing/tproxy_pair.ts";

const PORT = 7700;

function tproxyConfig(extra = ""): string {
  return `ip = "::"\nport = ${PORT}\nname = "tproxy-test"\nmode = "tproxy"\n` +
    `[udp]\nenabled = true\n${extra}`;
}

/** A python client: sends UDP datagrams and TCP payloads as the JSON plan says. */
const CLIENT = `
import json, socket, sys, time
for step in json.loads(sys.argv[1]):
    kind = step["kind"]
    if kind == "sleep":
        time.sleep(step["s"]); continue
    family = socket.AF_INET6 if ":" in step["dst"] else socket.AF_INET
    if kind == "udp":
        s = socket.socket(family, socket.SOCK_DGRAM)
        if step.get("sport"): s.bind(("", step["sport"]))
        for i in range(step.get("count", 1)):
            s.sendto(step["payload"].encode() * step.get("repeat", 1), (step["dst"], step["dport"]))
        s.close()
    elif kind == "tcp":
        s = socket.create_connection((step["dst"], step["dport"]), timeout=5)
        s.sendall(step["payload"].encode()); time.sleep(0.1); s.close()
    elif kind == "banner":
        s = socket.create_connection((step["dst"], step["dport"]), timeout=5)
        print(s.recv(100).decode(), flush=True); s.close()
`;

/**
 * Run in the sensor's namespace: a TCP connection and a UDP query to servers in the client's
 * namespace; prints what came back.
 */
const OUTBOUND = `
import socket
t = socket.create_connection(("${CLIENT_V4}", 8000), timeout=5)
out = t.recv(100).decode(); t.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
u.sendto(b"q", ("${CLIENT_V4}", 8053))
print(out, u.recv(100).decode(), flush=True)
`;

/** Run in the client's namespace: answers one TCP connection and one UDP query. */
const RESPONDERS = `
import socket
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("${CLIENT_V4}", 8000)); t.listen(1); t.settimeout(15)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("${CLIENT_V4}", 8053)); u.settimeout(15)
c, _ = t.accept(); c.sendall(b"out-ok"); c.close()
_, peer = u.recvfrom(100); u.sendto(b"udp-ok", peer)
`;

type Step = Record<string, string | number>;

async function client(pair: TproxyPair, plan: Step[]): Promise<string> {
  const result = await pair.inClient(["python3", "-c", CLIENT, JSON.stringify(plan)]);
  assertEquals(result.code, 0, result.stderr);
  return result.stdout;
}

function find(
  result: SensorResult,
  where: Record<string, unknown>,
): Record<string, unknown>[] {
  return result.records.filter((r) => Object.entries(where).every(([k, v]) => r[k] === v));
}

async function exercise(pair: TproxyPair, rules: RuleSet): Promise<void> {
  // A stand-in for sshd in the sensor's namespace, on its own address: the exclusion must let
  // connections to port 22 through to it instead of handing them to the sensor.
  const sshd = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      pair.sensor,
      "python3",
      "-c",
      `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("${SENSOR_V4}", 22)); s.listen(1); s.settimeout(15)
c, _ = s.accept(); c.sendall(b"ssh-ok"); c.close()`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const responders = new Deno.Command("ip", {
    args: ["netns", "exec", pair.client, "python3", "-c", RESPONDERS],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const sensor = await TproxySensor.start(pair.sensor, tproxyConfig());
  let result: SensorResult;
  try {
    await sensor.ready(pair.sensor, PORT, true);
    const banner = await client(pair, [
      { kind: "udp", dst: `${ROUTED_V4}.7`, dport: 5060, sport: 40001, payload: "a", count: 3 },
      { kind: "udp", dst: `${ROUTED_V4}.7`, dport: 5060, sport: 40002, payload: "b" },
      { kind: "udp", dst: `${ROUTED_V6}9`, dport: 9999, sport: 40003, payload: "v6" },
      { kind: "tcp", dst: `${ROUTED_V4}.7`, dport: 8081, payload: "tcp4" },
      { kind: "tcp", dst: `${ROUTED_V6}7`, dport: 8443, payload: "tcp6" },
      { kind: "banner", dst: SENSOR_V4, dport: 22 },
    ]);
    assertEquals(banner.trim(), "ssh-ok", `${rules}: port 22 must bypass TPROXY`);
    // The sensor host's own outgoing TCP and UDP still get their replies.
    const outbound = await pair.inSensor(["python3", "-c", OUTBOUND]);
    assertEquals(outbound.stdout.trim(), "out-ok udp-ok", `${rules}: ${outbound.stderr}`);
    const dig4 = await pair.inClient(
      ["dig", `@${ROUTED_V4}.53`, "example.com", "A", "+tries=1", "+time=1"],
    );
    const dig6 = await pair.inClient(
      ["dig", "-6", `@${ROUTED_V6}53`, "example.org", "AAAA", "+tries=1", "+time=1"],
    );
    assert(dig4.stdout.includes("timed out"), `dig must get no answer: ${dig4.stdout}`);
    assert(dig6.stdout.includes("timed out"), `dig must get no answer: ${dig6.stdout}`);
    const nmap = await pair.inClient([
      "nmap",
      "-sU",
      "-Pn",
      "-n",
      "-p",
      "123,161,1900",
      "--max-retries",
      "0",
      "--host-timeout",
      "10s",
      `${ROUTED_V4}.9`,
    ], { timeoutMs: 30_000 });
    assertEquals(nmap.code, 0, nmap.stderr);
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    result = await sensor.stop();
    try {
      sshd.kill("SIGKILL");
    } catch {
      // It served its one connection and exited.
    }
    await sshd.status;
    try {
      responders.kill("SIGKILL");
    } catch {
      // It answered and exited.
    }
    await responders.status;
  }
  assertEquals(result.code, 0, result.stderr);
  for (const record of result.records) {
    assertEquals(validateRecord(record), [], JSON.stringify(record));
  }

  // UDP over IPv4: the true destination; one flow, one session, seq 1..3.
  const flow = find(result, { transport: "udp", source_port: 40001 });
  assertEquals(flow.length, 3);
  assertEquals(flow.map((r) => r["seq"]), [1, 2, 3]);
  assertEquals(new Set(flow.map((r) => r["session_id"])).size, 1);
  for (const r of flow) {
    assertEquals([r["source_ip"], r["destination_ip"], r["destination_port"]], [
      CLIENT_V4,
      `${ROUTED_V4}.7`,
      5060,
    ]);
    assertEquals([r["payload"], r["silent"], r["truncated"]], ["a", false, false]);
    assertMatch(String(r["community_id"]), /^1:[A-Za-z0-9+/]{27}=$/);
  }
  const other = find(result, { transport: "udp", source_port: 40002 });
  assertEquals(other.length, 1);
  assert(other[0]?.["session_id"] !== flow[0]?.["session_id"], "another 5-tuple, another session");
  // UDP over IPv6.
  const v6 = find(result, { transport: "udp", source_port: 40003 });
  assertEquals(v6.length, 1);
  assertEquals([v6[0]?.["source_ip"], v6[0]?.["destination_ip"], v6[0]?.["destination_port"]], [
    CLIENT_V6,
    `${ROUTED_V6}9`,
    9999,
  ]);
  // TCP over both families: the connection's local address is the true destination.
  const tcp4 = find(result, { transport: "tcp", destination_port: 8081 });
  assertEquals(tcp4.map((r) => [r["source_ip"], r["destination_ip"], r["payload"]]), [
    [CLIENT_V4, `${ROUTED_V4}.7`, "tcp4"],
  ]);
  const tcp6 = find(result, { transport: "tcp", destination_port: 8443 });
  assertEquals(tcp6.map((r) => [r["source_ip"], r["destination_ip"], r["payload"]]), [
    [CLIENT_V6, `${ROUTED_V6}7`, "tcp6"],
  ]);
  assertEquals(find(result, { destination_port: 22 }).length, 0, "port 22 is excluded");
  // dig: a DNS query to port 53 of the address dig was given, over both families.
  for (const ip of [`${ROUTED_V4}.53`, `${ROUTED_V6}53`]) {
    const dns = find(result, { transport: "udp", destination_ip: ip, destination_port: 53 });
    assertEquals(dns.length, 1, `one dig query to ${ip}`);
    assert(String(dns[0]?.["payload"]).includes("example"));
  }
  // nmap -sU: one probe per port at least, to the scanned address.
  for (const port of [123, 161, 1900]) {
    const probes = find(result, {
      transport: "udp",
      destination_ip: `${ROUTED_V4}.9`,
      destination_port: port,
    });
    assert(probes.length >= 1, `nmap probe to port ${port} recorded`);
  }
  // The sensor never answers UDP: dig timed out above; and it sent nothing back.
  assertEquals(result.stats?.["udp_rate_shed"], 0);
  assertEquals(result.stats?.["udp_kernel_dropped"], 0);
}

Deno.test("tproxy (iptables): TCP and UDP over IPv4 and IPv6 record the true destination", async () => {
  const pair = await TproxyPair.create("udp", PORT, "iptables");
  try {
    await exercise(pair, "iptables");
  } finally {
    await pair.close();
  }
});

Deno.test("tproxy (nftables): TCP and UDP over IPv4 and IPv6 record the true destination", async () => {
  const pair = await TproxyPair.create("udp", PORT, "nftables");
  try {
    await exercise(pair, "nftables");
  } finally {
    await pair.close();
  }
});

Deno.test("udp: size, flow-table and rate bounds shed and count, idle flows restart", async () => {
  const pair = await TproxyPair.create("udp", PORT, "iptables");
  try {
    const sensor = await TproxySensor.start(
      pair.sensor,
      tproxyConfig("max_datagram = 16\nmax_flows = 3\nmax_rate = 20\nidle_timeout = 0.3\n"),
    );
    let result: SensorResult;
    try {
      await sensor.ready(pair.sensor, PORT, true);
      const dst = `${ROUTED_V4}.20`;
      const flows = [41001, 41002, 41003, 41004, 41005, 41006].map((sport) => ({
        kind: "udp",
        dst,
        dport: 7,
        sport,
        payload: "f",
      }));
      await client(pair, [
        { kind: "udp", dst, dport: 7, sport: 41000, payload: "0123456789", repeat: 10 },
        ...flows,
        { kind: "udp", dst, dport: 7, sport: 41010, payload: "idle" },
        { kind: "sleep", s: 0.8 },
        { kind: "udp", dst, dport: 7, sport: 41010, payload: "idle" },
        { kind: "sleep", s: 1.2 },
        { kind: "udp", dst, dport: 7, sport: 41020, payload: "burst", count: 200 },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      result = await sensor.stop();
    }
    assertEquals(result.code, 0, result.stderr);
    const stats = result.stats ?? {};
    const sent = 1 + 6 + 2 + 200;
    assertEquals(stats["udp_datagrams"], sent);
    assertEquals(stats["udp_kernel_dropped"], 0);
    for (const record of result.records) assertEquals(validateRecord(record), []);

    // Size: kept 16 bytes of 100, marked truncated, real length given.
    const [cut] = find(result, { source_port: 41000 });
    assertEquals(cut?.["payload"], "0123456789012345");
    assertEquals([cut?.["truncated"], cut?.["datagram_length"]], [true, 100]);
    assertEquals(stats["udp_truncated"], 1);
    assertEquals(find(result, { source_port: 41001 })[0]?.["datagram_length"], undefined);

    // Flow table: 1 + 6 + 1 flows through a table of 3, then more; every datagram still recorded.
    for (const sport of [41001, 41002, 41003, 41004, 41005, 41006]) {
      assertEquals(find(result, { source_port: sport }).length, 1);
    }
    assert(Number(stats["udp_flows_evicted"]) >= 5, `evicted: ${stats["udp_flows_evicted"]}`);
    assert(Number(stats["udp_flows_open"]) <= 3);

    // Idle timeout: the same 5-tuple after 0.8 s of silence is a new session.
    const idle = find(result, { source_port: 41010 });
    assertEquals(idle.length, 2);
    assert(idle[0]?.["session_id"] !== idle[1]?.["session_id"]);
    assertEquals(idle.map((r) => r["seq"]), [1, 1]);

    // Rate: a burst of 200 against 20 a second; what is not recorded is counted.
    const burst = find(result, { source_port: 41020 });
    assert(burst.length >= 15 && burst.length <= 25, `burst records: ${burst.length}`);
    assertEquals(stats["udp_rate_shed"], 200 - burst.length);
    assertEquals(new Set(burst.map((r) => r["session_id"])).size, 1);
    assertEquals(
      result.records.filter((r) => r["transport"] === "udp").length,
      sent - (200 - burst.length),
    );
  } finally {
    await pair.close();
  }
});

Deno.test("tproxy: without CAP_NET_ADMIN the sensor says so in one line and exits non-zero", async () => {
  const pair = await TproxyPair.create("udp", PORT, "iptables");
  try {
    // The kernel accepts CAP_NET_RAW for IP_TRANSPARENT too, so both are dropped.
    const drop = "-net_admin,-net_raw";
    const sensor = await TproxySensor.start(pair.sensor, tproxyConfig(), [
      "setpriv",
      `--inh-caps=${drop}`,
      `--bounding-set=${drop}`,
    ]);
    const result = await sensor.exit();
    assertEquals(result.code, 1);
    const lines = result.stderr.trim().split("\n");
    assertEquals(lines.length, 1, result.stderr);
    assertMatch(
      lines[0] ?? "",
      /IPV6_TRANSPARENT for tproxy mode \(it needs CAP_NET_ADMIN\): EPERM/,
    );
    assertEquals(result.records.length, 0);
  } finally {
    await pair.close();
  }
});

Deno.test("udp: enabling it in redirect mode is a configuration error that explains why", async () => {
  const pair = await TproxyPair.create("udp", PORT, "iptables");
  try {
    const sensor = await TproxySensor.start(
      pair.sensor,
      `ip = "::"\nport = ${PORT}\n[udp]\nenabled = true\n`,
    );
    const result = await sensor.exit();
    assertEquals(result.code, 2);
    assertMatch(
      result.stderr.trim(),
      /^Cannot load config \S+: key "udp\.enabled": REDIRECT rewrites a datagram's destination port, so UDP requires mode = "tproxy"$/,
    );
  } finally {
    await pair.close();
  }
});
