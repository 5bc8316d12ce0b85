/**
 * Runs one scenario against one target: a fresh namespace, the target inside it, the load client
 * inside it, the records checked, the target's CPU and memory sampled; always torn down.
 *
 * @module
 */
import { RedirectNamespace } from "../testing/namespace.ts";
import { newRunId, tokenText } from "./payload.ts";
import { type CheckResult, RecordChecker } from "./record_check.ts";
import { TlsRecordChecker } from "./tls_check.ts";
import {
  cpuMicros,
  listenCounters,
  openFds,
  RssSampler,
  type ThreadCpu,
  threadCpuMicros,
} from "./process_stats.ts";
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
  /**
   * The target's CPU time per completed connection split by thread, us: its main thread's user
   * and system time and its other threads' (null when it could not be read).
   */
  threadCpuUsPerConn: ThreadCpu | null;
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

/** What a warmed scenario's first, unmeasured load did. */
interface Warmup {
  /** Connections it completed. */
  completed: number;
  /** The target's CPU time per completed connection during it, us: the cold figure. */
  cpuUsPerConn: number;
  /** The indexes of the connections it did not complete. */
  failed: Set<number>;
}

/**
 * Feeds each record to the checker of the load it belongs to: a session whose first record
 * carries the warm-up's run id goes to `warm`, every other session to `measured`.
 *
 * @param warmRunId The warm-up load's run id.
 * @param warm Its checker.
 * @param measured The measured load's checker.
 * @returns The line callback.
 */
function splitByRun(warmRunId: string, warm: Checker, measured: Checker): (line: string) => void {
  // Every target writes payload_hex (the C loop writes no payload text).
  const marker = new TextEncoder().encode(tokenText(warmRunId, 0)).subarray(0, -2).toHex();
  const owners = new Map<string, Checker>();
  return (line) => {
    let owner = measured;
    try {
      const fields = JSON.parse(line) as { session_id?: unknown; payload_hex?: unknown };
      const id = String(fields.session_id);
      const known = owners.get(id);
      if (known !== undefined) owner = known;
      else {
        const hex = fields.payload_hex;
        if (typeof hex === "string" && hex.startsWith(marker)) owner = warm;
        owners.set(id, owner);
      }
    } catch {
      // A malformed line: the measured load's checker counts it.
    }
    owner.feed(line);
  };
}

/** The indexes of the connections a load client's `done` event says it did not complete. */
function failedOf(done: Record<string, unknown>): Set<number> {
  return new Set(Array.isArray(done["failed"]) ? done["failed"] as number[] : []);
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
  const recordChecker = (id: string): RecordChecker =>
    new RecordChecker({
      runId: id,
      count: scenario.count,
      size: scenario.size,
      portMin: scenario.portMin,
      portMax: scenario.portMax,
      maxBytes: Number(config["max_bytes"]),
      checkPort: target.checkPort,
      fullPayload: target.fullPayload,
    });
  const checker: Checker = tls
    ? new TlsRecordChecker({
      runId,
      count: scenario.count,
      portMin: scenario.portMin,
      portMax: scenario.portMax,
      sni: TLS_SNI,
    })
    : tcpChecker(recordChecker(runId));
  // A warmed scenario's first load has a run id of its own; its records are checked apart.
  const warmRunId = newRunId();
  const warmChecker = scenario.warmup === true ? tcpChecker(recordChecker(warmRunId)) : null;
  const feed = warmChecker === null
    ? (line: string) => checker.feed(line)
    : splitByRun(warmRunId, warmChecker, checker);
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
      feed,
    );
    await proc.waitListening(TARGET_PORT, 15_000);
    const program = target.argv(configFile, TARGET_PORT, undefined, options.programs)[0] ?? "";
    const pidIsTarget = proc.runs(program);
    await sleep(300);
    const bound = scenario.deadlineMs + 15_000;
    const clientFor = (id: string): string[] => {
      const common = [
        `--run-id=${id}`,
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
      return tls
        ? clientArgv([...common, `--sni=${TLS_SNI}`], "tls_client.ts")
        : options.denoClient === true || scenario.awaitGreeting === true
        ? clientArgv(load) // The C client does not wait for greetings.
        : [options.programs.loadClient, "--host=127.0.0.1", ...load];
    };
    let warm: Warmup | null = null;
    if (warmChecker !== null) {
      const cpuBefore = cpuMicros(proc.pid);
      const warmClient = new ClientProcess(ns, clientFor(warmRunId));
      try {
        const done = await warmClient.event("done", bound);
        const failedWarm = failedOf(done);
        const completedWarm = Number(done["completed"]);
        await proc.waitQuiet(1000, 15_000, () => warmChecker.records >= completedWarm);
        warm = {
          completed: completedWarm,
          cpuUsPerConn: completedWarm > 0 ? (cpuMicros(proc.pid) - cpuBefore) / completedWarm : NaN,
          failed: failedWarm,
        };
      } finally {
        await warmClient.stop();
      }
      options.log(
        `  warm-up load: ${warm.completed} done, ${warm.cpuUsPerConn.toFixed(1)} us/conn`,
      );
    }
    sampler = new RssSampler(proc.pid);
    const rssRest = sampler.sample();
    const listenBefore = listenCounters(proc.pid);
    const cpuStart = cpuMicros(proc.pid);
    const threadsStart = threadCpuMicros(proc.pid);
    const harnessStart = cpuMicros("self");
    let started = performance.now();
    client = new ClientProcess(ns, clientFor(runId));
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
    const failed = failedOf(done);
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
    const threadsEnd = threadCpuMicros(proc.pid);
    const listenAfter = listenCounters(proc.pid);
    const harnessEnd = cpuMicros("self");
    const lastAt = acceptedAt ?? Math.max(proc.lastLineAt, started);
    const seconds = (lastAt - started) / 1000;
    sampler.stop();
    const exit = await proc.stop();
    const { check, detail: checked } = checker.result((i) => !failed.has(i) && i < scenario.count);
    let detail = checked;
    if (warm !== null && warmChecker !== null) {
      const failedWarm = warm.failed;
      const first = warmChecker.result((i) => !failedWarm.has(i) && i < scenario.count).check;
      detail = {
        ...checked,
        warmupCompleted: warm.completed,
        warmupCpuUsPerConn: warm.cpuUsPerConn,
        warmupLost: first.lost,
        warmupWrong: first.wrongPort + first.wrongBytes + first.malformed + first.duplicates,
      };
    }
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
      threadCpuUsPerConn: threadsStart !== null && threadsEnd !== null && completed > 0
        ? {
          mainUser: (threadsEnd.mainUser - threadsStart.mainUser) / completed,
          mainSystem: (threadsEnd.mainSystem - threadsStart.mainSystem) / completed,
          others: (threadsEnd.others - threadsStart.others) / completed,
        }
        : null,
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
