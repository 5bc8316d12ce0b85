/**
 * Runs the UDP scenario: a TPROXY pair of namespaces (`testing/tproxy_pair.ts`), the sensor in
 * the sensor namespace with `mode = "tproxy"` and `[udp] enabled = true`, the UDP client in the
 * client namespace; the records checked, the sensor's CPU sampled, and the kernel's UDP drop
 * counters of the sensor's namespace read before and after; always torn down.
 *
 * @module
 */
import { ClientProcess } from "./client_process.ts";
import { type InNamespace, inNamespace } from "../testing/namespace.ts";
import { newRunId } from "./payload.ts";
import {
  cpuMicros,
  isUdpBound,
  RssSampler,
  type UdpKernelCounters,
  udpKernelCounters,
} from "./process_stats.ts";
import { type RunOptions, type ScenarioResult, TARGET_PORT, toml } from "./run_scenario.ts";
import { BASE_CONFIG, type Scenario } from "./scenarios.ts";
import { clientArgv, type Target } from "./targets.ts";
import { TargetProcess } from "./target_process.ts";
import { TproxyPair } from "../testing/tproxy_pair.ts";
import { UdpRecordChecker } from "./udp_check.ts";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function namespaced(name: string): InNamespace {
  return { command: (argv) => inNamespace(name, argv) };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function delta(after: UdpKernelCounters, before: UdpKernelCounters): UdpKernelCounters {
  return {
    rcvbufErrors: after.rcvbufErrors - before.rcvbufErrors,
    inErrors: after.inErrors - before.inErrors,
    inDatagrams: after.inDatagrams - before.inDatagrams,
  };
}

/** The sensor's `udp_*` stats the report shows. */
const UDP_STATS = [
  "udp_datagrams",
  "udp_rate_shed",
  "udp_flows_evicted",
  "udp_kernel_dropped",
  "udp_no_destination",
  "udp_truncated",
] as const;

/**
 * Runs the UDP scenario against the sensor.
 *
 * @param scenario The scenario (kind `udp`).
 * @param target The sensor.
 * @param options Where to work and how to report progress.
 * @returns What was measured; `detail` holds the datagram rates, the kernel's counters and the
 *   sensor's `udp_*` stats.
 */
export async function runUdpScenario(
  scenario: Scenario,
  target: Target,
  options: RunOptions,
): Promise<ScenarioResult> {
  const runId = newRunId();
  const config = { ...BASE_CONFIG, ...scenario.config, ...target.config, port: TARGET_PORT };
  const configFile = `${options.workDir}/s${scenario.id}-${target.name}.toml`;
  const outFile = `${options.workDir}/s${scenario.id}-${target.name}.jsonl`;
  await Deno.writeTextFile(configFile, toml(config));
  const checker = new UdpRecordChecker({ runId, count: scenario.count, size: scenario.size });
  const pair = await TproxyPair.create("bench-udp", TARGET_PORT, "iptables");
  let proc: TargetProcess | undefined;
  let client: ClientProcess | undefined;
  let sampler: RssSampler | undefined;
  try {
    proc = new TargetProcess(
      namespaced(pair.sensor),
      target.argv(configFile, TARGET_PORT, options.profileDir, options.programs),
      { file: outFile },
      (line) => checker.feed(line),
    );
    await proc.waitListening(TARGET_PORT, 15_000);
    const bindDeadline = Date.now() + 5_000;
    while (!isUdpBound(proc.pid, TARGET_PORT)) {
      if (Date.now() > bindDeadline) throw new Error("Cannot start the sensor: no UDP socket");
      await sleep(20);
    }
    const pidIsTarget = proc.runs(Deno.execPath());
    await sleep(300);
    sampler = new RssSampler(proc.pid);
    const rssRest = sampler.sample();
    const kernelBefore = udpKernelCounters(proc.pid);
    const cpuStart = cpuMicros(proc.pid);
    const harnessStart = cpuMicros("self");
    const started = performance.now();
    client = new ClientProcess(
      namespaced(pair.client),
      clientArgv([
        `--run-id=${runId}`,
        `--count=${scenario.count}`,
        `--rate=${scenario.rate ?? 10_000}`,
        `--size=${scenario.size}`,
        `--deadline-ms=${scenario.deadlineMs}`,
      ], "udp_client.ts"),
    );
    const done = await client.event("done", scenario.deadlineMs + 15_000);
    const failed = new Set(Array.isArray(done["failed"]) ? done["failed"] as number[] : []);
    const completed = Number(done["completed"]);
    await proc.waitQuiet(1000, 15_000, () => checker.records >= completed);
    const cpuEnd = cpuMicros(proc.pid);
    const harnessEnd = cpuMicros("self");
    const kernel = delta(udpKernelCounters(proc.pid), kernelBefore);
    const seconds = (Math.max(proc.lastLineAt, started) - started) / 1000;
    sampler.stop();
    const exit = await proc.stop();
    const { check, detail: checked } = checker.result((i) => !failed.has(i) && i < scenario.count);
    const stats = exit.stats;
    const clientCpu = Number(done["cpu_us"]);
    const clientSeconds = Number(done["elapsed_ms"]) / 1000;
    const recorded = completed - check.lost;
    // Rates over the span of the records' own timestamps: the client's start-up is not in it.
    const span = checked.spanMs / 1000;
    const detail: Record<string, number> = {
      sentPerSec: clientSeconds > 0 ? completed / clientSeconds : 0,
      receivedPerSec: span > 0 ? (numberOrNull(stats?.["udp_datagrams"]) ?? NaN) / span : 0,
      recordedPerSec: span > 0 ? recorded / span : 0,
      recordSpanSeconds: span,
      sensorCpuPercent: seconds > 0 ? (cpuEnd - cpuStart) / 10_000 / seconds : NaN,
      kernelRcvbufErrors: kernel.rcvbufErrors,
      kernelInErrors: kernel.inErrors,
      kernelInDatagrams: kernel.inDatagrams,
      notUdp: checked.notUdp,
    };
    for (const key of UDP_STATS) detail[key] = numberOrNull(stats?.[key]) ?? NaN;
    options.log(
      `  kernel: ${kernel.inDatagrams} delivered, RcvbufErrors ${kernel.rcvbufErrors}, ` +
        `InErrors ${kernel.inErrors}`,
    );
    return {
      scenario: scenario.id,
      name: scenario.name,
      target: target.name,
      planned: scenario.count,
      completed,
      clientErrors: (done["errors"] ?? {}) as Record<string, number>,
      connPerSec: detail["recordedPerSec"] ?? 0,
      seconds,
      cpuUsPerConn: completed > 0 ? (cpuEnd - cpuStart) / completed : NaN,
      threadCpuUsPerConn: null,
      clientCpuUsPerConn: completed > 0 ? clientCpu / completed : NaN,
      harnessCpuUsPerConn: completed > 0 ? (harnessEnd - harnessStart) / completed : NaN,
      clientBound: clientCpu >= 0.9 * clientSeconds * 1_000_000,
      check,
      detail,
      stats,
      shed: numberOrNull(stats?.["records_shed"]),
      written: numberOrNull(stats?.["records_written"]),
      unaccounted: null,
      acceptErrors: null,
      rssRestMiB: rssRest / 1024,
      rssPeakMiB: sampler.peak / 1024,
      rssPerIdleKiB: null,
      pidIsTarget,
      listenOverflows: null,
      listenDrops: null,
      exitCode: exit.code,
    };
  } finally {
    sampler?.stop();
    await client?.stop();
    if (proc !== undefined) {
      proc.kill();
      await proc.exited;
    }
    await pair.close();
    await Deno.remove(outFile).catch(() => {});
  }
}
