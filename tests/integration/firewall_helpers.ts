/**
 * What the firewall's integration tests need on top of the shared veth pair (`testing/veth_pair.ts`):
 * foreign rules to leave alone, snapshots of everything a firewall could change, and stand-in
 * programs (a listener that reports original destinations, a client).
 *
 * @module
 */
import { TextLineStream } from "../../testing/std.ts";
import { must } from "../../testing/command.ts";
import { inNamespace } from "../../testing/namespace.ts";
import { VethPair } from "../../testing/veth_pair.ts";

export { CLIENT_V4, CLIENT_V6, SENSOR_V4, SENSOR_V6 } from "../../testing/veth_pair.ts";

/**
 * Runs a command inside a namespace and returns its stdout.
 *
 * @param ns The namespace.
 * @param argv The command.
 * @returns The standard output.
 * @throws {Error} When the command fails.
 */
export function inNs(ns: string, ...argv: string[]): Promise<string> {
  return must(inNamespace(ns, argv));
}

/** The two namespaces of a {@linkcode VethPair}, by name. */
export interface Topology {
  /** The namespace where the sensor and the firewall are. */
  sensor: string;
  /** The namespace the clients connect from. */
  client: string;
}

/**
 * Creates a sensor and a client namespace joined by a veth pair, runs `body`, and always
 * deletes both namespaces.
 *
 * @param body The test.
 */
export async function withTopology(body: (topology: Topology) => Promise<void>): Promise<void> {
  const pair = await VethPair.create("fw");
  try {
    await body({ sensor: pair.sensor, client: pair.client });
  } finally {
    await pair.close();
  }
}

/**
 * Installs rules, a routing rule and route, and an nftables table that belong to someone
 * else, so that the tests can check that Spip leaves them alone.
 *
 * @param ns The namespace.
 */
export async function installForeignRules(ns: string): Promise<void> {
  for (const program of ["iptables", "ip6tables"]) {
    for (const table of ["nat", "mangle"]) {
      // Rules without a verdict, so that packets still reach the jump appended after them.
      const foreign = ["-p", "tcp", "--dport", "9", "-m", "comment", "--comment", "spip-not"];
      await inNs(ns, program, "-t", table, "-A", "PREROUTING", ...foreign);
      await inNs(ns, program, "-t", table, "-I", "PREROUTING", "-p", "udp", "--dport", "9");
    }
  }
  await inNs(ns, "ip", "rule", "add", "fwmark", "1", "lookup", "100");
  await inNs(ns, "ip", "route", "add", "local", "203.0.113.0/24", "dev", "lo", "table", "100");
  await inNs(ns, "nft", "add", "table", "inet", "other");
  await inNs(
    ns,
    "nft",
    "add",
    "chain",
    "inet",
    "other",
    "input",
    "{ type filter hook input priority 0; }",
  );
}

/**
 * Everything the firewall could change in a namespace, with counters and dates taken out.
 *
 * @param ns The namespace.
 * @returns The text of iptables-save, ip6tables-save, nft, ip rule and ip route.
 */
export async function snapshot(ns: string): Promise<string> {
  const parts = [
    await inNs(ns, "iptables-save"),
    await inNs(ns, "ip6tables-save"),
    await inNs(ns, "nft", "list", "ruleset"),
    await inNs(ns, "ip", "-4", "rule"),
    await inNs(ns, "ip", "-6", "rule"),
    await inNs(ns, "ip", "-4", "route", "show", "table", "all"),
    await inNs(ns, "ip", "-6", "route", "show", "table", "all"),
  ];
  return withoutCounters(parts.join("\n---\n"));
}

/**
 * The output of iptables-save, ip6tables-save or nft without what changes by itself: comment
 * lines (they carry dates), packet and byte counters.
 *
 * @param text The output.
 * @returns The same output, comments dropped and counters zeroed.
 */
export function withoutCounters(text: string): string {
  return text.split("\n")
    .filter((line) => !line.startsWith("#"))
    .map((line) =>
      line.replace(/\[\d+:\d+\]/g, "[0:0]").replace(/counter packets \d+ bytes \d+/g, "counter")
    )
    .join("\n");
}

