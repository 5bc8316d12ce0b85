/**
 * Two network namespaces, client and sensor, joined by a veth pair, with TPROXY
 * rules in the sensor's namespace that hand every TCP and UDP packet arriving on the veth to one
 * port. Addresses are documentation ranges that exist only inside these namespaces:
 *
 * - veth: client 192.0.2.1/24 and 2001:db8::1/64, sensor 192.0.2.2/24 and 2001:db8::2/64;
 * - the client routes 198.51.100.0/24 and 2001:db8:1::/48 to the sensor, which owns neither:
 *   only TPROXY and the policy route `local ... table 100` make them land on the sensor.
 *
 * The rules are the ones the README section "tproxy mode and UDP capture" gives, with an SSH
 * exclusion (port 22). The integration tests (`tests/integration/_tproxy_pair.ts`) and the bench's
 * UDP scenario both use it.
 *
 * @module
 */

/** The firewall front end that installs the rules. */
export type RuleSet = "iptables" | "nftables";

/** Addresses inside the pair. */
export const CLIENT_V4 = "192.0.2.1";
/** The sensor namespace's own IPv4 address on the veth. */
export const SENSOR_V4 = "192.0.2.2";
/** The client's IPv6 address on the veth. */
export const CLIENT_V6 = "2001:db8::1";
/** An IPv4 network routed from the client into the sensor's namespace. */
export const ROUTED_V4 = "198.51.100";
/** An IPv6 prefix routed from the client into the sensor's namespace. */
export const ROUTED_V6 = "2001:db8:1::";

