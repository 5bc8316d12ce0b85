/**
 * The sensor started as a user starts it (`deno run ... main.ts --config FILE`), inside a test
 * namespace, with its records and diagnostics collected.
 *
 * @module
 */
import type { RedirectNamespace } from "../../testing/namespace.ts";

/** The permission flags of `deno task start`. */
export const START_FLAGS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-sys=hostname",
  "--allow-ffi=/lib/x86_64-linux-gnu/libc.so.6,/lib/aarch64-linux-gnu/libc.so.6,/lib64/libc.so.6",
];

/** The repository's root. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** A record as the sensor prints it. */
export type SensorRecord = Record<string, unknown> & {
  payload: string;
  payload_hex: string;
  source_ip: string;
  source_port: number;
  destination_ip: string;
  destination_port: number;
  session_id: string;
  seq: number;
  silent: boolean;
  truncated: boolean;
};

/** How the sensor stopped. */
export interface SensorExit {
  /** Its exit code. */
  code: number;
  /** Its last stats line, parsed. */
  stats: Record<string, unknown>;
  /** Everything it wrote to stderr. */
  stderr: string;
}

async function collectLines(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    into.push(...lines);
  }
  if (rest !== "") into.push(rest);
}

/** A sensor process in a test namespace. */
export class SensorProcess {
  /** The child process (the `ip netns exec` that execs deno, so the same pid). */
  readonly child: Deno.ChildProcess;
  /** Raw stdout lines. */
  readonly lines: string[] = [];
  /** Raw stderr lines. */
  readonly errors: string[] = [];
  readonly #done: Promise<void>;
  readonly #configFile: string;

  private constructor(child: Deno.ChildProcess, configFile: string) {
    this.child = child;
    this.#configFile = configFile;
    this.#done = Promise.all([
      collectLines(child.stdout, this.lines),
      collectLines(child.stderr, this.errors),
    ]).then(() => {});
  }

  /**
   * Writes the configuration to a temporary file and starts the sensor on it.
   *
   * @param ns The namespace.
   * @param toml The configuration text; `port` should be the namespace's port.
   * @param wrapper Words placed before deno, such as `prlimit --nofile=64:64`.
   * @returns The sensor, once its port is listening.
   */
  static async start(
    ns: RedirectNamespace,
    toml: string,
    wrapper: string[] = [],
  ): Promise<SensorProcess> {
    const configFile = await Deno.makeTempFile({ prefix: "spip-test-", suffix: ".toml" });
    await Deno.writeTextFile(configFile, toml);
    const child = ns.spawn([
      ...wrapper,
      Deno.execPath(),
      "run",
      ...START_FLAGS,
      `${ROOT}main.ts`,
      "--config",
      configFile,
    ]);
    const sensor = new SensorProcess(child, configFile);
    const deadline = Date.now() + 15_000;
    while (!(await ns.run(["ss", "-Hltn", `sport = :${ns.port}`])).stdout.includes(`:${ns.port}`)) {
      if (Date.now() > deadline) {
        await sensor.kill();
        throw new Error(`Cannot start the sensor: ${sensor.errors.join("\n")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return sensor;
  }

  /** The records printed so far, parsed. */
  records(): SensorRecord[] {
    return this.lines.filter((line) => line.length > 0).map((line) => JSON.parse(line));
  }

  /**
   * Waits until the records satisfy a condition.
   *
   * @param ready The condition.
   * @param timeoutMs How long to wait at most.
   * @returns The records.
   */
  async waitFor(
    ready: (records: SensorRecord[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<SensorRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = this.records();
      if (ready(records)) return records;
      if (Date.now() > deadline) {
        throw new Error(`Cannot see the expected records in time; have ${records.length}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Sends a signal and waits for the sensor to exit.
   *
   * @param signal The signal.
   * @param timeoutMs How long to wait before killing it.
   * @returns Its exit code and last stats line.
   */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = 10_000): Promise<SensorExit> {
    try {
      this.child.kill(signal);
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const status = await this.child.status;
    clearTimeout(timer);
    await this.#done;
    await Deno.remove(this.#configFile).catch(() => {});
    const statsLine = [...this.errors].reverse().find((line) => line.startsWith('{"type":"stats"'));
    return {
      code: status.code,
      stats: statsLine === undefined ? {} : JSON.parse(statsLine),
      stderr: this.errors.join("\n"),
    };
  }

  /** Kills the sensor outright; for clean-up after a failure. */
  async kill(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.child.status;
    await this.#done;
    await Deno.remove(this.#configFile).catch(() => {});
  }
}

/**
 * A configuration for tests: the namespace's port on dual stack, short timeouts.
 *
 * @param port The port.
 * @param extra More TOML lines; a top-level `idle_timeout` among them replaces the default 2 s.
 * @returns The TOML text.
 */
export function testConfig(port: number, extra = ""): string {
  // TOML sets a key once: an idle_timeout in `extra` replaces the short default.
  const idle = /^idle_timeout\s*=/m.test(extra) ? "" : "idle_timeout = 2\n";
  return `ip = "::"\nport = ${port}\nname = "test-sensor"\n${idle}${extra}\n`;
}
