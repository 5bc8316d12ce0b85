/**
 * The bench's report: a readable table, each target's figures as ratios to the plain C epoll loop
 * of the same run, and the correctness verdict.
 *
 * @module
 */
import type { ScenarioResult } from "./run_scenario.ts";

/** The target the others are measured against: the plain C epoll loop. */
export const REFERENCE_TARGET = "c-loop";

/** One target's figures divided by the C loop's, for one scenario. */
export interface Ratio {
  /** The scenario. */
  scenario: number;
  /** The target. */
  target: string;
  /** CPU us per connection, target / C loop. */
  cpuUsPerConn: number;
  /** Connections per second, target / C loop. */
  connPerSec: number;
  /** Records lost: the target's and the C loop's counts (a ratio of zeros means nothing). */
  lost: [number, number];
  /** Accept-queue overflows (`ListenOverflows`): the target's and the C loop's counts. */
  overflows: [number | null, number | null];
  /** RSS per idle connection, target / C loop (scenario 3 only). */
  rssPerIdle: number | null;
}

const fixed = (value: number | null, digits: number): string =>
  value === null || Number.isNaN(value) ? "-" : value.toFixed(digits);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/**
 * Computes each target's ratios to the C loop, for each scenario the C loop ran too.
 *
 * @param results All results.
 * @returns One ratio per scenario and target other than the C loop, in result order.
 */
export function ratios(results: ScenarioResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const r of results.filter((x) => x.target !== REFERENCE_TARGET)) {
    const base = results.find((x) => x.target === REFERENCE_TARGET && x.scenario === r.scenario);
    if (base === undefined) continue;
    out.push({
      scenario: r.scenario,
      target: r.target,
      cpuUsPerConn: r.cpuUsPerConn / base.cpuUsPerConn,
      connPerSec: r.connPerSec / base.connPerSec,
      lost: [r.check.lost, base.check.lost],
      overflows: [r.listenOverflows, base.listenOverflows],
      rssPerIdle: r.rssPerIdleKiB !== null && base.rssPerIdleKiB !== null
        ? r.rssPerIdleKiB / base.rssPerIdleKiB
        : null,
    });
  }
  return out;
}

/**
 * Of several rounds, the run to show for each scenario and target: the one with the median CPU
 * per connection (the lower of the two middle ones for an even count), so that one slow moment of
 * the machine does not make the table.
 *
 * @param results Every round's results, in the order they ran.
 * @returns One result per scenario and target, in the order each first ran.
 */
