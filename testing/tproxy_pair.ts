/**
 * A {@linkcode VethPair} with TPROXY rules in the sensor's namespace that hand every TCP and UDP
 * packet arriving on the veth to one port. The client routes 198.51.100.0/24 and 2001:db8:1::/48
 * to the sensor, which owns neither: only TPROXY and the policy route `local ... table 100` make
 * them land on the sensor.
 *
 * The rules are the ones the docs give for tproxy mode, with an SSH exclusion (port 22). The
 * integration tests and the bench's UDP scenario both use it.
 *
 * @module
 */
import { must } from "./command.ts";
import { inNamespace } from "./namespace.ts";
import { SENSOR_V4, SENSOR_V6, VethPair } from "./veth_pair.ts";

export { CLIENT_V4, CLIENT_V6, SENSOR_V4, SENSOR_V6 } from "./veth_pair.ts";

/** The firewall front end that installs the rules. */
export type RuleSet = "iptables" | "nftables";

/** An IPv4 network routed from the client into the sensor's namespace (append `.N`). */
export const ROUTED_V4 = "198.51.100";
/** An IPv6 prefix routed from the client into the sensor's namespace (append a host part). */
export const ROUTED_V6 = "2001:db8:1::";

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
export class TproxyPair extends VethPair {
  readonly #port: number;
  readonly #rules: RuleSet;

  private constructor(tag: string, port: number, rules: RuleSet) {
    super(tag);
    this.#port = port;
    this.#rules = rules;
  }

  /**
   * Creates the namespaces, the veth pair, routes and TPROXY rules. On failure it removes what
   * it made.
   *
   * @param tag A short word for the names.
   * @param port The port TPROXY hands packets to.
   * @param rules The firewall front end.
   * @returns The pair; call {@linkcode TproxyPair.close} in a `finally`.
   */
  static override async create(
    tag: string,
    port = 5555,
    rules: RuleSet = "iptables",
  ): Promise<TproxyPair> {
    const pair = new TproxyPair(tag, port, rules);
    await pair.build();
    return pair;
  }

  /** The veth pair, then the client's routes, the rules and the sensor's policy routes. */
  protected override async setUp(): Promise<void> {
    await super.setUp();
    const [c, s, si] = [this.client, this.sensor, this.sensorIface];
    await must(["ip", "-n", c, "route", "add", `${ROUTED_V4}.0/24`, "via", SENSOR_V4]);
    await must(["ip", "-n", c, "-6", "route", "add", `${ROUTED_V6}/48`, "via", SENSOR_V6]);
    if (this.#rules === "iptables") {
      for (const rule of iptablesRules(this.#port, si)) await must(inNamespace(s, rule));
    } else {
      const file = await Deno.makeTempFile({ prefix: "spip-nft-", suffix: ".nft" });
      try {
        await Deno.writeTextFile(file, nftablesRuleset(this.#port, si));
        await must(inNamespace(s, ["nft", "-f", file]));
      } finally {
        await Deno.remove(file);
      }
    }
    await must(["ip", "-n", s, "rule", "add", "fwmark", "1", "lookup", "100"]);
    await must(["ip", "-n", s, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"]);
    await must(["ip", "-n", s, "-6", "rule", "add", "fwmark", "1", "lookup", "100"]);
    await must(["ip", "-n", s, "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "100"]);
  }
}