/** The output of a finished command. */
export interface Output {
  /** The exit code. */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

const decoder = new TextDecoder();
let pairs = 0;

/**
 * Runs a command to completion, killed after `timeoutMs`.
 *
 * @param command The program.
 * @param args Its arguments.
 * @param timeoutMs The longest it may run.
 * @returns Its output.
 */
export async function run(command: string, args: string[], timeoutMs = 20_000): Promise<Output> {
  const output = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function must(command: string, ...args: string[]): Promise<void> {
  const result = await run(command, args);
  if (result.code !== 0) {
    throw new Error(`Cannot run ${command} ${args.join(" ")}: ${result.stderr.trim()}`);
  }
}

function iptablesRules(port: number, iface: string): string[][] {
  const rules: string[][] = [];
  for (const tool of ["iptables", "ip6tables"]) {
    const mangle = [tool, "-t", "mangle"];
    rules.push([...mangle, "-N", "SPIP_DIVERT"]);
    rules.push([...mangle, "-A", "SPIP_DIVERT", "-j", "MARK", "--set-mark", "1"]);
    rules.push([...mangle, "-A", "SPIP_DIVERT", "-j", "ACCEPT"]);
    const append = [...mangle, "-A", "PREROUTING", "-i", iface];
    // A packet of a connection a local socket already owns (the sensor's, or the host's own:
    // replies to its DNS queries, its downloads, its real services) is delivered to it.
    for (const protocol of ["tcp", "udp"]) {
      rules.push([...append, "-p", protocol, "-m", "socket", "--nowildcard", "-j", "SPIP_DIVERT"]);
    }
    rules.push([...append, "-p", "tcp", "--dport", "22", "-j", "RETURN"]);
    for (const protocol of ["tcp", "udp"]) {
      rules.push([
        ...append,
        ...["-p", protocol, "-j", "TPROXY", "--on-port", String(port), "--tproxy-mark", "1"],
      ]);
    }
  }
  return rules;
}

function nftablesRuleset(port: number, iface: string): string {
  return `table inet spip {
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    iifname "${iface}" meta l4proto { tcp, udp } socket transparent 0 return
    iifname "${iface}" tcp dport 22 return
    iifname "${iface}" meta l4proto { tcp, udp } tproxy to :${port} meta mark set 1 accept
  }
}
`;
}

/** Two namespaces joined by a veth pair, with TPROXY in the sensor's. */
export class TproxyPair {
  /** The client namespace. */
  readonly client: string;
  /** The sensor namespace. */
  readonly sensor: string;
  /** The sensor side of the veth. */
  readonly sensorIface: string;
  readonly #clientIface: string;

  private constructor(area: string) {
    const n = ++pairs;
    this.client = `spip-${area}-c${n}-${Deno.pid}`;
    this.sensor = `spip-${area}-s${n}-${Deno.pid}`;
    this.#clientIface = `sp${n}c${Deno.pid}`.slice(0, 15);
    this.sensorIface = `sp${n}s${Deno.pid}`.slice(0, 15);
  }

  /**
   * Creates the namespaces, the veth pair, routes and TPROXY rules. On failure it removes what
   * it made.
   *
   * @param area A short tag for the names.
   * @param port The port TPROXY hands packets to.
   * @param rules The firewall front end.
   * @returns The pair.
   */
  static async create(area: string, port: number, rules: RuleSet): Promise<TproxyPair> {
    const pair = new TproxyPair(area);
    try {
      await pair.#setUp(port, rules);
    } catch (error) {
      await pair.close();
      throw error;
    }
    return pair;
  }

  async #setUp(port: number, rules: RuleSet): Promise<void> {
    const [c, s, ci, si] = [this.client, this.sensor, this.#clientIface, this.sensorIface];
    await must("ip", "netns", "add", c);
    await must("ip", "netns", "add", s);
    await must("ip", "link", "add", ci, "netns", c, "type", "veth", "peer", "name", si, "netns", s);
    for (const [ns, iface] of [[c, ci], [s, si]] as const) {
      await must("ip", "-n", ns, "link", "set", "lo", "up");
      await must("ip", "-n", ns, "link", "set", iface, "up");
    }
    await must("ip", "-n", c, "addr", "add", `${CLIENT_V4}/24`, "dev", ci);
    await must("ip", "-n", s, "addr", "add", `${SENSOR_V4}/24`, "dev", si);
    await must("ip", "-n", c, "addr", "add", `${CLIENT_V6}/64`, "dev", ci, "nodad");
    await must("ip", "-n", s, "addr", "add", "2001:db8::2/64", "dev", si, "nodad");
    await must("ip", "-n", c, "route", "add", `${ROUTED_V4}.0/24`, "via", SENSOR_V4);
    await must("ip", "-n", c, "-6", "route", "add", `${ROUTED_V6}/48`, "via", "2001:db8::2");
    if (rules === "iptables") {
      for (const rule of iptablesRules(port, si)) await must("ip", "netns", "exec", s, ...rule);
    } else {
      const file = await Deno.makeTempFile({ prefix: "spip-nft-", suffix: ".nft" });
      try {
        await Deno.writeTextFile(file, nftablesRuleset(port, si));
        await must("ip", "netns", "exec", s, "nft", "-f", file);
      } finally {
        await Deno.remove(file);
      }
    }
    await must("ip", "-n", s, "rule", "add", "fwmark", "1", "lookup", "100");
    await must("ip", "-n", s, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100");
    await must("ip", "-n", s, "-6", "rule", "add", "fwmark", "1", "lookup", "100");
    await must("ip", "-n", s, "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "100");
  }

  /**
   * Runs a command in the client namespace.
   *
   * @param args The command and its arguments.
   * @param timeoutMs The longest it may run.
   * @returns Its output.
   */
  inClient(args: string[], timeoutMs = 20_000): Promise<Output> {
    return run("ip", ["netns", "exec", this.client, ...args], timeoutMs);
  }

  /**
   * Runs a command in the sensor namespace.
   *
   * @param args The command and its arguments.
   * @param timeoutMs The longest it may run.
   * @returns Its output.
   */
  inSensor(args: string[], timeoutMs = 20_000): Promise<Output> {
    return run("ip", ["netns", "exec", this.sensor, ...args], timeoutMs);
  }

  /** Deletes both namespaces (which removes the veth pair and every rule in them). */
  async close(): Promise<void> {
    for (const ns of [this.client, this.sensor]) {
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
  }
}