export function medianRuns(results: ScenarioResult[]): ScenarioResult[] {
  const groups = new Map<string, ScenarioResult[]>();
  for (const result of results) {
    const key = `${result.scenario} ${result.target}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [result]);
    else group.push(result);
  }
  return [...groups.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.cpuUsPerConn - b.cpuUsPerConn);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? group[0] as ScenarioResult;
  });
}

/**
 * `; accept-queue overflows in K of N runs (a, b, ...)` when any run overflowed, else "": the
 * table shows the median run's overflows only.
 */
function overflowRuns(runs: ScenarioResult[]): string {
  const counts = runs.map((r) => r.listenOverflows);
  const overflowed = counts.filter((count) => count !== null && count > 0).length;
  if (overflowed === 0) return "";
  return `; accept-queue overflows in ${overflowed} of ${runs.length} runs ` +
    `(${counts.map((count) => fixed(count ?? NaN, 0)).join(", ")})`;
}

/**
 * `; connections accepted ahead in K of N runs (a, b, ...)` when the sensor accepted ahead of its
 * turn in any run (its `connections_accepted_ahead`: a long accept queue it emptied into its own),
 * else "".
 */
function aheadRuns(runs: ScenarioResult[]): string {
  const counts = runs.map((r) => r.stats?.["connections_accepted_ahead"]);
  const ahead = counts.filter((count) => typeof count === "number" && count > 0).length;
  if (ahead === 0) return "";
  return `; connections accepted ahead in ${ahead} of ${runs.length} runs ` +
    `(${counts.map((count) => typeof count === "number" ? fixed(count, 0) : "-").join(", ")})`;
}

/**
 * One line per scenario and target with each round's CPU per connection, in the order they ran.
 *
 * @param results Every round's results.
 * @returns The lines.
 */
export function formatRounds(results: ScenarioResult[]): string[] {
  const shown = medianRuns(results);
  return shown.map((median) => {
    const runs = results.filter((r) =>
      r.scenario === median.scenario && r.target === median.target
    );
    const values = runs.map((r) => fixed(r.cpuUsPerConn, 1)).join(", ");
    const line = `${median.scenario} ${median.name} ${median.target}: cpu us/conn ${values} ` +
      `(median ${fixed(median.cpuUsPerConn, 1)})` + overflowRuns(runs) + aheadRuns(runs);
    const firsts = runs.map((r) => r.detail?.["warmupCpuUsPerConn"]);
    if (firsts.some((value) => value === undefined)) return line;
    const sorted = (firsts as number[]).toSorted((a, b) => a - b);
    const middle = sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
    return `${line}; first loads ${firsts.map((v) => fixed(v ?? NaN, 1)).join(", ")} ` +
      `(median ${fixed(middle, 1)})`;
  });
}

/** The median of some numbers; NaN for none. */
function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle] ?? NaN
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

/**
 * The A/B lines of `--compare`: for each scenario where both `sensor` and `sensor-b` ran, the
 * ratio of `sensor-b`'s CPU per connection to `sensor`'s in each round (runs pair up in the order
 * they ran), and the same ratio with each run's CPU divided first by its load client's CPU per
 * connection. The client is a fixed C workload, so that second ratio takes out much of the
 * machine's own drift between the two runs of a pair (in an A/A test, 0.90-1.21 against
 * 0.71-1.54 raw; `docs/performance.md`).
 *
 * @param results Every round's results.
 * @returns The lines; empty when no scenario ran both.
 */
export function formatPairs(results: ScenarioResult[]): string[] {
  const out: string[] = [];
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  for (const scenario of scenarios) {
    const a = results.filter((r) => r.scenario === scenario && r.target === "sensor");
    const b = results.filter((r) => r.scenario === scenario && r.target === "sensor-b");
    const n = Math.min(a.length, b.length);
    if (n === 0) continue;
    const raw: number[] = [];
    const normalised: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = a[i] as ScenarioResult;
      const y = b[i] as ScenarioResult;
      raw.push(y.cpuUsPerConn / x.cpuUsPerConn);
      normalised.push(
        (y.cpuUsPerConn / y.clientCpuUsPerConn) / (x.cpuUsPerConn / x.clientCpuUsPerConn),
      );
    }
    const list = (values: number[]): string =>
      `${values.map((v) => fixed(v, 2)).join(", ")} (median ${fixed(median(values), 2)})`;
    const name = (a[0] as ScenarioResult).name;
    out.push(`${scenario} ${name} sensor-b / sensor: ${list(raw)}`);
    out.push(`${scenario} ${name} the same, each run per its client's CPU: ${list(normalised)}`);
  }
  return out;
}

/**
 * The lines for the TLS and UDP scenarios and the plain-connection comparison (scenario 1 with
 * TLS recognition on, scenario 8 with it off).
 *
 * @param results All results.
 * @returns The lines; empty when none of those scenarios ran.
 */
