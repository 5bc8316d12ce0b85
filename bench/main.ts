/**
 * The bench CLI (`deno task bench`): runs the scenarios against the sensor's two accept engines
 * (`sensor` = accept4, `sensor-deno` = Deno's accept) and two baselines (`baseline`, the least a
 * Deno sensor does; `c-loop`, a plain C epoll loop), prints a table with each target's ratios to
 * the C loop of the same run, and exits non-zero when the sensor (accept4) lost records or logged
 * wrong ports. Plain TCP scenarios are driven by the C load client (`bench/c/load_client.c`);
 * the C programs are compiled with gcc into a temporary directory first.
 *
 * The flags are listed in {@linkcode HELP} (`deno task bench --help`); an unknown flag or a
 * stray argument is an error (exit 2), so a typo never starts a full-size run. The report
 * scenario (`--scenario report`) times `spip report` against jq on a generated records file; it
 * needs no root and runs once, after the sensor scenarios.
 *
 * Needs root (network namespaces, iptables) and gcc.
 *
 * @module
 */
import { parseArgs } from "../src/std.ts";
import {
  columnLegend,
  failures,
  formatPairs,
  formatReport,
  formatRounds,
  medianRuns,
  ratios,
} from "./report.ts";
import { runScenario, type ScenarioResult } from "./run_scenario.ts";
import { runUdpScenario } from "./run_udp.ts";
import {
  formatReportBench,
  REPORT_BENCH_BYTES,
  REPORT_BENCH_QUICK_BYTES,
  type ReportBenchResult,
  runReportBench,
} from "./run_report.ts";
import { scenarios } from "./scenarios.ts";
import {
  BASELINE,
  C_LOOP,
  compareTarget,
  SENSOR,
  SENSOR_DENO,
  sensorPresent,
  type Target,
} from "./targets.ts";
import { compileCPrograms, type CPrograms } from "./c_programs.ts";

const ALL_TARGETS: readonly Target[] = [SENSOR, SENSOR_DENO, BASELINE, C_LOOP];

const encoder = new TextEncoder();

/** What one unit of load is, by scenario kind ("conn/s" in the table means this per second). */
const UNITS = { tcp: "conn", tls: "session", udp: "datagram" } as const;

/** The `--help` text: every flag, then what each column of the report means. */
export const HELP = `Usage: deno task bench [flags]   (needs root: namespaces, iptables; and gcc)

Runs the load scenarios against the sensor's two accept engines (sensor = accept4, sensor-deno =
Deno's accept) and two baselines (baseline = the least a Deno sensor does, c-loop = a plain C
epoll loop), prints the tables below and exits 0, or 1 when the sensor lost records or logged
wrong ports, or 2 for a bad flag.

Flags:
  --quick               small counts, for CI: correctness only, the sensor alone
  --scenario N|NAME     run only this scenario, by number or name (tls, udp, report, ...);
                        a comma-separated list or the flag repeated runs several
  --targets LIST        only these targets: some of sensor,sensor-deno,baseline,c-loop
  --rounds N            run everything N times (1 to 20) and show each scenario's median run;
                        every run must pass the checks (report: the report and jq N times
                        on one file, the median ratio and the largest peak RSS)
  --compare DIR         also run the sensor of the checkout in DIR (target sensor-b, started by
                        DIR's own start task) right after this one's in every round, and print
                        each pair's CPU ratio: an A/B
  --json FILE           also write the results as JSON
  --udp-rate N          datagrams per second the UDP client sends at most
                        (default 10,000; 5,000 with --quick)
  --no-baseline         measure the sensor's engines only
  --baseline-only       measure the baselines only
  --deno-client         drive plain TCP with the Deno load client instead of the C one
  --profile DIR         the sensor writes V8 CPU profiles (--cpu-prof) into DIR
  --report-bytes N      size of the report scenario's records file (1 GB; 1 MB with --quick)
  -h, --help            print this help

Columns of the report:
${columnLegend().join("\n")}`;

