/**
 * A bench load client running inside a namespace, and its JSON-line events.
 *
 * @module
 */
import type { InNamespace } from "../testing/namespace.ts";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A load client inside a namespace: its JSON lines on stdout, handed out as they come. */
export class ClientProcess {
  /** The client's pid. */
  readonly pid: number;
  readonly #child: Deno.ChildProcess;
  readonly #events: Record<string, unknown>[] = [];
  readonly #done: Promise<void>;
  #exited = false;

  /**
   * Starts a client inside a namespace: a script of `bench/` (`clientArgv`) or the C load client.
   *
   * @param ns The namespace.
   * @param argv The client's command line.
   */
  constructor(ns: InNamespace, argv: string[]) {
    const [command, ...rest] = ns.command(argv);
    this.#child = new Deno.Command(command ?? "ip", {
      args: rest,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.pid = this.#child.pid;
    this.#child.status.then(() => this.#exited = true);
    this.#done = this.#read();
  }

  async #read(): Promise<void> {
    const text = this.#child.stdout.pipeThrough(new TextDecoderStream());
    let rest = "";
    for await (const chunk of text) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) this.#events.push(JSON.parse(line) as Record<string, unknown>);
    }
  }

  /**
   * Waits for the first event with this name.
   *
   * @param name The event's name.
   * @param timeoutMs How long to wait.
   * @returns The event.
   * @throws {Error} When the client exits first or the time runs out.
   */
  async event(name: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.#events.find((e) => e["event"] === name);
      if (found !== undefined) return found;
      if (this.#exited) {
        await this.#done;
        const late = this.#events.find((e) => e["event"] === name);
        if (late !== undefined) return late;
        throw new Error(`Cannot run the load client: it exited before "${name}"`);
      }
      await sleep(20);
    }
    throw new Error(`Cannot run the load client: no "${name}" within ${timeoutMs} ms`);
  }

  /** Tells a holding client to go on (a line on its stdin). */
  async release(): Promise<void> {
    const writer = this.#child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("go\n"));
    await writer.close();
  }

  /** Kills the client if it still runs and waits for it; never throws. */
  async stop(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    await this.#child.status;
    try {
      await this.#child.stdin.close();
    } catch { /* closed */ }
    await this.#done.catch(() => {});
  }
}
