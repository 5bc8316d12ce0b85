/**
 * Test fixture: the real `main.ts`, started with the permissions of `deno task start` inside the
 * sensor namespace of a {@linkcode TproxyPair}, stopped with SIGTERM, its records and stats read
 * back whole (stdout and stderr are drained while it runs).
 *
 * @module
 */
import { run } from "../../testing/command.ts";
import { inNamespace } from "../../testing/namespace.ts";
import { START_FLAGS } from "./_sensor_process.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** What a stopped sensor left. */
export interface SensorResult {
  /** Exit code. */
  code: number;
  /** Each stdout line, parsed. */
  records: Record<string, unknown>[];
  /** The last stderr line that parsed as a stats object, or `null`. */
  stats: Record<string, unknown> | null;
  /** All of stderr. */
  stderr: string;
}

/** A running sensor process. */
export class TproxySensor {
  readonly #child: Deno.ChildProcess;
  readonly #output: Promise<Deno.CommandOutput>;
  readonly #config: string;

  private constructor(child: Deno.ChildProcess, config: string) {
    this.#child = child;
    this.#output = child.output();
    this.#config = config;
  }

  /**
   * Writes the config to a temporary file and starts the sensor in a namespace.
   *
   * @param ns The namespace.
   * @param toml The configuration text.
   * @param wrapper A command to run the sensor under, such as `setpriv ...`.
   * @returns The process.
   */
  static async start(ns: string, toml: string, wrapper: string[] = []): Promise<TproxySensor> {
    const config = await Deno.makeTempFile({ prefix: "spip-udp-", suffix: ".toml" });
    await Deno.writeTextFile(config, toml);
    const child = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        ns,
        ...wrapper,
        Deno.execPath(),
        "run",
        ...START_FLAGS,
        MAIN,
        "-c",
        config,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new TproxySensor(child, config);
  }

  /**
   * Waits until a socket of the namespace listens on the port, TCP and (when asked) UDP.
   *
   * @param ns The namespace.
   * @param port The port.
   * @param udp Whether to wait for the UDP socket too.
   */
  async ready(ns: string, port: number, udp: boolean): Promise<void> {
    for (let i = 0; i < 150; i++) {
      const tcp = await run(inNamespace(ns, ["ss", "-Hltn", `sport = :${port}`]));
      const dgram = udp
        ? await run(inNamespace(ns, ["ss", "-Hlun", `sport = :${port}`]))
        : { stdout: "x" };
      if (tcp.stdout.trim() !== "" && dgram.stdout.trim() !== "") return;
      const exited = await Promise.race([
        this.#child.status.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 100)),
      ]);
      if (exited) throw new Error(`Cannot start the sensor: ${(await this.stop()).stderr}`);
    }
    throw new Error("Cannot start the sensor: not listening after 15 s");
  }

  /**
   * Waits for the process to exit by itself (bounded), else stops it, and reads its output.
   *
   * @param timeoutMs The longest to wait for a process that should exit by itself.
   * @returns What it left.
   */
  async exit(timeoutMs = 20_000): Promise<SensorResult> {
    const timer = setTimeout(() => this.#kill("SIGKILL"), timeoutMs);
    try {
      return await this.#collect();
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops the sensor with SIGTERM (SIGKILL after 10 s) and reads its output.
   *
   * @returns What it left.
   */
  async stop(): Promise<SensorResult> {
    this.#kill("SIGTERM");
    return await this.exit(10_000);
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  async #collect(): Promise<SensorResult> {
    const output = await this.#output;
    await Deno.remove(this.#config).catch(() => undefined);
    const records = decoder.decode(output.stdout).split("\n").filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const stderr = decoder.decode(output.stderr);
    let stats: Record<string, unknown> | null = null;
    for (const line of stderr.split("\n")) {
      if (!line.startsWith("{")) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed["type"] === "stats") stats = parsed;
    }
    return { code: output.code, records, stats, stderr };
  }
}
