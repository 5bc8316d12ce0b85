import { assert, assertEquals, assertStringIncludes } from "../testing/std.ts";
import {
  CHECK_COLUMNS,
  columnLegend,
  extraLines,
  failures,
  formatPairs,
  formatReport,
  formatRounds,
  medianRuns,
  ratios,
  SPEED_COLUMNS,
} from "./report.ts";
import type { ScenarioResult } from "./run_scenario.ts";
import type { TargetName } from "./targets.ts";
import { emptyCheckResult } from "./record_check.ts";

function result(
  scenario: number,
  target: TargetName,
  cpuUsPerConn: number,
  lost = 0,
): ScenarioResult {
  return {
    scenario,
    name: scenario === 1 ? "fin" : "idle",
    target,
    planned: 100,
    completed: 100,
    clientErrors: {},
    connPerSec: 1000 / cpuUsPerConn,
    seconds: 1,
    cpuUsPerConn,
    threadCpuUsPerConn: null,
    clientCpuUsPerConn: 50,
    harnessCpuUsPerConn: 2,
    clientBound: false,
    check: { ...emptyCheckResult(), records: 100 - lost, lost },
    detail: null,
    stats: null,
    shed: null,
    written: 100 - lost,
    unaccounted: null,
    acceptErrors: 0,
    rssRestMiB: 60,
    rssPeakMiB: 100,
    rssPerIdleKiB: null,
    pidIsTarget: true,
    listenOverflows: 0,
    listenDrops: 0,
    exitCode: 0,
  };
}

Deno.test("medianRuns() keeps each scenario and target's median run, in first-run order", () => {
  const runs = [
    result(1, "sensor", 76),
    result(1, "baseline", 44),
    result(3, "sensor", 80),
    result(1, "sensor", 61.5),
    result(1, "baseline", 50.5),
    result(3, "sensor", 82),
    result(1, "sensor", 62.5),
    result(1, "baseline", 44.5),
    result(3, "sensor", 90),
  ];
  const shown = medianRuns(runs);
  assertEquals(shown.map((r) => [r.scenario, r.target, r.cpuUsPerConn]), [
    [1, "sensor", 62.5],
    [1, "baseline", 44.5],
    [3, "sensor", 82],
  ]);
  // Without the C loop there is nothing to divide by.
  assertEquals(ratios(shown), []);
});

Deno.test("medianRuns() takes the lower middle run of an even count, and a single run as it is", () => {
  const shown = medianRuns([result(1, "sensor", 70), result(1, "sensor", 60)]);
  assertEquals(shown.map((r) => r.cpuUsPerConn), [60]);
  const one = result(1, "sensor", 65);
  assertEquals(medianRuns([one]), [one]);
  assertEquals(medianRuns([]), []);
});

Deno.test("formatRounds() lists every round's CPU in run order, with the median", () => {
  const lines = formatRounds([
    result(1, "sensor", 76),
    result(1, "baseline", 44),
    result(1, "sensor", 61.5),
    result(1, "baseline", 50.5),
    result(1, "sensor", 62.5),
    result(1, "baseline", 44.5),
  ]);
  assertEquals(lines, [
    "1 fin sensor: cpu us/conn 76.0, 61.5, 62.5 (median 62.5)",
    "1 fin baseline: cpu us/conn 44.0, 50.5, 44.5 (median 44.5)",
  ]);
});

Deno.test("formatRounds() says in how many runs the accept queue overflowed, with each run's count", () => {
  const lines = formatRounds([
    result(1, "sensor", 40),
    { ...result(1, "sensor", 50), listenOverflows: 200 },
    result(1, "sensor", 45),
    result(1, "c-loop", 20),
  ]);
  assertEquals(lines, [
    "1 fin sensor: cpu us/conn 40.0, 50.0, 45.0 (median 45.0); " +
    "accept-queue overflows in 1 of 3 runs (0, 200, 0)",
    "1 fin c-loop: cpu us/conn 20.0 (median 20.0)",
  ]);
});

Deno.test("formatRounds() says in how many runs the sensor accepted ahead, with each run's count", () => {
  const ahead = (cpu: number, count: number | null): ScenarioResult => ({
    ...result(1, "sensor", cpu),
    stats: count === null ? null : { connections_accepted_ahead: count },
  });
  assertEquals(formatRounds([ahead(40, 0), ahead(50, 3072), ahead(45, null)]), [
    "1 fin sensor: cpu us/conn 40.0, 50.0, 45.0 (median 45.0); " +
    "connections accepted ahead in 1 of 3 runs (0, 3072, -)",
  ]);
  assertEquals(formatRounds([ahead(40, 0)]), ["1 fin sensor: cpu us/conn 40.0 (median 40.0)"]);
});

Deno.test("formatPairs() gives sensor-b's CPU over sensor's per round, raw and per each run's client CPU", () => {
  const run = (target: TargetName, cpu: number, client: number): ScenarioResult => ({
    ...result(1, target, cpu),
    clientCpuUsPerConn: client,
  });
  const lines = formatPairs([
    run("sensor", 40, 20),
    run("sensor-b", 44, 20),
    result(1, "c-loop", 20),
    run("sensor", 50, 25),
    run("sensor-b", 40, 25),
    run("sensor", 30, 30),
    run("sensor-b", 36, 24),
  ]);
  assertEquals(lines, [
    "1 fin sensor-b / sensor: 1.10, 0.80, 1.20 (median 1.10)",
    "1 fin the same, each run per its client's CPU: 1.10, 0.80, 1.50 (median 1.10)",
  ]);
  assertEquals(formatPairs([result(1, "sensor", 40), result(1, "c-loop", 20)]), []);
});

