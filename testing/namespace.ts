/**
 * Throw-away network namespaces: {@linkcode RedirectNamespace}, whose loopback traffic to any TCP
 * port is REDIRECTed to one port as the firewall does on a sensor's VPS. Only loopback inside it
 * is ever used. The two-namespace setups (`veth_pair.ts`, `tproxy_pair.ts`) build on
 * {@linkcode inNamespace}.
 *
 * @module
 */
import { type CommandResult, must, run, type RunOptions } from "./command.ts";
import { startTaskEnv } from "./start_task.ts";

let created = 0;

/**
 * A name for a new namespace, unique across parallel runs (it holds the pid and a counter).
 *
 * @param tag A short word naming the user (a test file, a bench scenario, the demo).
 * @returns `spip-TAG-PID-N`.
 */
export function namespaceName(tag: string): string {
  return `spip-${tag}-${Deno.pid}-${++created}`;
}

/**
 * The argv that runs a command inside a namespace (`ip netns exec` execs the command, so the
 * process it starts is the command itself).
 *
 * @param name The namespace.
 * @param argv The command and its arguments.
 * @returns The wrapped argv.
 */
export function inNamespace(name: string, argv: readonly string[]): string[] {
  return ["ip", "netns", "exec", name, ...argv];
}

/** Anything that runs commands inside a network namespace. */
export interface InNamespace {
  /**
   * The argv that runs a command inside the namespace.
   *
   * @param argv The command and its arguments.
   * @returns The wrapped argv.
   */
  command(argv: string[]): string[];
}

/**
 * Deletes a namespace (which removes its links and rules); never throws, says on stderr when it
 * could not.
 *
 * @param name The namespace.
 */
export async function deleteNamespace(name: string): Promise<void> {
  const result = await run(["ip", "netns", "del", name]).catch((error) => ({
    code: 1,
    stderr: String(error),
  }));
  if (result.code !== 0) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`Cannot delete namespace ${name}: ${result.stderr.trim()}\n`),
    );
  }
}

/** Options for {@linkcode RedirectNamespace.create}. */
export interface RedirectOptions {
  /** Widen the ephemeral port range (1024-65000), for load clients. */
  widePortRange?: boolean;
}

/** A network namespace with iptables and ip6tables nat OUTPUT REDIRECT to one port. */
export class RedirectNamespace implements InNamespace {
  /** The namespace's name. */
  readonly name: string;
  /** The port every other TCP port on loopback is redirected to. */
  readonly port: number;
  #deleted = false;

  private constructor(name: string, port: number) {
    this.name = name;
    this.port = port;
  }

  /**
   * Creates the namespace, brings loopback up and installs the REDIRECT rules for IPv4 and IPv6.
   * On failure it deletes what it made.
   *
   * @param tag A short word for the name.
   * @param port The sensor's port.
   * @param options Extra settings.
   * @returns The namespace; call {@linkcode RedirectNamespace.delete} in a `finally`.
   */
  static async create(
    tag: string,
    port = 5555,
    options: RedirectOptions = {},
  ): Promise<RedirectNamespace> {
    const name = namespaceName(tag);
    await must(["ip", "netns", "add", name]);
    const ns = new RedirectNamespace(name, port);
    try {
      await ns.must(["ip", "link", "set", "lo", "up"]);
      for (const tool of ["iptables", "ip6tables"]) {
        await ns.must([
          tool,
          ...["-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-o", "lo"],
          ...["!", "--dport", String(port), "-j", "REDIRECT", "--to-ports", String(port)],
        ]);
      }
      if (options.widePortRange === true) {
        await ns.must(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000"]);
      }
    } catch (error) {
      await ns.delete();
      throw error;
    }
    return ns;
  }

  /**
   * The argv that runs a command inside the namespace.
   *
   * @param argv The command and its arguments.
   * @returns The wrapped argv.
   */
  command(argv: string[]): string[] {
    return inNamespace(this.name, argv);
  }

  /**
   * Runs a command inside the namespace and waits for it.
   *
   * @param argv The program and its arguments.
   * @param options Standard input and deadline.
   * @returns Its exit code and output.
   */
  run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return run(inNamespace(this.name, argv), options);
  }

  /**
   * Runs a command inside the namespace and fails unless it exits 0.
   *
   * @param argv The program and its arguments.
   * @param options Standard input and deadline.
   * @returns Its standard output.
   */
  must(argv: readonly string[], options: RunOptions = {}): Promise<string> {
    return must(inNamespace(this.name, argv), options);
  }

  /**
   * Starts a command inside the namespace without waiting for it.
   *
   * @param argv The program and its arguments.
   * @param stdin Whether standard input is piped.
   * @returns The child process, with stdout and stderr piped.
   */
  spawn(argv: readonly string[], stdin: "null" | "piped" = "null"): Deno.ChildProcess {
    const [program = "", ...args] = inNamespace(this.name, argv);
    // As the start task does: no background update check in a sensor started by `deno run`.
    const env = startTaskEnv();
    return new Deno.Command(program, { args, env, stdin, stdout: "piped", stderr: "piped" })
      .spawn();
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

  /** Deletes the namespace. Safe to call twice; never throws. */
  async delete(): Promise<void> {
    if (this.#deleted) return;
    this.#deleted = true;
    await deleteNamespace(this.name);
  }
}
