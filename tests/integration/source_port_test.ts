/**
 * A scanner that dials several ports from one source port (masscan given a single `--src-port`,
 * for one): the source port each mode records. The real sensor in one namespace, a python client
 * in another, over a veth pair; in redirect mode the rules are a PREROUTING REDIRECT on the veth,
 * as on a VPS.
 */
import { assertEquals, assertNotEquals } from "../../testing/std.ts";
import { must } from "../../testing/command.ts";
import { inNamespace } from "../../testing/namespace.ts";
import { type SensorResult, TproxySensor } from "./_tproxy_sensor.ts";
import { ROUTED_V4, TproxyPair } from "../../testing/tproxy_pair.ts";
import { SENSOR_V4, VethPair } from "../../testing/veth_pair.ts";

const PORT = 7710;
/** The client's fixed source port. */
const SOURCE_PORT = 40_123;
/** The ports it dials, one connection each, in this order. */
const DIALLED = [81, 82, 83, 84];

/** Connects from one source port to each port in turn, sends which port it dialled, closes. */
const CLIENT = `
import socket, sys, time
for port in map(int, sys.argv[3].split(",")):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", int(sys.argv[2])))
    s.connect((sys.argv[1], port))
    s.sendall(f"to {port}".encode())
    time.sleep(0.05)
    s.close()
`;

async function dial(pair: VethPair, host: string): Promise<void> {
  const result = await pair.inClient([
    "python3",
    "-c",
    CLIENT,
    host,
    String(SOURCE_PORT),
    DIALLED.join(","),
  ]);
  assertEquals(result.code, 0, result.stderr);
}

/** Runs the sensor on `toml` while the client dials `host`; its records, one per connection. */
async function capture(pair: VethPair, toml: string, host: string): Promise<SensorResult> {
  const sensor = await TproxySensor.start(pair.sensor, toml);
  let result: SensorResult;
  try {
    await sensor.ready(pair.sensor, PORT, false);
    await dial(pair, host);
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    result = await sensor.stop();
  }
  assertEquals(result.code, 0, result.stderr);
  assertEquals(
    result.records.map((r) => [r["destination_port"], r["payload"]]),
    DIALLED.map((port) => [port, `to ${port}`]),
    "every connection recorded once, with the port it dialled",
  );
  return result;
}

Deno.test("source port: tproxy records a scanner's fixed source port on every session", async () => {
  const pair = await TproxyPair.create("srcp", PORT);
  try {
    const result = await capture(
      pair,
      `ip = "::"\nport = ${PORT}\nmode = "tproxy"\n`,
      `${ROUTED_V4}.7`,
    );
    assertEquals(result.records.map((r) => r["source_port"]), DIALLED.map(() => SOURCE_PORT));
  } finally {
    await pair.close();
  }
});

Deno.test("source port: redirect keeps it on the first session only (NAT rewrites the rest)", async () => {
  const pair = await VethPair.create("srcr");
  try {
    await must(inNamespace(pair.sensor, [
      ...["iptables", "-t", "nat", "-A", "PREROUTING", "-i", pair.sensorIface, "-p", "tcp"],
      ...["!", "--dport", String(PORT), "-j", "REDIRECT", "--to-ports", String(PORT)],
    ]));
    const result = await capture(pair, `ip = "::"\nport = ${PORT}\n`, SENSOR_V4);
    const [first, ...rest] = result.records.map((r) => r["source_port"]);
    assertEquals(first, SOURCE_PORT);
    // Each later connection's reply tuple (sensor port, client port) is the first one's, which
    // conntrack still holds (TIME_WAIT), so NAT picks another source port for it.
    for (const port of rest) assertNotEquals(port, SOURCE_PORT);
    assertEquals(new Set(rest).size, rest.length, "a different port for each");
  } finally {
    await pair.close();
  }
});
