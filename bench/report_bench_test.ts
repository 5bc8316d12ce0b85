import { assert, assertEquals, assertGreater, assertStringIncludes } from "../testing/std.ts";
import { main } from "./main.ts";
import { formatReportBench, type ReportBenchResult } from "./run_report.ts";

Deno.test("bench --scenario report: a tiny records file, timed against jq, with the report's RSS", async () => {
  const json = await Deno.makeTempFile({ prefix: "spip-bench-report-", suffix: ".json" });
  try {
    assertEquals(
      await main(["--scenario", "report", "--report-bytes", "200000", "--json", json]),
      0,
    );
    const { report } = JSON.parse(await Deno.readTextFile(json)) as { report: ReportBenchResult };
    assert(report.recordsMatch, "spip report counted every generated record");
    assertGreater(report.records, 100);
    assertGreater(report.bytes, 200_000 - 1);
    assertGreater(report.reportRecordsPerSecond, 0);
    assertGreater(report.jqRecordsPerSecond, 0);
    assertGreater(report.reportPeakRssMiB, 10);
  } finally {
    await Deno.remove(json);
  }
});

Deno.test("bench --scenario report --rounds 3: the median round's ratio, the largest peak RSS, every round", async () => {
  const json = await Deno.makeTempFile({ prefix: "spip-bench-report-", suffix: ".json" });
  try {
    assertEquals(
      await main([
        "--scenario",
        "report",
        "--report-bytes",
        "100000",
        "--rounds",
        "3",
        "--json",
        json,
      ]),
      0,
    );
    const { report } = JSON.parse(await Deno.readTextFile(json)) as { report: ReportBenchResult };
    assert(report.recordsMatch);
    const rounds = report.rounds ?? [];
    assertEquals(rounds.length, 3);
    const speedups = rounds.map((r) => r.speedup).sort((a, b) => a - b);
    assertEquals(report.speedup, speedups[1]);
    assertEquals(report.reportPeakRssMiB, Math.max(...rounds.map((r) => r.reportPeakRssMiB)));
    const median = rounds.find((r) => r.speedup === report.speedup);
    assertEquals(report.reportSeconds, median?.reportSeconds);
    assertEquals(report.jqSeconds, median?.jqSeconds);
    assertStringIncludes(formatReportBench(report), "the median of 3 rounds");
  } finally {
    await Deno.remove(json);
  }
});

Deno.test("bench: --report-bytes must be a positive integer", async () => {
  assertEquals(await main(["--scenario", "report", "--report-bytes", "0"]), 2);
});

Deno.test("formatReportBench() gives the peak RSS in MiB and in decimal MB, as the goal is stated", () => {
  const line = formatReportBench({
    bytes: 1_000_001_194,
    records: 1_591_886,
    generateSeconds: 14,
    reportSeconds: 4.2,
    reportRecordsPerSecond: 1_591_886 / 4.2,
    reportPeakRssMiB: 190,
    jqSeconds: 18.9,
    jqRecordsPerSecond: 1_591_886 / 18.9,
    speedup: 4.5,
    recordsMatch: true,
  });
  assertStringIncludes(line, "peak RSS 190 MiB = 199 MB");
  assertStringIncludes(line, "report is 4.50x jq");
});
