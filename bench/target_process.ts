/**
 * A sensor under test, running inside a bench namespace: its stdout either read from a pipe line
 * by line (fast, or deliberately slowly) or redirected to a file and read after it stops, its
 * stderr kept for the stats line, and its shutdown by SIGTERM.
 *
 * The file sink takes the harness off the sensor's critical path: on a 2-core machine a pipe
 * reader that parses and checks every record competes with the sensor and the client for CPU,
 * and a sensor that sheds records under a slow reader then sheds them.
 *
 * @module
 */
import type { InNamespace } from "../testing/namespace.ts";
import { executable, isListening } from "./process_stats.ts";
import { startTaskEnv } from "../testing/start_task.ts";

/** How the harness reads the target's stdout. */
export interface ReadPace {
  /** Bytes per read. */
  chunk: number;
  /** Pause after each read, in ms; 0 reads as fast as the pipe fills. */
  pauseMs: number;
}

/** Where the target's stdout goes: a file, or a pipe read at a pace. */
export type Sink = { file: string } | { pace: ReadPace };

/** Reads stdout as fast as it comes. */
export const FAST: ReadPace = { chunk: 1 << 18, pauseMs: 0 };

/** Reads nothing: a stopped reader (chunk 0), until the pace changes. */
export const STOPPED: ReadPace = { chunk: 0, pauseMs: 20 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the target said when it stopped. */
export interface TargetExit {
  /** Its exit code. */
  code: number;
  /** Its last stats line on stderr (`"type":"stats"`, or a baseline's untyped JSON), or null. */
  stats: Record<string, unknown> | null;
  /** The tail of its stderr, for messages. */
  stderrTail: string;
}

/** A running target. */
export class TargetProcess {
  /** The target's pid: the deno process itself, as `ip netns exec` execs it. */
  readonly pid: number;
  /** When the last stdout line arrived (`performance.now()`), or 0. */
  lastLineAt = 0;
  /** Lines read from stdout. */
  lines = 0;
  /** The last stats line seen on stderr so far, parsed, or null. */
  lastStats: Record<string, unknown> | null = null;
  readonly #child: Deno.ChildProcess;
  readonly #file: string | undefined;
  readonly #onLine: (line: string) => void;
  #fileSize = 0;
  #stdoutDone: Promise<void>;
  readonly #stderrText: Promise<string>;
  #pace: ReadPace;
  #exited = false;

  /**
   * Starts `argv` inside the namespace.
   *
   * @param ns The namespace.
   * @param argv The target's command line.
   * @param sink Where its stdout goes (a pipe's pace can change later).
   * @param onLine Called with each stdout line (for a file sink: after the target stops).
   */
  constructor(ns: InNamespace, argv: string[], sink: Sink, onLine: (line: string) => void) {
    this.#file = "file" in sink ? sink.file : undefined;
    this.#onLine = onLine;
    // `sh -c 'exec ...'` replaces the shell with deno, so the pid stays the target's own.
    const wrapped = this.#file === undefined
      ? argv
      : ["sh", "-c", `exec "$0" "$@" > '${this.#file}'`, ...argv];
    const [command, ...args] = ns.command(wrapped);
    this.#child = new Deno.Command(command ?? "ip", {
      args,
      env: startTaskEnv(),
      stdin: "null",
      stdout: this.#file === undefined ? "piped" : "null",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#pace = "pace" in sink ? sink.pace : FAST;
    this.#child.status.then(() => this.#exited = true);
    this.#stdoutDone = this.#file === undefined ? this.#readLines(onLine) : Promise.resolve();
    this.#stderrText = this.#readStderr();
  }

  /**
   * Changes how fast stdout is read.
   *
   * @param pace The new pace.
   */
  setPace(pace: ReadPace): void {
    this.#pace = pace;
  }

  async #readFile(file: string): Promise<void> {
    const stream = (await Deno.open(file)).readable.pipeThrough(new TextDecoderStream());
    let rest = "";
    for await (const chunk of stream) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      this.lines += lines.length;
      for (const line of lines) this.#onLine(line);
    }
    if (rest.length > 0) {
      this.lines++;
      this.#onLine(rest);
    }
  }

  #pollFile(): void {
    if (this.#file === undefined) return;
    try {
      const size = Deno.statSync(this.#file).size;
      if (size !== this.#fileSize) {
        this.#fileSize = size;
        this.lastLineAt = performance.now();
      }
    } catch { /* not there yet */ }
  }

  /** Keeps stderr, parsing each stats line as it arrives (`stats_interval`). */
  async #readStderr(): Promise<string> {
    let text = "";
    let lineStart = 0;
    for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      for (
        let end = text.indexOf("\n", lineStart);
        end !== -1;
        end = text.indexOf("\n", lineStart)
      ) {
        const line = text.slice(lineStart, end);
        lineStart = end + 1;
        if (line.startsWith('{"type":"stats"')) {
          try {
            this.lastStats = JSON.parse(line) as Record<string, unknown>;
          } catch { /* cut line */ }
        }
      }
    }
    return text;
  }

  /**
   * Waits until the target's stats lines (stderr) satisfy a condition.
   *
   * @param ready The condition on the last stats line.
   * @param timeoutMs How long to wait at most.
   * @returns When it was first seen (`performance.now()`), or null on timeout.
   */
  async waitStats(
    ready: (stats: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.#exited) {
      if (this.lastStats !== null && ready(this.lastStats)) return performance.now();
      await sleep(5);
    }
    return null;
  }

  async #readLines(onLine: (line: string) => void): Promise<void> {
    const reader = this.#child.stdout.getReader({ mode: "byob" });
    const decoder = new TextDecoder();
    let rest = "";
    let buffer = new Uint8Array(FAST.chunk);
    while (true) {
      const pace = this.#pace;
      if (pace.chunk === 0) {
        await sleep(pace.pauseMs);
        continue;
      }
      const { value, done } = await reader.read(buffer.subarray(0, pace.chunk));
      if (done || value === undefined) break;
      buffer = new Uint8Array(value.buffer);
      const text = rest + decoder.decode(value, { stream: true });
      const lines = text.split("\n");
      rest = lines.pop() ?? "";
      if (lines.length > 0) {
        this.lines += lines.length;
        this.lastLineAt = performance.now();
        for (const line of lines) onLine(line);
      }
      if (pace.pauseMs > 0) await sleep(pace.pauseMs);
    }
    if (rest.length > 0) {
      this.lines++;
      onLine(rest);
    }
  }

  /**
   * Waits until the target listens on its port.
   *
   * @param port The port.
   * @param timeoutMs How long to wait.
   * @throws {Error} When it does not listen in time or exits.
   */
  async waitListening(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!isListening(this.pid, port)) {
      if (this.#exited) {
        throw new Error(`Cannot start the target: it exited\n${await this.#stderrText}`);
      }
      if (Date.now() > deadline) throw new Error(`Cannot start the target: no listener on ${port}`);
      await sleep(20);
    }
  }

  /**
   * Whether the pid runs the target's program itself (and not a wrapper).
   *
   * @param program The program's path, such as `Deno.execPath()`.
   * @returns True when `/proc/PID/exe` is that program.
   */
  runs(program: string): boolean {
    return executable(this.pid) === program;
  }

  /**
   * Waits until no stdout line has arrived (no file growth) for `quietMs`, at most `timeoutMs`.
   *
   * @param quietMs The quiet time.
   * @param timeoutMs The bound.
   * @param enough Stops waiting early when it returns true (pipe sink only).
   */
  async waitQuiet(quietMs: number, timeoutMs: number, enough: () => boolean): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let seen = -1;
    let since = performance.now();
    while (performance.now() < deadline && (this.#file !== undefined || !enough())) {
      this.#pollFile();
      const now = this.#file === undefined ? this.lines : this.#fileSize;
      if (now !== seen) {
        seen = now;
        since = performance.now();
      } else if (performance.now() - since >= quietMs) return;
      await sleep(20);
    }
  }

  /**
   * Stops the target with SIGTERM (SIGKILL after `timeoutMs`) and reads what it left.
   *
   * @param timeoutMs How long SIGTERM may take.
   * @returns The exit code and stats.
   */
  async stop(timeoutMs = 10_000): Promise<TargetExit> {
    this.#pace = FAST;
    if (!this.#exited) this.#child.kill("SIGTERM");
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const status = await this.#child.status;
    clearTimeout(timer);
    if (this.#file !== undefined) this.#stdoutDone = this.#readFile(this.#file);
    await this.#stdoutDone;
    const stderr = await this.#stderrText;
    let stats: Record<string, unknown> | null = null;
    for (const line of stderr.trim().split("\n").reverse()) {
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
          // The sensor's stderr ends with its stats line and then its stop line; a baseline
          // prints its stats last.
          const type = (parsed as Record<string, unknown>)["type"];
          if (type !== undefined && type !== "stats") continue;
          stats = parsed as Record<string, unknown>;
          break;
        }
      } catch { /* not the stats line */ }
    }
    return { code: status.code, stats, stderrTail: stderr.slice(-2000) };
  }

  /** Kills the target at once; never throws. */
  kill(): void {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  /** Resolves when the process has exited. */
  get exited(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }
}
