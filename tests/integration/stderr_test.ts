/**
 * The sensor's real stderr, from start to stop: every line is one JSON object that
 * `schema/stderr.schema.json` accepts, and each of the five types appears.
 */
import { assert, assertEquals } from "../../testing/std.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { SensorProcess, testConfig } from "./_sensor_process.ts";
import { checkStderrLine } from "../_stderr_schema.ts";

Deno.test("stderr while running: start, stats, budget, diagnostic and stop lines, all valid", async () => {
  const ns = await RedirectNamespace.create("stderr");
  const dir = await Deno.makeTempDir({ prefix: "spip-stderr-" });
  let sensor: SensorProcess | undefined;
  try {
    const output = `${dir}/spip.jsonl`;
    sensor = await SensorProcess.start(
      ns,
      testConfig(
        ns.port,
        `output = "${output}"\nstats_interval = 0.3\n[budget]\nsessions_per_minute = 1\n`,
      ),
    );
    // Three sessions from one source: two are over its budget of one.
    const client = await ns.python(`
import socket
for port in (81, 82, 83):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"x")
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
print("ok")`);
    assertEquals(client.stdout.trim(), "ok", client.stderr);
    sensor.child.kill("SIGHUP");
    await new Promise((resolve) => setTimeout(resolve, 700));
    const exit = await sensor.stop();
    sensor = undefined;
    assertEquals(exit.code, 0, exit.stderr);
    const lines = exit.stderr.split("\n").filter((line) => line !== "");
    const events = lines.map(checkStderrLine);
    const types = events.map((event) => event["type"]);
    assertEquals(types[0], "start");
    assertEquals(types.at(-1), "stop");
    assertEquals(types.at(-2), "stats");
    for (const type of ["stats", "budget", "diagnostic"]) assert(types.includes(type), type);
    assertEquals(types.filter((type) => type === "start").length, 1);
    for (const event of events) assertEquals(event["sensor_name"], "test-sensor");
    const start = events[0] ?? {};
    assertEquals(start["port"], ns.port);
    assertEquals(start["output"], output);
    assertEquals(start["accept_engine"], "accept4");
    const budget = events.find((event) => event["type"] === "budget") ?? {};
    assertEquals(budget["suppressed"], 2);
  } finally {
    await sensor?.kill();
    await ns.delete();
    await Deno.remove(dir, { recursive: true });
  }
});
