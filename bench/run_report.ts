/**
 * The report scenario: generates a records file, then times `spip report` on it against
 * `jq -r .destination_port | sort | uniq -c` on the same file, in the same run, and samples the
 * report's peak RSS (`VmHWM`).
 *
 * @module
 */
import { writeRecordsFile } from "../testing/report_records.ts";

/** The records file's size in a full run. */
export const REPORT_BENCH_BYTES = 1_000_000_000;
/** The records file's size with `--quick`. */
export const REPORT_BENCH_QUICK_BYTES = 1_000_000;
const SAMPLE_MS = 50;
const ROOT = new URL("../", import.meta.url).pathname;

/** What the report scenario measured. */
export interface ReportBenchResult {
  /** The file's size. */
  bytes: number;
  /** Records in it. */
  records: number;
  /** Seconds to generate it. */
  generateSeconds: number;
  /** Seconds `spip report` took (wall clock, process start included). */
  reportSeconds: number;
  /** Records per second for the report. */
  reportRecordsPerSecond: number;
  /** The report's peak resident memory, MiB (VmHWM, sampled every 50 ms). */
  reportPeakRssMiB: number;
  /** Seconds the jq pipeline took. */
  jqSeconds: number;
  /** Records per second for jq. */
  jqRecordsPerSecond: number;
  /** jq's time over the report's. */
  speedup: number;
  /** The records count the report printed equals the generator's. */
  recordsMatch: boolean;
}

function peakKiB(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

/**
 * Runs the report scenario.
 *
 * @param options The file size, a work directory, and a log.
 * @returns The figures.
 */
export async function runReportBench(
  options: { bytes: number; workDir: string; log: (line: string) => void },
): Promise<ReportBenchResult> {
  const path = `${options.workDir}/report-records.jsonl`;
  const t0 = performance.now();
  const written = await writeRecordsFile(path, { bytes: options.bytes, stepSeconds: 0.5 });
  const generateSeconds = (performance.now() - t0) / 1000;
  options.log(
    `  generated ${written.bytes} bytes, ${written.records} records in ${
      generateSeconds.toFixed(1)
    } s`,
  );
  try {
    const started = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", `${ROOT}main.ts`, "report", path],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakKiB(child.pid));
    }, SAMPLE_MS);
    const output = await child.output();
    clearInterval(sampler);
    const reportSeconds = (performance.now() - started) / 1000;
    const text = new TextDecoder().decode(output.stdout);
    if (output.code !== 0) {
      throw new Error(`Cannot run spip report: ${new TextDecoder().decode(output.stderr)}`);
    }
    const shown = /Records ([\d,]+),/.exec(text)?.[1]?.replaceAll(",", "");
    const jqStarted = performance.now();
    const jq = await new Deno.Command("sh", {
      args: ["-c", 'jq -r .destination_port "$1" | sort | uniq -c', "sh", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const jqSeconds = (performance.now() - jqStarted) / 1000;
    if (jq.code !== 0) {
      throw new Error(`Cannot run jq: ${new TextDecoder().decode(jq.stderr)}`);
    }
    return {
      bytes: written.bytes,
      records: written.records,
      generateSeconds,
      reportSeconds,
      reportRecordsPerSecond: written.records / reportSeconds,
      reportPeakRssMiB: peak / 1024,
      jqSeconds,
      jqRecordsPerSecond: written.records / jqSeconds,
      speedup: jqSeconds / reportSeconds,
      recordsMatch: Number(shown) === written.records,
    };
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/**
 * One line for the bench's output.
 *
 * @param r The figures.
 * @returns The line.
 */
export function formatReportBench(r: ReportBenchResult): string {
  const rate = (n: number): string => `${Math.round(n).toLocaleString("en-US")} records/s`;
  return `report: ${(r.bytes / 1e6).toFixed(0)} MB, ${
    r.records.toLocaleString("en-US")
  } records; ` +
    `spip report ${r.reportSeconds.toFixed(2)} s (${rate(r.reportRecordsPerSecond)}, peak RSS ${
      r.reportPeakRssMiB.toFixed(0)
    } MiB = ${(r.reportPeakRssMiB * 1.048576).toFixed(0)} MB); ` +
    `jq|sort|uniq -c ${r.jqSeconds.toFixed(2)} s (${rate(r.jqRecordsPerSecond)}); ` +
    `report is ${r.speedup.toFixed(1)}x jq`;
}
