/**
 * Runs one scenario against one target: a fresh namespace, the target inside it, the load client
 * inside it, the records checked, the target's CPU and memory sampled; always torn down.
 *
 * @module
 */
import { RedirectNamespace } from "../testing/namespace.ts";
import { newRunId } from "./payload.ts";
import { type CheckResult, RecordChecker } from "./record_check.ts";
import { TlsRecordChecker } from "./tls_check.ts";
import { cpuMicros, listenCounters, openFds, RssSampler } from "./process_stats.ts";
import { BASE_CONFIG, type Scenario } from "./scenarios.ts";
import { clientArgv, type Target } from "./targets.ts";
import type { CPrograms } from "./c_programs.ts";
import { ClientProcess } from "./client_process.ts";
import { FAST, type Sink, TargetProcess } from "./target_process.ts";

/** The port the target listens on inside the namespace (outside the dialled range). */
export const TARGET_PORT = 40000;

/** What one scenario measured for one target. */
export interface ScenarioResult {
  /** The scenario's number. */
  scenario: number;
  /** Its name. */
  name: string;
  /** `sensor` or `baseline`. */
  target: string;
  /** Connections planned. */
  planned: number;
  /** Connections the client completed (connected and sent). */
  completed: number;
  /** Client errors by kind. */
  clientErrors: Record<string, number>;
  /**
   * Completed connections per second, from the first connect (scenario 3: from the release of
   * the idle connections) to the last record read.
   */
  connPerSec: number;
  /** Wall time of the load, s. */
  seconds: number;
  /** The target's CPU time per completed connection, us (10 ms resolution overall). */
  cpuUsPerConn: number;
  /** The load client's CPU time per completed connection, us. */
  clientCpuUsPerConn: number;
  /**
   * The harness's own CPU time per completed connection during the load, us. Scenarios 1-4 send
   * the target's stdout to a file checked afterwards, so only scenario 5 reads it live.
   */
  harnessCpuUsPerConn: number;
  /** Whether the client used at least 90% of a core: then it, not the target, set the pace. */
  clientBound: boolean;
  /** The record check. */
  check: CheckResult;
  /**
   * Figures only some scenarios have (TLS: hellos, bad hellos, handshake errors; UDP: the
   * kernel's drop counters and the sensor's `udp_*` stats), or null.
   */
  detail: Record<string, number> | null;
  /** The target's stats line at shutdown (null when it printed none). */
  stats: Record<string, unknown> | null;
  /** Records the target shed (its `records_shed`), or null. */
  shed: number | null;
  /** Records the target says it wrote (its `records_written`), or null. */
  written: number | null;
  /** Payloads neither written nor counted as shed: completed - written - shed (scenario 5). */
  unaccounted: number | null;
  /** Accept errors the target counted, all kinds. */
  acceptErrors: number | null;
  /** RSS before the load, MiB. */
  rssRestMiB: number;
  /** Highest RSS sampled during the load, MiB. */
  rssPeakMiB: number;
  /** (RSS with the idle connections open - RSS at rest) / open connections, KiB (scenario 3). */
  rssPerIdleKiB: number | null;
  /** Whether the sampled pid was the target's program itself (deno, or the C loop). */
  pidIsTarget: boolean;
  /**
   * SYNs or connections the kernel dropped because the target's accept queue was full
   * (`TcpExt: ListenOverflows` in the namespace's `/proc/net/netstat`, after - before), or null.
   */
  listenOverflows: number | null;
  /** All SYNs or connections the listener dropped (`TcpExt: ListenDrops`, after - before). */
  listenDrops: number | null;
  /** The target's exit code after SIGTERM. */
  exitCode: number;
}

/** The server name the TLS client sends. */
export const TLS_SNI = "bench.example.com";

/** A record check: fed line by line, then asked for its verdict. */
export interface Checker {
  /** Lines fed so far. */
  readonly records: number;
  /** Checks one record line. */
  feed(line: string): void;
  /** The verdict, given which connections the client completed. */
  result(
    completed: (index: number) => boolean,
  ): { check: CheckResult; detail: Record<string, number> | null };
}