/** Flags that take a value. */
export const VALUE_FLAGS = [
  "scenario",
  "targets",
  "json",
  "profile",
  "udp-rate",
  "rounds",
  "report-bytes",
  "compare",
] as const;
/** Flags that are on or off. */
export const SWITCH_FLAGS = [
  "quick",
  "no-baseline",
  "baseline-only",
  "deno-client",
  "help",
] as const;

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function log(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}

function print(text: string): void {
  Deno.stdout.writeSync(encoder.encode(`${text}\n`));
}

/**
 * Runs the bench.
 *
 * @param args The command-line arguments.
 * @returns The exit code: 0, 1 for correctness failures, 2 for bad usage.
 */
export async function main(args: string[]): Promise<number> {
  const usage: string[] = [];
  const flags = parseArgs(args, {
    string: [...VALUE_FLAGS],
    boolean: [...SWITCH_FLAGS],
    collect: ["scenario"],
    alias: { h: "help" },
    unknown: (arg) => {
      usage.push(arg.startsWith("-") ? `unknown flag ${arg}` : `unexpected argument ${arg}`);
      return false;
    },
  });
  for (const flag of VALUE_FLAGS) {
    const values = ([] as unknown[]).concat(flags[flag] ?? []);
    if (values.some((v) => v === "")) usage.push(`--${flag} needs a value`);
  }
  if (usage.length > 0) {
    log(`Cannot parse arguments: ${usage[0]}; see --help`);
    return 2;
  }
  if (flags["help"] === true) {
    print(HELP);
    return 0;
  }
  const quick = flags["quick"] === true;
  let chosen = scenarios(quick);
  if (flags["udp-rate"] !== undefined) {
    const rate = Number(flags["udp-rate"]);
    if (!Number.isInteger(rate) || rate < 1) {
      log(`Cannot use --udp-rate=${flags["udp-rate"]}: give a positive integer`);
      return 2;
    }
    chosen = chosen.map((s) => s.kind === "udp" ? { ...s, rate } : s);
  }
  const rounds = Number(flags["rounds"] ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    log(`Cannot use --rounds=${flags["rounds"]}: give an integer from 1 to 20`);
    return 2;
  }
  const reportBytes = Number(
    flags["report-bytes"] ?? (quick ? REPORT_BENCH_QUICK_BYTES : REPORT_BENCH_BYTES),
  );
  if (!Number.isInteger(reportBytes) || reportBytes < 1) {
    log(`Cannot use --report-bytes=${flags["report-bytes"]}: give a positive integer`);
    return 2;
  }
  const wanted = ([] as unknown[]).concat(flags["scenario"] ?? []).flatMap((v) =>
    String(v).split(",")
  );
  const reportWanted = wanted.length === 0 || wanted.includes("report");
  if (wanted.length === 1 && wanted[0] === "report") chosen = [];
  else if (wanted.length > 0) {
    const all = chosen;
    chosen = all.filter((s) => wanted.includes(String(s.id)) || wanted.includes(s.name));
    if (chosen.length === 0) {
      const names = [...all.map((s) => `${s.id} (${s.name})`), "report"].join(", ");
      log(`Cannot run scenario ${wanted.join(", ")}: choose from ${names}`);
      return 2;
    }
  }
  let targets: Target[] = [];
  if (flags["targets"] !== undefined) {
    const names = String(flags["targets"]).split(",");
    targets = ALL_TARGETS.filter((t) => names.includes(t.name));
    const unknown = names.filter((n) => !ALL_TARGETS.some((t) => t.name === n));
    if (unknown.length > 0 || targets.length === 0) {
      log(
        `Cannot use --targets=${flags["targets"]}: choose from ` +
          ALL_TARGETS.map((t) => t.name).join(", "),
      );
      return 2;
    }
  } else {
    if (flags["baseline-only"] !== true) {
      if (sensorPresent()) targets.push(SENSOR, ...(quick ? [] : [SENSOR_DENO]));
      else log("main.ts is missing: measuring the baselines only");
    }
    const baseline = flags["baseline-only"] === true ||
      (flags["no-baseline"] !== true && !quick) || targets.length === 0;
    if (baseline) targets.push(BASELINE, C_LOOP);
  }
  if (typeof flags["compare"] === "string") {
    const root = flags["compare"].endsWith("/") ? flags["compare"] : `${flags["compare"]}/`;
    if (!isFile(`${root}main.ts`)) {
      log(`Cannot use --compare=${flags["compare"]}: ${root}main.ts is missing`);
      return 2;
    }
    const at = targets.indexOf(SENSOR);
    if (at < 0) {
      log(`Cannot use --compare without the sensor target: add sensor to --targets`);
      return 2;
    }
    targets.splice(at + 1, 0, compareTarget(root));
  }
  const profileDir = typeof flags["profile"] === "string" ? flags["profile"] : undefined;
  if (profileDir !== undefined) await Deno.mkdir(profileDir, { recursive: true });
  const workDir = await Deno.makeTempDir({ prefix: "spip-bench-" });
  const results: ScenarioResult[] = [];
  let report: ReportBenchResult | undefined;
  const started = performance.now();
  try {
    // The C programs are needed by the sensor scenarios only, not by the report scenario.
    let programs: CPrograms = { loadClient: "", epollSensor: "" };
    try {
      if (chosen.length > 0) programs = await compileCPrograms(workDir);
    } catch (error) {
      log(error instanceof Error ? error.message : String(error));
      return 1;
    }
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1 && chosen.length > 0) log(`round ${round} of ${rounds}`);
      for (const scenario of chosen) {
        for (const target of targets) {
          if (!target.isSensor && !scenario.baseline) continue;
          // The accept engine matters for TCP; UDP and TLS run on the default engine.
          if (target === SENSOR_DENO && scenario.kind !== "tcp") continue;
          const unit = UNITS[scenario.kind];
          log(
            `scenario ${scenario.id} (${scenario.name}), ${target.name}: ${scenario.count} ${unit}s`,
          );
          const run = scenario.kind === "udp" ? runUdpScenario : runScenario;
          const result = await run(scenario, target, {
            workDir,
            log,
            programs,
            denoClient: flags["deno-client"] === true,
            ...(profileDir !== undefined && target === SENSOR ? { profileDir } : {}),
          });
          log(
            `  ${result.completed} done, ${result.connPerSec.toFixed(0)} ${unit}/s, ` +
              `${result.cpuUsPerConn.toFixed(1)} us/${unit}, ${result.check.lost} lost`,
          );
          results.push(result);
        }
      }
    }
    if (reportWanted) {
      log(`scenario report: ${reportBytes} bytes of records, spip report against jq`);
      report = await runReportBench({ bytes: reportBytes, workDir, log, rounds });
    }
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
  const shown = rounds > 1 ? medianRuns(results) : results;
  if (shown.length > 0) print(formatReport(shown));
  if (report !== undefined) print(`\n${formatReportBench(report)}`);
  if (rounds > 1 && results.length > 0) {
    print(`\n${rounds} rounds; the table shows each scenario's median run by CPU us/conn:`);
    for (const line of formatRounds(results)) print(`  ${line}`);
  }
  const pairs = formatPairs(results);
  if (pairs.length > 0) {
    print(
      "\nsensor-b (--compare) against sensor, CPU per connection, each pair of the same round:",
    );
    for (const line of pairs) print(`  ${line}`);
  }
  print(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (typeof flags["json"] === "string") {
    const json = rounds > 1
      ? { quick, rounds, results: shown, ratios: ratios(shown), allRuns: results, report }
      : { quick, results, ratios: ratios(results), report };
    await Deno.writeTextFile(flags["json"], `${JSON.stringify(json, null, 2)}\n`);
  }
  const strict = new Set(chosen.filter((s) => s.strict).map((s) => s.id));
  const problems = failures(results, strict);
  if (report !== undefined && !report.recordsMatch) {
    problems.push("report: the records count spip report printed differs from the file's");
  }
  for (const problem of problems) log(`FAIL ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
