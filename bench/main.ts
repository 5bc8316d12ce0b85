/**
 * The bench CLI (`deno task bench`): runs the scenarios against the sensor and the baseline,
 * prints a table, and exits non-zero when the sensor lost records or logged wrong ports.
 *
 * The flags are listed in {@linkcode HELP} (`deno task bench --help`); an unknown flag or a
 * stray argument is an error (exit 2), so a typo never starts a full-size run.
 *
 * Needs root (network namespaces, iptables).
 *
 * @module
 */
import { parseArgs } from "../src/std.ts";
import {
  columnLegend,
  failures,
  formatReport,
  formatRounds,
  medianRuns,
  ratios,
} from "./report.ts";
import { runScenario, type ScenarioResult } from "./run_scenario.ts";
import { runUdpScenario } from "./run_udp.ts";
import { scenarios } from "./scenarios.ts";
import { BASELINE, SENSOR, sensorPresent, type Target } from "./targets.ts";

const encoder = new TextEncoder();

/** What one unit of load is, by scenario kind ("conn/s" in the table means this per second). */
const UNITS = { tcp: "conn", tls: "session", udp: "datagram" } as const;

/** The `--help` text: every flag, then what each column of the report means. */
export const HELP = `Usage: deno task bench [flags]   (needs root: network namespaces, iptables)

Runs the load scenarios against the sensor (main.ts) and a baseline, prints the tables below and
exits 0, or 1 when the sensor lost records or logged wrong ports, or 2 for a bad flag.

Flags:
  --quick               small counts, for CI: correctness only, no baseline
  --scenario N|NAME     run only this scenario, by number or name (tls, udp, ...);
                        a comma-separated list or the flag repeated runs several
  --rounds N            run everything N times (1 to 20) and show each scenario's median run;
                        every run must pass the checks
  --json FILE           also write the results as JSON
  --udp-rate N          datagrams per second the UDP client sends at most
                        (default 10,000; 5,000 with --quick)
  --no-baseline         measure the sensor only
  --baseline-only       measure the baseline only
  --profile DIR         the sensor writes V8 CPU profiles (--cpu-prof) into DIR
  -h, --help            print this help

Columns of the report:
${columnLegend().join("\n")}`;

/** Flags that take a value. */
export const VALUE_FLAGS = ["scenario", "json", "profile", "udp-rate", "rounds"] as const;
/** Flags that are on or off. */
export const SWITCH_FLAGS = ["quick", "no-baseline", "baseline-only", "help"] as const;

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
  const wanted = ([] as unknown[]).concat(flags["scenario"] ?? []).flatMap((v) =>
    String(v).split(",")
  );
  if (wanted.length > 0) {
    const all = chosen;
    chosen = all.filter((s) => wanted.includes(String(s.id)) || wanted.includes(s.name));
    if (chosen.length === 0) {
      const names = all.map((s) => `${s.id} (${s.name})`).join(", ");
      log(`Cannot run scenario ${wanted.join(", ")}: choose from ${names}`);
      return 2;
    }
  }
  const targets: Target[] = [];
  if (flags["baseline-only"] !== true) {
    if (sensorPresent()) targets.push(SENSOR);
    else log("main.ts is missing: measuring the baseline only");
  }
  const baseline = flags["baseline-only"] === true ||
    (flags["no-baseline"] !== true && !quick) || targets.length === 0;
  if (baseline) targets.push(BASELINE);
  const profileDir = typeof flags["profile"] === "string" ? flags["profile"] : undefined;
  if (profileDir !== undefined) await Deno.mkdir(profileDir, { recursive: true });
  const workDir = await Deno.makeTempDir({ prefix: "spip-bench-" });
  const results: ScenarioResult[] = [];
  const started = performance.now();
  try {
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) log(`round ${round} of ${rounds}`);
      for (const scenario of chosen) {
        for (const target of targets) {
          if (target === BASELINE && !scenario.baseline) continue;
          const unit = UNITS[scenario.kind];
          log(
            `scenario ${scenario.id} (${scenario.name}), ${target.name}: ${scenario.count} ${unit}s`,
          );
          const run = scenario.kind === "udp" ? runUdpScenario : runScenario;
          const result = await run(scenario, target, {
            workDir,
            log,
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
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
  const shown = rounds > 1 ? medianRuns(results) : results;
  print(formatReport(shown));
  if (rounds > 1) {
    print(`\n${rounds} rounds; the table shows each scenario's median run by CPU us/conn:`);
    for (const line of formatRounds(results)) print(`  ${line}`);
  }
  print(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (typeof flags["json"] === "string") {
    const json = rounds > 1
      ? { quick, rounds, results: shown, ratios: ratios(shown), allRuns: results }
      : { quick, results, ratios: ratios(results) };
    await Deno.writeTextFile(flags["json"], `${JSON.stringify(json, null, 2)}\n`);
  }
  const strict = new Set(chosen.filter((s) => s.strict).map((s) => s.id));
  const problems = failures(results, strict);
  for (const problem of problems) log(`FAIL ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
