import { assert, assertEquals } from "../../testing/std.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

interface QuickResult {
  scenario: number;
  target: string;
  planned: number;
  completed: number;
  check: { lost: number; wrongPort: number; wrongBytes: number; duplicates: number };
  detail: Record<string, number> | null;
  unaccounted: number | null;
}

Deno.test("bench --quick runs every scenario (TCP, TLS, UDP) against the sensor and loses no record", async () => {
  const json = await Deno.makeTempFile({ prefix: "spip-bench-quick-", suffix: ".json" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", `${ROOT}bench/main.ts`, "--quick", "--json", json],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, stderr);
    const report = JSON.parse(await Deno.readTextFile(json)) as { results: QuickResult[] };
    const sensor = report.results.filter((r) => r.target === "sensor");
    assertEquals(sensor.map((r) => r.scenario), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const r of sensor) {
      assert(r.completed > 0, `scenario ${r.scenario}: no connection completed`);
      // Scenario 2 resets right after sending: the accept4 engine loses none of those either.
      if (r.scenario === 2) assertEquals(r.check.lost, 0, "scenario 2 lost records");
      if (r.scenario !== 2 && r.scenario !== 5) {
        assertEquals(r.check.lost, 0, `scenario ${r.scenario} lost records`);
        assertEquals(r.check.wrongPort, 0, `scenario ${r.scenario} wrong ports`);
        assertEquals(r.check.wrongBytes, 0, `scenario ${r.scenario} wrong bytes`);
      }
    }
    assertEquals(sensor.find((r) => r.scenario === 5)?.unaccounted, 0);
    // Scenario 11 measures a second load on the same process; the first is checked too.
    const warmed = sensor.find((r) => r.scenario === 11);
    assertEquals(warmed?.detail?.["warmupCompleted"], warmed?.planned);
    assertEquals(warmed?.detail?.["warmupLost"], 0, "scenario 11's first load lost records");
    assertEquals(warmed?.detail?.["warmupWrong"], 0, "scenario 11's first load: wrong records");
    const tls = sensor.find((r) => r.scenario === 6);
    assertEquals(tls?.completed, tls?.planned, "every TLS session completes");
    assertEquals(tls?.detail?.["badHello"], 0, "every TLS session has a hello with ja4 and SNI");
    assertEquals(tls?.detail?.["hellos"], tls?.planned);
    const udp = sensor.find((r) => r.scenario === 7);
    assertEquals(udp?.check.duplicates, 0);
    assertEquals(
      udp?.detail?.["udp_datagrams"],
      udp?.completed,
      "the sensor counted each datagram",
    );
    assertEquals(udp?.detail?.["kernelInDatagrams"], udp?.completed);
  } finally {
    await Deno.remove(json).catch(() => {});
  }
});
