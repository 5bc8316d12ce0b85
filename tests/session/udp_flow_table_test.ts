import { assert, assertEquals } from "../../testing/std.ts";
import { UdpFlowTable } from "../../src/session/udp_flow_table.ts";

const limits = { maxFlows: 2, idleTimeoutMs: 1000, sensorName: "t" };
const dst = { ip: "198.51.100.7", port: 53 };

Deno.test("UdpFlowTable: the same 5-tuple within the idle timeout shares a session", () => {
  const table = new UdpFlowTable(limits);
  const a = table.touch({ ip: "192.0.2.1", port: 1000 }, dst, 0).entry;
  const b = table.touch({ ip: "192.0.2.1", port: 1000 }, dst, 999).entry;
  assertEquals(a, b);
  assertEquals(b.seq, 2);
  assertEquals(a.flow.transport, "udp");
  assertEquals(a.flow.destinationPort, 53);
  const c = table.touch({ ip: "192.0.2.1", port: 1000 }, dst, 999 + 1001).entry;
  assert(c.flow.sessionId !== a.flow.sessionId);
  assertEquals(c.seq, 1);
});

Deno.test("UdpFlowTable: evicts the least recently seen flow when full", () => {
  const table = new UdpFlowTable(limits);
  const first = table.touch({ ip: "192.0.2.1", port: 1 }, dst, 0).entry;
  table.touch({ ip: "192.0.2.1", port: 2 }, dst, 1);
  table.touch({ ip: "192.0.2.1", port: 1 }, dst, 2); // port 1 is now the most recent
  const third = table.touch({ ip: "192.0.2.1", port: 3 }, dst, 3);
  assertEquals(third.evicted, 1);
  assertEquals(table.size, 2);
  assertEquals(table.touch({ ip: "192.0.2.1", port: 1 }, dst, 4).entry, first);
  const again = table.touch({ ip: "192.0.2.1", port: 2 }, dst, 5);
  assertEquals([again.entry.seq, again.evicted], [1, 1]);
});

Deno.test("UdpFlowTable: expire forgets only idle flows", () => {
  const table = new UdpFlowTable({ ...limits, maxFlows: 10 });
  table.touch({ ip: "192.0.2.1", port: 1 }, dst, 0);
  table.touch({ ip: "192.0.2.1", port: 2 }, dst, 500);
  assertEquals(table.expire(1200), 1);
  assertEquals(table.size, 1);
  assertEquals(table.expire(1500), 0);
  assertEquals(table.expire(1501), 1);
});
