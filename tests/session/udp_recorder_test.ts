import { assert, assertEquals } from "../../testing/std.ts";
import { SPIP_FIELDS } from "../_schema.ts";
import { Stats } from "../../src/output/stats.ts";
import { UdpRecorder } from "../../src/session/udp_recorder.ts";

interface Harness {
  rec: UdpRecorder;
  lines: Record<string, unknown>[];
  stats: Stats;
}

function recorder(maxRate = 1000, maxFlows = 100): Harness {
  const lines: Record<string, unknown>[] = [];
  const stats = new Stats();
  const sink = { push: (line: string) => (lines.push(JSON.parse(line)), true) };
  const options = {
    sensorName: "unit",
    maxRate,
    maxFlows,
    idleTimeoutMs: 1000,
    boundAddress: { ip: "::", port: 7700 },
  };
  return { rec: new UdpRecorder(options, sink, stats), lines, stats };
}

const src = { ip: "192.0.2.1", port: 40000 };
const dst = { ip: "198.51.100.7", port: 123 };
const bytes = new TextEncoder().encode("ntp?");

Deno.test("UdpRecorder: one record per datagram with Spip's fields first", () => {
  const { rec, lines, stats } = recorder();
  assert(rec.record(src, dst, bytes, bytes.length, 1_700_000_000_123));
  assert(rec.record(src, dst, bytes, bytes.length, 1_700_000_000_200));
  assertEquals(Object.keys(lines[0] ?? {}).slice(0, 8), [...SPIP_FIELDS]);
  assertEquals(lines[0]?.["timestamp"], 1_700_000_000);
  assertEquals(lines[0]?.["payload_hex"], "6e74703f");
  assertEquals([lines[0]?.["transport"], lines[0]?.["sensor_name"]], ["udp", "unit"]);
  assertEquals(lines.map((l) => l["seq"]), [1, 2]);
  assertEquals(lines[0]?.["session_id"], lines[1]?.["session_id"]);
  assertEquals([stats.udpDatagrams, stats.udpBytes, stats.udpFlowsOpen], [2, 8, 1]);
});

Deno.test("UdpRecorder: a cut datagram is marked truncated with its real length", () => {
  const { rec, lines, stats } = recorder();
  rec.record(src, dst, bytes.subarray(0, 2), 4000, 0);
  assertEquals([lines[0]?.["payload"], lines[0]?.["truncated"]], ["nt", true]);
  assertEquals(lines[0]?.["datagram_length"], 4000);
  assertEquals([stats.udpTruncated, stats.udpBytes], [1, 4000]);
});

Deno.test("UdpRecorder: the rate bound sheds and counts, then refills", () => {
  const { rec, lines, stats } = recorder(10);
  for (let i = 0; i < 30; i++) rec.record(src, dst, bytes, bytes.length, 5000);
  assertEquals([lines.length, stats.udpRateShed], [10, 20]);
  for (let i = 0; i < 30; i++) rec.record(src, dst, bytes, bytes.length, 5500);
  assertEquals([lines.length, stats.udpRateShed], [15, 45]);
  assertEquals(stats.udpDatagrams, 60);
});

Deno.test("UdpRecorder: a datagram without destination uses the bound address and is counted", () => {
  const { rec, lines, stats } = recorder();
  rec.record(src, null, bytes, bytes.length, 0);
  assertEquals([lines[0]?.["destination_ip"], lines[0]?.["destination_port"]], ["::", 7700]);
  assertEquals(stats.udpNoDestination, 1);
});

Deno.test("UdpRecorder: flow evictions are counted", () => {
  const { rec, stats } = recorder(1000, 2);
  for (let port = 1; port <= 5; port++) rec.record({ ...src, port }, dst, bytes, 4, 0);
  assertEquals([stats.udpFlowsEvicted, stats.udpFlowsOpen], [3, 2]);
});
