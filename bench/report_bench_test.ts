import { assert, assertEquals, assertGreater } from "../testing/std.ts";
import { main } from "./main.ts";
import type { ReportBenchResult } from "./run_report.ts";

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

Deno.test("bench: --report-bytes must be a positive integer", async () => {
  assertEquals(await main(["--scenario", "report", "--report-bytes", "0"]), 2);
});