export function extraLines(results: ScenarioResult[]): string[] {
  const out: string[] = [];
  const sensor = results.filter((r) => r.target === "sensor");
  for (const r of sensor) {
    const d = r.detail;
    if (d === null) continue;
    if (r.name === "tls") {
      out.push(
        `${r.scenario} tls: ${fixed(r.connPerSec, 0)} TLS sessions/s, ` +
          `${fixed(r.cpuUsPerConn, 0)} us sensor CPU per session; ` +
          `${d["hellos"]} hellos, ${d["badHello"]} sessions without a hello with ja4 and SNI, ` +
          `${d["tlsErrors"]} tls_error records, ${r.check.lost} tokens missing, ` +
          `${r.check.wrongPort} wrong ports`,
      );
    } else if (r.name === "udp") {
      out.push(
        `${r.scenario} udp: ${fixed(d["sentPerSec"] ?? NaN, 0)} datagrams/s sent, ` +
          `${fixed(d["receivedPerSec"] ?? NaN, 0)} received, ` +
          `${fixed(d["recordedPerSec"] ?? NaN, 0)} recorded; ` +
          `${fixed(r.cpuUsPerConn, 1)} us sensor CPU per datagram ` +
          `(${fixed(d["sensorCpuPercent"] ?? NaN, 0)}% of a core); ` +
          `${r.check.lost} lost, ${r.check.wrongPort} wrong destinations`,
        `  kernel (sensor namespace, /proc/net/snmp + snmp6, after - before): ` +
          `RcvbufErrors ${d["kernelRcvbufErrors"]}, InErrors ${d["kernelInErrors"]}, ` +
          `InDatagrams ${d["kernelInDatagrams"]}`,
        `  sensor stats: ` +
          Object.entries(d).filter(([k]) => k.startsWith("udp_")).map(([k, v]) => `${k} ${v}`)
            .join(", "),
      );
    }
  }
  for (
    const r of results.filter((x) =>
      x.target !== REFERENCE_TARGET && x.detail?.["warmupCpuUsPerConn"] !== undefined
    )
  ) {
    const base = results.find((x) => x.target === REFERENCE_TARGET && x.scenario === r.scenario);
    const cold = r.detail?.["warmupCpuUsPerConn"] ?? NaN;
    const baseCold = base?.detail?.["warmupCpuUsPerConn"] ?? NaN;
    out.push(
      `${r.scenario} ${r.name} ${r.target}: first load (cold process) ${fixed(cold, 1)} us/conn` +
        (base !== undefined ? ` (${fixed(cold / baseCold, 2)}x the C loop's first)` : "") +
        `, second load (measured) ${fixed(r.cpuUsPerConn, 1)}` +
        (base !== undefined
          ? ` (${fixed(r.cpuUsPerConn / base.cpuUsPerConn, 2)}x the C loop's second)`
          : "") +
        `; ${r.detail?.["warmupLost"] ?? "-"} lost in the first`,
    );
  }
  for (const r of results.filter((x) => x.name === "fin" || x.name === "fin-warm")) {
    const t = r.threadCpuUsPerConn;
    if (t === null) continue;
    out.push(
      `${r.scenario} ${r.name} ${r.target}, cpu us/conn by thread: main thread user ` +
        `${fixed(t.mainUser, 1)} + system ${fixed(t.mainSystem, 1)}, other threads ` +
        fixed(t.others, 1),
    );
  }
  const on = sensor.find((r) => r.scenario === 1);
  const off = sensor.find((r) => r.scenario === 8);
  if (on !== undefined && off !== undefined) {
    out.push(
      `plain connections (scenario 1 vs 8), sensor CPU us/conn: [tls] enabled = true ` +
        `${fixed(on.cpuUsPerConn, 1)}, enabled = false ${fixed(off.cpuUsPerConn, 1)} ` +
        `(ratio ${fixed(on.cpuUsPerConn / off.cpuUsPerConn, 2)})`,
    );
  }
  return out.length > 0 ? ["", ...out] : [];
}

/** The speed and memory table's columns, each with what it means. */
export const SPEED_COLUMNS: readonly (readonly [string, string])[] = [
  ["scenario", "the scenario's number and name (--scenario takes either)"],
  ["target", "sensor (main.ts) or baseline (a minimal Deno.listen sensor, for comparison)"],
  ["done/plan", "connections (TLS sessions, datagrams) completed / planned"],
  ["conn/s", "completed per second of the run"],
  ["cpu us", "the target's CPU time (user + system) per connection, in microseconds"],
  ["client us", "the load client's CPU per connection; * = the client used >= 90% of a core"],
  ["bench us", "the bench harness's own CPU per connection (it shares the machine)"],
  ["ovfl/drops", "the kernel's ListenOverflows / ListenDrops in the namespace during the run"],
  ["RSS rest", "the target's resident memory at rest before the load, MiB"],
  ["RSS peak", "the target's largest resident memory during the load, MiB"],
  ["KiB/idle", "(RSS with the idle connections open - RSS at rest) / open connections, KiB"],
];

