/**
 * The report scenario: generates a records file, then times `spip report` on it against
 * `jq -r .destination_port | sort | uniq -c` on the same file, in the same run, and samples the
 * report's peak RSS (`VmHWM`).
 *
 * @module
 */
import { writeRecordsFile } from "../testing/report_records.ts";
import { startTask } from "../testing/start_task.ts";

/** The records file's size in a full run. */
export const REPORT_BENCH_BYTES = 1_000_000_000;
/** The records file's size with `--quick`. */
export const REPORT_BENCH_QUICK_BYTES = 1_000_000;
const SAMPLE_MS = 50;
const ROOT = new URL("../", import.meta.url).pathname;

/** One round of the report scenario: the report, then jq, on the same file. */
export interface ReportBenchRound {
  /** Seconds `spip report` took. */
  reportSeconds: number;
  /** Its peak resident memory, MiB. */
  reportPeakRssMiB: number;
  /** Seconds the jq pipeline took. */
  jqSeconds: number;
  /** jq's time over the report's. */
  speedup: number;
}

/** What the report scenario measured. */
export interface ReportBenchResult {
  /** The file's size. */
  bytes: number;
  /** Records in it. */
  records: number;
  /** Seconds to generate it and write it to disk. */
  generateSeconds: number;
  /**
   * Seconds `spip report` took (wall clock, process start included), in the round of the median
   * speedup.
   */
  reportSeconds: number;
  /** Records per second for the report, in that round. */
  reportRecordsPerSecond: number;
  /** The report's peak resident memory, MiB (VmHWM, sampled every 50 ms): the largest of all rounds. */
  reportPeakRssMiB: number;
  /** Seconds the jq pipeline took, in the round of the median speedup. */
  jqSeconds: number;
  /** Records per second for jq, in that round. */
  jqRecordsPerSecond: number;
  /** jq's time over the report's: the median of the rounds' (the lower middle one for an even count). */
  speedup: number;
  /** The records count the report printed equals the generator's, in every round. */
  recordsMatch: boolean;
  /** Every round, in the order they ran (one unless `--rounds` asks for more). */
  rounds?: ReportBenchRound[];
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
 * @param options The file size, a work directory, a log, and how many rounds (each the report,
 *   then jq, on the same file; default 1).
 * @returns The figures: the round of the median speedup, and the largest peak RSS.
 */
export async function runReportBench(
  options: { bytes: number; workDir: string; log: (line: string) => void; rounds?: number },
): Promise<ReportBenchResult> {
  const path = `${options.workDir}/report-records.jsonl`;
  const t0 = performance.now();
  const written = await writeRecordsFile(path, { bytes: options.bytes, stepSeconds: 0.5 });
  // Written back to disk before anything is timed: the kernel would otherwise write the file's
  // dirty pages back some 30 s later (dirty_expire_centisecs), in the middle of the timed rounds.
  const flushed = await Deno.open(path, { read: true });
  try {
    await flushed.syncData();
  } finally {
    flushed.close();
  }
  const generateSeconds = (performance.now() - t0) / 1000;
  options.log(
    `  generated ${written.bytes} bytes, ${written.records} records (written to disk) in ${
      generateSeconds.toFixed(1)
    } s`,
  );
  try {
    const rounds: ReportBenchRound[] = [];
    let recordsMatch = true;
    const count = options.rounds ?? 1;
    for (let round = 1; round <= count; round++) {
      const measured = await runRound(path);
      recordsMatch &&= measured.shown === written.records;
      rounds.push(measured.round);
      if (count > 1) {
        options.log(
          `  round ${round} of ${count}: spip report ${
            measured.round.reportSeconds.toFixed(2)
          } s, ` +
            `jq ${measured.round.jqSeconds.toFixed(2)} s: ${measured.round.speedup.toFixed(2)}x`,
        );
      }
    }
    const median = [...rounds].sort((a, b) =>
      a.speedup - b.speedup
    )[(rounds.length - 1) >> 1] as ReportBenchRound;
    return {
      bytes: written.bytes,
      records: written.records,
      generateSeconds,
      reportSeconds: median.reportSeconds,
      reportRecordsPerSecond: written.records / median.reportSeconds,
      reportPeakRssMiB: Math.max(...rounds.map((r) => r.reportPeakRssMiB)),
      jqSeconds: median.jqSeconds,
      jqRecordsPerSecond: written.records / median.jqSeconds,
      speedup: median.speedup,
      recordsMatch,
      rounds,
    };
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** The start task's `--v8-flags=...` words, which the compile task bakes into the binary too. */
function v8Flags(): string[] {
  return startTask().filter((word) => word.startsWith("--v8-flags"));
}

/** One round: the report, then jq, on the same file; and the records count the report printed. */
async function runRound(path: string): Promise<{ round: ReportBenchRound; shown: number }> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    // With the V8 flags the compiled binary bakes in (those of the start task), as `spip report`.
    args: ["run", ...v8Flags(), "--allow-read", `${ROOT}main.ts`, "report", path],
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
    round: {
      reportSeconds,
      reportPeakRssMiB: peak / 1024,
      jqSeconds,
      speedup: jqSeconds / reportSeconds,
    },
    shown: Number(shown),
  };
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
    `report is ${r.speedup.toFixed(2)}x jq` +
    (r.rounds !== undefined && r.rounds.length > 1
      ? ` (the median of ${r.rounds.length} rounds: ${
        r.rounds.map((round) => `${round.speedup.toFixed(2)}x`).join(", ")
      }; peak RSS the largest: ${
        r.rounds.map((round) => `${round.reportPeakRssMiB.toFixed(0)}`).join(", ")
      } MiB)`
      : "");
}