Deno.test("failures() reports listener drops the sensor did not count, and accepts those it did", () => {
  const run = (namespace: number, counted: number | null): ScenarioResult => ({
    ...result(1, "sensor", 40),
    listenDrops: namespace,
    stats: { listen_drops: counted },
  });
  assertEquals(failures([run(200, 200), run(0, 0), run(5, null)], new Set([1])), []);
  assertEquals(failures([run(200, 150)], new Set([1])), [
    "scenario 1 (fin): the kernel dropped 200 connection attempts, the sensor counted 150 " +
    "(listen_drops)",
  ]);
});

Deno.test("a lost record in any round is a failure, even when the median run lost none", () => {
  const runs = [result(1, "sensor", 60), result(1, "sensor", 61, 3), result(1, "sensor", 62)];
  assertEquals(medianRuns(runs)[0]?.check.lost, 3);
  const clean = [result(1, "sensor", 60), result(1, "sensor", 70, 3), result(1, "sensor", 61)];
  assertEquals(medianRuns(clean)[0]?.check.lost, 0);
  assertEquals(failures(clean, new Set([1])).length > 0, true);
});

Deno.test("formatReport() fits 120 columns with large figures and explains every column", () => {
  const wide = (target: "sensor-deno" | "c-loop"): ScenarioResult => ({
    ...result(9, target, 1234.5),
    name: "fin-notls",
    planned: 100000,
    completed: 100000,
    connPerSec: 123456,
    clientCpuUsPerConn: 12345,
    clientBound: true,
    harnessCpuUsPerConn: 1234,
    check: {
      ...emptyCheckResult(),
      records: 1234567,
      lost: 100000,
      wrongPort: 100000,
      wrongBytes: 100000,
      wrongFlags: 100000,
      untokened: 100000,
    },
    shed: 1234567,
    unaccounted: 1234567,
    acceptErrors: 1234567,
    rssRestMiB: 1234.5,
    rssPeakMiB: 12345.6,
    rssPerIdleKiB: 123.45,
    listenOverflows: 123456,
    listenDrops: 12345,
  });
  const report = formatReport([wide("sensor-deno"), wide("c-loop")]);
  for (const line of report.split("\n")) {
    assert(line.length <= 120, `${line.length} columns: ${line}`);
  }
  const legend = columnLegend().join("\n");
  for (const [header] of [...SPEED_COLUMNS, ...CHECK_COLUMNS]) {
    assertStringIncludes(report, header);
    assertStringIncludes(legend, `  ${header} `);
  }
  assertStringIncludes(report, "Columns:");
});

Deno.test("ratios() divides every other target's figures by the C loop's of the same scenario", () => {
  const withOverflow = { ...result(1, "sensor-deno", 120), listenOverflows: 200 };
  const shown = medianRuns([
    result(1, "sensor", 80),
    withOverflow,
    result(1, "c-loop", 40),
    result(3, "sensor", 90),
  ]);
  const r = ratios(shown);
  assertEquals(r.map((x) => [x.scenario, x.target, x.cpuUsPerConn]), [
    [1, "sensor", 2],
    [1, "sensor-deno", 3],
  ]);
  assertEquals(r[1]?.overflows, [200, 0]);
  assertEquals(r[0]?.connPerSec, (1000 / 80) / (1000 / 40));
});

Deno.test("a warmed scenario shows both loads against the C loop's, and fails on a loss in the first", () => {
  const warmed = (
    target: "sensor" | "c-loop",
    cold: number,
    warm: number,
    warmupLost = 0,
  ): ScenarioResult => ({
    ...result(11, target, warm),
    name: "fin-warm",
    detail: { warmupCompleted: 100, warmupCpuUsPerConn: cold, warmupLost, warmupWrong: 0 },
  });
  const lines = extraLines([warmed("sensor", 36, 24), warmed("c-loop", 18, 16)]);
  assertEquals(lines.filter((line) => line.includes("fin-warm")), [
    "11 fin-warm sensor: first load (cold process) 36.0 us/conn (2.00x the C loop's first), " +
    "second load (measured) 24.0 (1.50x the C loop's second); 0 lost in the first",
  ]);
  assertEquals(failures([warmed("sensor", 36, 24)], new Set([11])), []);
  assertEquals(failures([warmed("sensor", 36, 24, 2)], new Set([11])), [
    "scenario 11 (fin-warm): 2 records of the warm-up load lost",
  ]);
});

Deno.test("extraLines() splits scenario 1's CPU by thread when it was read", () => {
  const split = {
    ...result(1, "sensor", 30),
    threadCpuUsPerConn: { mainUser: 12, mainSystem: 15.25, others: 2.75 },
  };
  assertEquals(extraLines([split, result(1, "c-loop", 20)]), [
    "",
    "1 fin sensor, cpu us/conn by thread: main thread user 12.0 + system 15.3, other threads 2.8",
  ]);
});

Deno.test("formatRounds() lists a warmed scenario's first loads too, with their own median", () => {
  const warmed = (cold: number, warm: number): ScenarioResult => ({
    ...result(11, "sensor", warm),
    name: "fin-warm",
    detail: { warmupCompleted: 100, warmupCpuUsPerConn: cold, warmupLost: 0, warmupWrong: 0 },
  });
  assertEquals(formatRounds([warmed(30.5, 26), warmed(40, 33.5), warmed(39, 24.5)]), [
    "11 fin-warm sensor: cpu us/conn 26.0, 33.5, 24.5 (median 26.0); " +
    "first loads 30.5, 40.0, 39.0 (median 39.0)",
  ]);
});