const LISTENER = `
import select, socket, struct, sys
port, ssh_port, transparent = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
def listen(p, transparent):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    if transparent:
        s.setsockopt(socket.IPPROTO_IPV6, 75, 1)  # IPV6_TRANSPARENT
    s.bind(("::", p))
    s.listen(16)
    return s
def plain(host):
    return host[7:] if host.startswith("::ffff:") else host
def original(c):
    try:
        raw = c.getsockopt(41, 80, 28)  # IP6T_SO_ORIGINAL_DST: sockaddr_in6
        return socket.inet_ntop(socket.AF_INET6, raw[8:24]), struct.unpack("!H", raw[2:4])[0]
    except OSError:
        pass
    try:
        raw = c.getsockopt(0, 80, 16)  # SO_ORIGINAL_DST: sockaddr_in
        return socket.inet_ntoa(raw[4:8]), struct.unpack("!H", raw[2:4])[0]
    except OSError:
        host, p = c.getsockname()[:2]
        return plain(host), p
sensor, ssh = listen(port, transparent), listen(ssh_port, False)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if transparent:
    udp.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT
udp.setsockopt(socket.SOL_IP, 20, 1)  # IP_RECVORIGDSTADDR
udp.bind(("0.0.0.0", port))
print("ready", flush=True)
while True:
    for s in select.select([sensor, ssh, udp], [], [])[0]:
        if s is udp:
            data, ancillary, _, peer = udp.recvmsg(512, 256)
            dst = "?"
            for level, kind, raw in ancillary:
                if level == socket.SOL_IP and kind == 20:
                    dst = "%s %d" % (socket.inet_ntoa(raw[4:8]), struct.unpack("!H", raw[2:4])[0])
            print("udp %s %s" % (dst, data.decode()), flush=True)
        else:
            c, _ = s.accept()
            host, p = original(c)
            c.sendall(("%s %s %d\\n" % ("ssh" if s is ssh else "sensor", host, p)).encode())
            c.close()
`;

const CLIENT = `
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
if kind == "udp":
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.sendto(b"hello", (host, port))
    print("sent")
    sys.exit()
s = socket.socket(family, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.connect((host, port))
    print(s.makefile().readline().strip())
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
`;

/** A stand-in for the sensor: reports each connection's original destination. */
export class Listener {
  readonly #child: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#lines = child.stdout.pipeThrough(new TextDecoderStream())
      .pipeThrough(new TextLineStream()).getReader();
  }

  /**
   * Starts the stand-in in a namespace: a TCP listener on `port` (and a UDP socket there) that
   * answers "sensor HOST PORT" with the original destination, and one on `sshPort` that answers
   * "ssh HOST PORT".
   *
   * @param ns The namespace.
   * @param port The sensor's port.
   * @param sshPort The SSH stand-in's port.
   * @param transparent Set IP_TRANSPARENT, as TPROXY needs.
   * @returns The running listener, once it listens.
   */
  static async start(
    ns: string,
    port: number,
    sshPort: number,
    transparent: boolean,
  ): Promise<Listener> {
    const child = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        ns,
        "python3",
        "-c",
        LISTENER,
        String(port),
        String(sshPort),
        transparent ? "1" : "0",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const listener = new Listener(child);
    try {
      const first = await listener.nextLine(5000);
      if (first !== "ready") throw new Error(`Cannot start the listener: it said ${first}`);
    } catch (error) {
      await listener.stop();
      throw error;
    }
    return listener;
  }

  /**
   * Reads the listener's next output line (one per UDP datagram).
   *
   * @param timeoutMs How long to wait.
   * @returns The line.
   */
  async nextLine(timeoutMs: number): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("Cannot read the listener: timed out")), timeoutMs);
    });
    try {
      const { value, done } = await Promise.race([this.#lines.read(), timeout]);
      if (done) throw new Error("Cannot read the listener: it exited");
      return value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the listener and waits for it. */
  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#lines.cancel().catch(() => {});
    await this.#child.status;
  }
}

/**
 * Connects from the client namespace and returns what the server said: "sensor HOST PORT",
 * "ssh HOST PORT", "refused" or "timeout".
 *
 * @param ns The client namespace.
 * @param host The address to dial.
 * @param port The port to dial.
 * @returns The answer.
 */
export async function connect(ns: string, host: string, port: number): Promise<string> {
  return (await inNs(ns, "python3", "-c", CLIENT, "tcp", host, String(port))).trim();
}

/**
 * Sends one UDP datagram "hello" from the client namespace.
 *
 * @param ns The client namespace.
 * @param host The address.
 * @param port The port.
 */
export async function sendDatagram(ns: string, host: string, port: number): Promise<void> {
  await inNs(ns, "python3", "-c", CLIENT, "udp", host, String(port));
}