/** The correctness table's columns (the first two as in the speed table). */
export const CHECK_COLUMNS: readonly (readonly [string, string])[] = [
  ["scenario", "as above"],
  ["target", "as above"],
  ["records", "record lines the target wrote"],
  ["lost", "connections the client completed that have no session in the records"],
  ["bad port", "sessions whose destination_port is not the port dialled"],
  ["bad bytes", "sessions whose bytes differ from those sent, or stop short of the cap"],
  ["bad flags", "sessions whose truncated marks do not match the byte cap"],
  ["no token", "sessions whose bytes carry no bench token (silent ones, for example)"],
  ["shed", "records the target dropped and counted (records_shed); - when it has no count"],
  ["unaccounted", "slow-reader scenario: completed - written - shed (0 = nothing lost silently)"],
  ["accept errs", "failed accepts the target counted, all kinds (accept_errors)"],
];

/**
 * Explains every column of the report, one line each, for `--help` and the report's foot.
 *
 * @returns The lines.
 */
export function columnLegend(): string[] {
  const all = [...SPEED_COLUMNS, ...CHECK_COLUMNS.slice(2)];
  const width = Math.max(...all.map(([header]) => header.length));
  return all.map(([header, meaning]) => `  ${header.padEnd(width)}  ${meaning}`);
}

/**
 * Formats the results as text tables.
 *
 * @param results All results.
 * @returns The report.
 */
export function formatReport(results: ScenarioResult[]): string {
  const name = (r: ScenarioResult): string => `${r.scenario} ${r.name}`;
  const speed = table(
    SPEED_COLUMNS.map(([header]) => header),
    results.map((r) => [
      name(r),
      r.target,
      `${r.completed}/${r.planned}`,
      fixed(r.connPerSec, 0),
      fixed(r.cpuUsPerConn, 1),
      `${fixed(r.clientCpuUsPerConn, 0)}${r.clientBound ? "*" : ""}`,
      fixed(r.harnessCpuUsPerConn, 0),
      `${fixed(r.listenOverflows, 0)}/${fixed(r.listenDrops, 0)}`,
      fixed(r.rssRestMiB, 1),
      fixed(r.rssPeakMiB, 1),
      fixed(r.rssPerIdleKiB, 2),
    ]),
  );
  const correctness = table(
    CHECK_COLUMNS.map(([header]) => header),
    results.map((r) => [
      name(r),
      r.target,
      String(r.check.records),
      String(r.check.lost),
      String(r.check.wrongPort),
      String(r.check.wrongBytes),
      String(r.check.wrongFlags),
      String(r.check.untokened),
      fixed(r.shed, 0),
      fixed(r.unaccounted, 0),
      fixed(r.acceptErrors, 0),
    ]),
  );
  const main = `${speed}\n\n${correctness}`;
  const parts = [main];
  const r = ratios(results);
  if (r.length > 0) {
    parts.push(
      `\neach target / ${REFERENCE_TARGET} (same run; each figure divided by ${REFERENCE_TARGET}'s)`,
      table(
        [
          "scenario",
          "target",
          "cpu us/conn",
          "conn/s",
          `lost (target, ${REFERENCE_TARGET})`,
          `overflows (target, ${REFERENCE_TARGET})`,
          "KiB/idle conn",
        ],
        r.map((x) => [
          String(x.scenario),
          x.target,
          fixed(x.cpuUsPerConn, 2),
          fixed(x.connPerSec, 2),
          `${x.lost[0]}, ${x.lost[1]}`,
          `${fixed(x.overflows[0], 0)}, ${fixed(x.overflows[1], 0)}`,
          fixed(x.rssPerIdle, 2),
        ]),
      ),
    );
  }
  parts.push(...extraLines(results));
  const notes: string[] = [];
  if (results.some((x) => x.name === "tls" || x.name === "udp")) {
    notes.push("In the tls and udp rows, conn means a TLS session and a datagram respectively.");
  }
  if (results.some((x) => x.clientBound)) {
    notes.push("* the load client used >= 90% of a core: it, not the target, may set the pace.");
  }
  for (const x of results) {
    if (!x.pidIsTarget) {
      notes.push(`! ${x.scenario} ${x.target}: sampled pid is not the target's program itself`);
    }
    if (x.exitCode !== 0) notes.push(`! ${x.scenario} ${x.target}: exit code ${x.exitCode}`);
    if (x.stats === null) notes.push(`! ${x.scenario} ${x.target}: no stats line on stderr`);
    const errors = Object.entries(x.clientErrors);
    if (errors.length > 0) {
      notes.push(`  ${x.scenario} ${x.target}: client errors ${JSON.stringify(x.clientErrors)}`);
    }
  }
  if (notes.length > 0) parts.push("", ...notes);
  parts.push("", "Columns:", ...columnLegend());
  return parts.join("\n");
}

