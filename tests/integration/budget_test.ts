/**
 * The per-source budget: a source past `sessions_per_minute` is read and counted but not
 * recorded, with one summary on stderr; another source is unaffected.
 */
import { assertEquals } from "../../testing/std.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { SensorProcess, testConfig } from "./_sensor_process.ts";

/** Connections from `source`, each sending a token, half-closing, and waiting for the close. */
function clientScript(source: string, prefix: string, count: number): string {
  return `
import socket, time
deadline = time.time() + 20
sent = 0
for i in range(${count}):
    if time.time() > deadline:
        break
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind(("${source}", 0))
    s.connect(("127.0.0.1", 2000 + i))
    s.sendall(b"${prefix}%03d" % i)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    sent += 1
print(sent)
`;
}

Deno.test("budget: 5 sessions per minute records 5 of a source's 20, and spares another source", async () => {
  const ns = await RedirectNamespace.create("ops-budget");
  let sensor: SensorProcess | undefined;
  try {
    sensor = await SensorProcess.start(
      ns,
      testConfig(ns.port, "[budget]\nsessions_per_minute = 5\nmax_sources = 100"),
    );
    const flood = await ns.python(clientScript("127.0.0.1", "flood-", 20));
    assertEquals(flood.stdout.trim(), "20", flood.stderr);
    const other = await ns.python(clientScript("127.0.0.2", "other-", 3));
    assertEquals(other.stdout.trim(), "3", other.stderr);
    await sensor.waitFor((records) => records.length >= 8);
    const exit = await sensor.stop();
    const records = sensor.records();
    sensor = undefined;
    assertEquals(exit.code, 0, exit.stderr);

    const bySource = (ip: string): string[] =>
      records.filter((r) => r.source_ip === ip).map((r) => r.payload).sort();
    assertEquals(bySource("127.0.0.1"), [
      "flood-000",
      "flood-001",
      "flood-002",
      "flood-003",
      "flood-004",
    ]);
    assertEquals(bySource("127.0.0.2"), ["other-000", "other-001", "other-002"]);
    assertEquals(records.length, 8);

    assertEquals(exit.stats["sessions_over_budget"], 15);
    assertEquals(exit.stats["connections_accepted"], 23);
    assertEquals(exit.stats["budget_sources_evicted"], 0);
    // Suppressed sessions were still read.
    assertEquals(exit.stats["bytes_received"], 23 * 9);

    const summaries = exit.stderr.split("\n").filter((l) => l.startsWith('{"type":"budget"'))
      .map((l) => JSON.parse(l));
    assertEquals(summaries.length, 1, exit.stderr);
    assertEquals(summaries[0].source_ip, "127.0.0.1");
    assertEquals(summaries[0].suppressed, 15);
    assertEquals(summaries[0].limit, 5);
    assertEquals(typeof summaries[0].window_start_ms, "number");
  } finally {
    await sensor?.kill();
    await ns.delete();
  }
});
