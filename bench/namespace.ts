/**
 * A throw-away network namespace for one bench scenario: loopback up, and NAT that sends every
 * TCP port on loopback to the sensor's port, as a production firewall would.
 *
 * @module
 */

async function run(args: string[]): Promise<void> {
  const output = await new Deno.Command(args[0] ?? "", {
    args: args.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const detail = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`Cannot run ${args.join(" ")}: ${detail}`);
  }
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

/** A network namespace the bench made and must delete. */
export class Namespace implements InNamespace {
  /** The namespace's name. */
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /**
   * Creates a namespace with loopback up and every TCP port on loopback but `port` redirected
   * to `port`, for IPv4 and IPv6. It also widens the ephemeral port range inside it.
   *
   * @param tag A short word for the name; the name adds the bench's pid and a counter.
   * @param port The sensor's port.
   * @returns The namespace; call {@linkcode Namespace.delete} in a `finally`.
   */
  static async create(tag: string, port: number): Promise<Namespace> {
    const name = `spip-bench-${tag}-${Deno.pid}-${++created}`;
    await run(["ip", "netns", "add", name]);
    const ns = new Namespace(name);
    try {
      await run(ns.command(["ip", "link", "set", "lo", "up"]));
      for (const tool of ["iptables", "ip6tables"]) {
        await run(ns.command([
          tool,
          "-t",
          "nat",
          "-A",
          "OUTPUT",
          "-p",
          "tcp",
          "-o",
          "lo",
          "!",
          "--dport",
          String(port),
          "-j",
          "REDIRECT",
          "--to-ports",
          String(port),
        ]));
      }
      await run(ns.command(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000"]));
    } catch (error) {
      await ns.delete();
      throw error;
    }
    return ns;
  }

  /**
   * The argv that runs a command inside the namespace (`ip netns exec` execs the command, so
   * the process it starts is the command itself).
   *
   * @param argv The command and its arguments.
   * @returns The wrapped argv.
   */
  command(argv: string[]): string[] {
    return ["ip", "netns", "exec", this.name, ...argv];
  }

  /** Deletes the namespace; never throws. */
  async delete(): Promise<void> {
    try {
      await run(["ip", "netns", "del", this.name]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      Deno.stderr.writeSync(new TextEncoder().encode(`${message}\n`));
    }
  }
}

let created = 0;