/**
 * The correctness failures `--quick` (and every run) asserts: lost, wrong-port and wrong-byte
 * records in the strict scenarios (TLS: also sessions without a proper hello record; TLS and
 * UDP: tokens recorded twice; UDP: records that are not UDP), unaccounted records, and
 * connection attempts the kernel dropped at the listener beyond the sensor's `listen_drops`, for
 * the sensor only.
 *
 * @param results All results.
 * @param strictScenarios The scenarios that must lose nothing.
 * @returns One message per failure; empty when all is well.
 */
export function failures(results: ScenarioResult[], strictScenarios: Set<number>): string[] {
  const out: string[] = [];
  for (const r of results.filter((x) => x.target === "sensor")) {
    const where = `scenario ${r.scenario} (${r.name})`;
    if (r.completed === 0) out.push(`${where}: no connection completed`);
    if (strictScenarios.has(r.scenario)) {
      const c = r.check;
      if (c.lost > 0) out.push(`${where}: ${c.lost} records lost`);
      if (c.wrongPort > 0) out.push(`${where}: ${c.wrongPort} records with the wrong port`);
      if (c.wrongBytes > 0) out.push(`${where}: ${c.wrongBytes} sessions with wrong bytes`);
      if (c.malformed > 0) out.push(`${where}: ${c.malformed} malformed lines`);
    }
    if (r.detail !== null && strictScenarios.has(r.scenario)) {
      const bad = r.detail["badHello"] ?? 0;
      if (bad > 0) out.push(`${where}: ${bad} sessions without a hello with ja4 and SNI`);
      const notUdp = r.detail["notUdp"] ?? 0;
      if (notUdp > 0) out.push(`${where}: ${notUdp} records that are not UDP`);
      const warmLost = r.detail["warmupLost"] ?? 0;
      if (warmLost > 0) out.push(`${where}: ${warmLost} records of the warm-up load lost`);
      const warmWrong = r.detail["warmupWrong"] ?? 0;
      if (warmWrong > 0) out.push(`${where}: ${warmWrong} wrong records in the warm-up load`);
      const twice = r.check.duplicates;
      if (twice > 0) out.push(`${where}: ${twice} tokens recorded twice`);
    }
    if (r.unaccounted !== null && r.unaccounted !== 0) {
      out.push(`${where}: ${r.unaccounted} payloads neither written nor counted as shed`);
    }
    // The sensor's own count of the connection attempts its listener dropped must cover what
    // the namespace's counter saw during the load (the sensor is its only listener).
    const counted = r.stats?.["listen_drops"];
    if (typeof counted === "number" && r.listenDrops !== null && r.listenDrops > counted) {
      out.push(
        `${where}: the kernel dropped ${r.listenDrops} connection attempts, ` +
          `the sensor counted ${counted} (listen_drops)`,
      );
    }
    if (r.unaccounted !== null && r.written !== null && r.written !== r.check.records) {
      out.push(`${where}: ${r.written} records written but ${r.check.records} read`);
    }
  }
  return out;
}
