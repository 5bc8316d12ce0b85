/**
 * A throw-away network namespace whose loopback traffic to any TCP port is REDIRECTed to one
 * port, as the firewall does on a sensor's VPS. Only loopback inside it is ever used.
 *
 * @module
 */

import { startTaskEnv } from "../../bench/targets.ts";

let created = 0;

/** The output of a finished command. */
export interface CommandResult {
  /** The exit code. */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

/** A network namespace with iptables and ip6tables nat OUTPUT REDIRECT to one port. */
export class TestNamespace {
  /** The namespace's name. */
  readonly name: string;
  /** The port every other TCP port is redirected to. */
  readonly port: number;

  private constructor(name: string, port: number) {
    this.name = name;
    this.port = port;
  }

  /**
   * Creates the namespace, brings loopback up and installs the REDIRECT rules.
   *
   * @param area A short tag naming the test file, for the namespace's name.
   * @param port The sensor's port.
   * @returns The namespace; call {@linkcode TestNamespace.delete} in a finally block.
   */
  static async create(area: string, port = 5555): Promise<TestNamespace> {
    const name = `spip-${area}-${Deno.pid}-${++created}`;
    await host(["ip", "netns", "add", name]);
    const ns = new TestNamespace(name, port);
    try {
      await ns.must(["ip", "link", "set", "lo", "up"]);
      for (const tables of ["iptables", "ip6tables"]) {
        await ns.must([
          tables,
          ...["-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-o", "lo"],
          ...["!", "--dport", String(port), "-j", "REDIRECT", "--to-ports", String(port)],
        ]);
      }
    } catch (error) {
      await ns.delete();
      throw error;
    }
    return ns;
  }

  /**
   * Runs a command inside the namespace and waits for it.
   *
   * @param command The program and its arguments.
   * @param stdin Text for its standard input.
   * @returns Its exit code and output.
   */
  async run(command: string[], stdin?: string): Promise<CommandResult> {
    const child = this.spawn(command, stdin === undefined ? "null" : "piped");
    if (stdin !== undefined && child.stdin !== null) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(stdin));
      await writer.close();
    }
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  }

  /**
   * Runs a command inside the namespace and fails when it exits non-zero.
   *
   * @param command The program and its arguments.
   * @returns Its standard output.
   */
  async must(command: string[]): Promise<string> {
    const result = await this.run(command);
    if (result.code !== 0) {
      throw new Error(`Cannot run ${command.join(" ")}: exit ${result.code}: ${result.stderr}`);
    }
    return result.stdout;
  }

  /**
   * Starts a command inside the namespace without waiting for it.
   *
   * @param command The program and its arguments.
   * @param stdin Whether standard input is piped.
   * @returns The child process, with stdout and stderr piped.
   */
  spawn(command: string[], stdin: "null" | "piped" = "null"): Deno.ChildProcess {
    return new Deno.Command("ip", {
      args: ["netns", "exec", this.name, ...command],
      // As the start task does: no background update check in a sensor started by `deno run`.
      env: startTaskEnv(),
      stdin,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }

  /**
   * Runs a Python 3 script inside the namespace.
   *
   * @param script The script.
   * @returns Its exit code and output.
   */
  python(script: string): Promise<CommandResult> {
    return this.run(["python3", "-c", script]);
  }

  /** Deletes the namespace. Safe to call twice. */
  async delete(): Promise<void> {
    await host(["ip", "netns", "del", this.name]).catch(() => {});
  }
}

async function host(command: string[]): Promise<void> {
  const [program = "", ...args] = command;
  const out = await new Deno.Command(program, { args, stdout: "null", stderr: "piped" }).output();
  if (out.code !== 0) {
    const detail = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`Cannot run ${command.join(" ")}: ${detail}`);
  }
}