function tcpChecker(inner: RecordChecker): Checker {
  return {
    get records(): number {
      return inner.records;
    },
    feed: (line) => inner.feed(line),
    result: (completed) => ({ check: inner.result(completed), detail: null }),
  };
}

/** Options for {@linkcode runScenario}. */
export interface RunOptions {
  /** A directory for the generated config. */
  workDir: string;
  /** Where the target writes its CPU profile, if wanted. */
  profileDir?: string;
  /** Progress lines go here. */
  log: (line: string) => void;
  /** The compiled C programs. */
  programs: CPrograms;
  /** Drive plain TCP scenarios with the Deno load client instead of the C one. */
  denoClient?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes a flat config table as TOML. A dotted key such as `udp.enabled` is a TOML dotted key:
 * it sets `enabled` in the table `[udp]`.
 *
 * @param table The keys and values.
 * @returns The TOML text.
 */
export function toml(table: Readonly<Record<string, number | boolean | string>>): string {
  return Object.entries(table).map(([k, v]) => `${k} = ${JSON.stringify(v)}\n`).join("");
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function sumValues(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value !== "object" || value === null) return null;
  let sum = 0;
  for (const v of Object.values(value)) if (typeof v === "number") sum += v;
  return sum;
}

/**
 * Runs one scenario against one target.
 *
 * @param scenario The scenario.
 * @param target The target.
 * @param options Where to work and how to report progress.
 * @returns What was measured.
 */
export async function runScenario(
  scenario: Scenario,
  target: Target,
  options: RunOptions,
): Promise<ScenarioResult> {
  const runId = newRunId();
  const config: Record<string, number | boolean | string> = {
    ...BASE_CONFIG,
    ...scenario.config,
    ...target.config,
    port: TARGET_PORT,
  };
  const configFile = `${options.workDir}/s${scenario.id}-${target.name}.toml`;
  const outFile = `${options.workDir}/s${scenario.id}-${target.name}.jsonl`;
  await Deno.writeTextFile(configFile, toml(config));
  const tls = scenario.kind === "tls";
  const checker: Checker = tls
    ? new TlsRecordChecker({
      runId,
      count: scenario.count,
      portMin: scenario.portMin,
      portMax: scenario.portMax,
      sni: TLS_SNI,
    })
    : tcpChecker(
      new RecordChecker({
        runId,
        count: scenario.count,
        size: scenario.size,
        portMin: scenario.portMin,
        portMax: scenario.portMax,
        maxBytes: Number(config["max_bytes"]),
        checkPort: target.checkPort,
        fullPayload: target.fullPayload,
      }),
    );
  const ns = await RedirectNamespace.create(`bench-${scenario.name}`, TARGET_PORT, {
    widePortRange: true,
  });
  let proc: TargetProcess | undefined;
  let client: ClientProcess | undefined;
  let sampler: RssSampler | undefined;
  try {
    const sink: Sink = scenario.slowRead !== null ? { pace: scenario.slowRead } : { file: outFile };
    proc = new TargetProcess(
      ns,
      target.argv(configFile, TARGET_PORT, options.profileDir, options.programs),
      sink,
      (line) => checker.feed(line),
    );
    await proc.waitListening(TARGET_PORT, 15_000);
    const program = target.argv(configFile, TARGET_PORT, undefined, options.programs)[0] ?? "";
    const pidIsTarget = proc.runs(program);
    await sleep(300);
    sampler = new RssSampler(proc.pid);
    const rssRest = sampler.sample();
    const listenBefore = listenCounters(proc.pid);
    const cpuStart = cpuMicros(proc.pid);
    const harnessStart = cpuMicros("self");
    let started = performance.now();
    const common = [
      `--run-id=${runId}`,
      `--count=${scenario.count}`,
      `--concurrency=${scenario.concurrency}`,
      `--port-min=${scenario.portMin}`,
      `--port-max=${scenario.portMax}`,
      `--deadline-ms=${scenario.deadlineMs}`,
    ];
    const load = [
      ...common,
      `--size=${scenario.size}`,
      `--close=${scenario.close}`,
      ...(scenario.hold ? ["--hold"] : []),
      ...(scenario.awaitGreeting === true ? ["--await-greeting"] : []),
    ];
    client = new ClientProcess(
      ns,
      tls
        ? clientArgv([...common, `--sni=${TLS_SNI}`], "tls_client.ts")
        : options.denoClient === true || scenario.awaitGreeting === true
        ? clientArgv(load) // The C client does not wait for greetings.
        : [options.programs.loadClient, "--host=127.0.0.1", ...load],
    );
    const bound = scenario.deadlineMs + 15_000;
    let rssPerIdleKiB: number | null = null;
    if (scenario.hold) {
      const opened = await client.event("open", bound);
      const open = Number(opened["open"]);
      const fdDeadline = Date.now() + 15_000;
      while (openFds(proc.pid) < open && Date.now() < fdDeadline) await sleep(50);
      await sleep(500);
      const rssOpen = sampler.sample();
      rssPerIdleKiB = open > 0 ? (rssOpen - rssRest) / open : null;
      options.log(`  ${open} idle connections open, RSS ${(rssOpen / 1024).toFixed(1)} MiB`);
      started = performance.now();
      await client.release();
    }
    const done = await client.event("done", bound);
    const failed = new Set(Array.isArray(done["failed"]) ? done["failed"] as number[] : []);
    const completed = Number(done["completed"]);
    // A stopped reader: the sensor's own counters say when it had accepted every connection.
    let acceptedAt: number | null = null;
    if (scenario.slowRead?.chunk === 0) {
      acceptedAt = await proc.waitStats(
        (stats) => Number(stats["connections_accepted"]) >= completed,
        15_000,
      );
    }
    if (scenario.slowRead !== null) {
      await sleep(200);
      sampler.sample();
      proc.setPace(FAST);
    }
    const logged = Math.min(scenario.size, Number(config["max_bytes"]));
    const perSession = tls
      ? 2
      : target.fullPayload
      ? Math.ceil(logged / Number(config["read_size"]))
      : 1;
    await proc.waitQuiet(1000, 15_000, () => checker.records >= completed * perSession);
    const cpuEnd = cpuMicros(proc.pid);
    const listenAfter = listenCounters(proc.pid);
    const harnessEnd = cpuMicros("self");
    const lastAt = acceptedAt ?? Math.max(proc.lastLineAt, started);
    const seconds = (lastAt - started) / 1000;
    sampler.stop();
    const exit = await proc.stop();
    const { check, detail } = checker.result((i) => !failed.has(i) && i < scenario.count);
    const stats = exit.stats;
    const written = numberOrNull(stats?.["records_written"]);
    const shed = numberOrNull(stats?.["records_shed"]);
    const clientCpu = Number(done["cpu_us"]);
    const clientElapsedUs = Number(done["elapsed_ms"]) * 1000;
    return {
      scenario: scenario.id,
      name: scenario.name,
      target: target.name,
      planned: scenario.count,
      completed,
      clientErrors: (done["errors"] ?? {}) as Record<string, number>,
      connPerSec: seconds > 0 ? completed / seconds : 0,
      seconds,
      cpuUsPerConn: completed > 0 ? (cpuEnd - cpuStart) / completed : NaN,
      clientCpuUsPerConn: completed > 0 ? clientCpu / completed : NaN,
      harnessCpuUsPerConn: completed > 0 ? (harnessEnd - harnessStart) / completed : NaN,
      clientBound: !scenario.hold && clientCpu >= 0.9 * clientElapsedUs,
      check,
      detail,
      stats,
      shed,
      written,
      unaccounted: scenario.slowRead !== null && written !== null && shed !== null
        ? completed - written - shed
        : null,
      acceptErrors: sumValues(stats?.["accept_errors"]),
      rssRestMiB: rssRest / 1024,
      rssPeakMiB: sampler.peak / 1024,
      rssPerIdleKiB,
      pidIsTarget,
      listenOverflows: listenAfter.overflows - listenBefore.overflows,
      listenDrops: listenAfter.drops - listenBefore.drops,
      exitCode: exit.code,
    };
  } finally {
    sampler?.stop();
    await client?.stop();
    if (proc !== undefined) {
      proc.kill();
      await proc.exited;
    }
    await ns.delete();
    await Deno.remove(outFile).catch(() => {});
  }
}
