/**
 * Two throw-away network namespaces, client and sensor, joined by a veth pair. Addresses are
 * documentation ranges that exist only inside these namespaces. The firewall tests install their
 * rules on it; `tproxy_pair.ts` adds TPROXY rules and routes.
 *
 * @module
 */
import { type CommandResult, must, run, type RunOptions } from "./command.ts";
import { deleteNamespace, inNamespace } from "./namespace.ts";

/** The client namespace's IPv4 address on the veth. */
export const CLIENT_V4 = "192.0.2.1";
/** The sensor namespace's IPv4 address on the veth. */
export const SENSOR_V4 = "192.0.2.2";
/** The client namespace's IPv6 address on the veth. */
export const CLIENT_V6 = "2001:db8::1";
/** The sensor namespace's IPv6 address on the veth. */
export const SENSOR_V6 = "2001:db8::2";

/** How long to wait for the kernel's link-local addresses after the links come up. */
const LINK_LOCAL_WAIT_MS = 3_000;
/** How often to look for them meanwhile. */
const LINK_LOCAL_POLL_MS = 20;

let pairs = 0;

/** Two namespaces joined by a veth pair. */
export class VethPair {
  /** The client namespace's name. */
  readonly client: string;
  /** The sensor namespace's name. */
  readonly sensor: string;
  /** The client side of the veth. */
  readonly clientIface: string;
  /** The sensor side of the veth. */
  readonly sensorIface: string;

  /**
   * Names the namespaces and links; {@linkcode VethPair.create} makes them.
   *
   * @param tag A short word for the names.
   */
  protected constructor(tag: string) {
    const n = ++pairs;
    this.client = `spip-${tag}-c${n}-${Deno.pid}`;
    this.sensor = `spip-${tag}-s${n}-${Deno.pid}`;
    this.clientIface = `sp${n}c${Deno.pid}`.slice(0, 15);
    this.sensorIface = `sp${n}s${Deno.pid}`.slice(0, 15);
  }

  /**
   * Creates both namespaces, the veth pair and its addresses (IPv6 without duplicate address
   * detection), and waits for the link-local addresses so that later snapshots compare equal.
   * On failure it removes what it made.
   *
   * @param tag A short word for the names.
   * @returns The pair; call {@linkcode VethPair.close} in a `finally`.
   */
  static async create(tag: string): Promise<VethPair> {
    const pair = new VethPair(tag);
    await pair.build();
    return pair;
  }

  /** Makes the namespaces and links, removing them again on failure. */
  protected async build(): Promise<void> {
    try {
      await this.setUp();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** The commands that make the pair; subclasses add theirs after calling it. */
  protected async setUp(): Promise<void> {
    const [c, s, ci, si] = [this.client, this.sensor, this.clientIface, this.sensorIface];
    await must(["ip", "netns", "add", c]);
    await must(["ip", "netns", "add", s]);
    await must([
      "ip",
      "link",
      "add",
      ci,
      "netns",
      c,
      "type",
      "veth",
      "peer",
      "name",
      si,
      "netns",
      s,
    ]);
    const ends = [[c, ci, CLIENT_V4, CLIENT_V6], [s, si, SENSOR_V4, SENSOR_V6]] as const;
    for (const [ns, iface, v4, v6] of ends) {
      await must(["ip", "-n", ns, "link", "set", "lo", "up"]);
      await must(["ip", "-n", ns, "addr", "add", `${v4}/24`, "dev", iface]);
      await must(["ip", "-n", ns, "-6", "addr", "add", `${v6}/64`, "dev", iface, "nodad"]);
      await must(inNamespace(ns, ["sysctl", "-qw", `net.ipv6.conf.${iface}.accept_dad=0`]));
      await must(["ip", "-n", ns, "link", "set", iface, "up"]);
    }
    for (const [ns, iface] of ends) await waitForLinkLocal(ns, iface);
  }

  /**
   * Runs a command in the client namespace.
   *
   * @param argv The command and its arguments.
   * @param options Standard input and deadline.
   * @returns Its output.
   */
  inClient(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return run(inNamespace(this.client, argv), options);
  }

  /**
   * Runs a command in the sensor namespace.
   *
   * @param argv The command and its arguments.
   * @param options Standard input and deadline.
   * @returns Its output.
   */
  inSensor(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return run(inNamespace(this.sensor, argv), options);
  }

  /** Deletes both namespaces (which removes the veth pair and every rule in them). */
  async close(): Promise<void> {
    for (const ns of [this.client, this.sensor]) {
      const listed = (await run(["ip", "netns", "list"])).stdout.split("\n");
      if (listed.some((line) => line.split(" ")[0] === ns)) await deleteNamespace(ns);
    }
  }
}

async function waitForLinkLocal(ns: string, iface: string): Promise<void> {
  const deadline = Date.now() + LINK_LOCAL_WAIT_MS;
  while (Date.now() < deadline) {
    const shown = await must(["ip", "-n", ns, "-6", "addr", "show", "dev", iface, "scope", "link"]);
    if (shown.includes("fe80")) return;
    await new Promise((resolve) => setTimeout(resolve, LINK_LOCAL_POLL_MS));
  }
}
