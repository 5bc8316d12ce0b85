/**
 * The firewall rules that send traffic to the sensor, computed from the configuration without
 * running anything: iptables/ip6tables commands, or an nftables ruleset, plus the policy-routing
 * commands TPROXY needs.
 *
 * Every object Spip installs is marked as its own, so that removal takes out exactly those:
 * - iptables: a chain named {@linkcode SPIP_CHAIN} in the `nat` (REDIRECT) or `mangle` (TPROXY)
 *   table, every rule in it and the one jump to it from PREROUTING carrying
 *   `-m comment --comment spip`;
 * - nftables: the table `inet spip`;
 * - policy routing (TPROXY): the rule and route carry the routing protocol
 *   {@linkcode ROUTE_PROTOCOL}.
 *
 * What is captured: new TCP connections (and UDP datagrams with `[udp] enabled`) addressed to
 * one of this host's own addresses, on every port except the SSH port (TCP only), the
 * `exclude_ports` and the sensor's own port. Traffic the host forwards (containers, VMs) is
 * left alone.
 *
 * @module
 */
import type { Config } from "../config/config.ts";

/** The comment on every iptables rule Spip installs. */
export const SPIP_COMMENT = "spip";
/** The name of Spip's iptables chain, in `nat` or `mangle`. */
export const SPIP_CHAIN = "SPIP";
/** The nftables table Spip installs, in family `inet`. */
export const NFT_TABLE = "spip";
/** The packet mark TPROXY sets, and the `ip rule` matches. */
export const FWMARK = 1;
/** The routing table that delivers marked packets locally (TPROXY). */
export const ROUTE_TABLE = 100;
/** The routing protocol number that marks Spip's `ip rule` and `ip route` entries (`'s'`). */
export const ROUTE_PROTOCOL = 115;

/** Which tool installs the rules. */
export type FirewallBackend = "iptables" | "nft";

/** The part of the configuration the firewall depends on. */
export interface FirewallSettings {
  /** The sensor's port: everything captured goes there. */
  port: number;
  /** REDIRECT (nat) or TPROXY (mangle plus policy routing). */
  mode: "redirect" | "tproxy";
  /** The SSH port, never captured for TCP. */
  sshPort: number;
  /** Further ports never captured, for TCP and UDP. */
  excludePorts: readonly number[];
  /** Capture UDP as well as TCP (TPROXY only). */
  udp: boolean;
}

/**
 * Picks the firewall settings out of the configuration.
 *
 * @param config The configuration.
 * @returns The settings.
 */
export function firewallSettings(config: Config): FirewallSettings {
  return {
    port: config.port,
    mode: config.mode,
    sshPort: config.sshPort,
    excludePorts: config.excludePorts,
    udp: config.udp.enabled,
  };
}

/** A transport the firewall can capture. */
export type Transport = "tcp" | "udp";

/**
 * The ports left alone for one transport, ascending and without repeats.
 *
 * @param settings The settings.
 * @param transport The transport.
 * @returns The excluded ports.
 */
export function excludedPorts(settings: FirewallSettings, transport: Transport): number[] {
  const ports = new Set([...settings.excludePorts, settings.port]);
  if (transport === "tcp") ports.add(settings.sshPort);
  return [...ports].sort((a, b) => a - b);
}

/**
 * The transports the rules capture.
 *
 * @param settings The settings.
 * @returns `["tcp"]`, or `["tcp", "udp"]` with UDP enabled.
 */
export function capturedTransports(settings: FirewallSettings): Transport[] {
  return settings.udp ? ["tcp", "udp"] : ["tcp"];
}

/**
 * Whether the rules would send a port's traffic to the sensor.
 *
 * @param settings The settings.
 * @param port The destination port.
 * @param transport The transport.
 * @returns True when traffic to that port is captured.
 */
export function capturesPort(
  settings: FirewallSettings,
  port: number,
  transport: Transport = "tcp",
): boolean {
  return capturedTransports(settings).includes(transport) &&
    !excludedPorts(settings, transport).includes(port);
}

/**
 * Checks that the settings describe a ruleset that can be built.
 *
 * @param settings The settings.
 * @throws {RangeError} "Cannot build firewall rules: ..." when UDP is enabled in REDIRECT mode
 *   (REDIRECT loses a datagram's original port), or the sensor's port is the SSH port.
 */
export function checkSettings(settings: FirewallSettings): void {
  if (settings.udp && settings.mode !== "tproxy") {
    throw new RangeError(
      'Cannot build firewall rules: [udp] enabled = true needs mode = "tproxy" ' +
        "(REDIRECT rewrites a datagram's destination port)",
    );
  }
  if (settings.port === settings.sshPort) {
    throw new RangeError(
      `Cannot build firewall rules: the sensor's port ${settings.port} is the SSH port (ssh_port)`,
    );
  }
}

/**
 * Reads the server port of the current SSH session from `SSH_CONNECTION`
 * ("client_ip client_port server_ip server_port").
 *
 * @param sshConnection The variable's value, if set.
 * @returns The port, or null outside an SSH session or for a malformed value.
 */
export function sshSessionPort(sshConnection: string | undefined): number | null {
  const field = sshConnection?.trim().split(/\s+/)[3];
  if (field === undefined || !/^\d{1,5}$/.test(field)) return null;
  const port = Number(field);
  return port >= 1 && port <= 65535 ? port : null;
}

/**
 * Finds why the rules must not be applied from this session: they would capture the port the
 * current SSH session came in on, or the sensor's own port.
 *
 * @param settings The settings.
 * @param sshConnection The value of `SSH_CONNECTION`, if set.
 * @returns A one-line "Cannot apply firewall: ..." message, or null when it is safe.
 */
export function refusalReason(
  settings: FirewallSettings,
  sshConnection: string | undefined,
): string | null {
  const sessionPort = sshSessionPort(sshConnection);
  if (sessionPort !== null && sessionPort === settings.port) {
    return `Cannot apply firewall: the sensor's port ${settings.port} is the port of the current ` +
      "SSH session (SSH_CONNECTION)";
  }
  if (sessionPort !== null && capturesPort(settings, sessionPort)) {
    return `Cannot apply firewall: it would capture port ${sessionPort} of the current SSH ` +
      `session (SSH_CONNECTION); set ssh_port = ${sessionPort} or add it to exclude_ports`;
  }
  if (capturesPort(settings, settings.port)) {
    return `Cannot apply firewall: it would capture the sensor's own port ${settings.port}`;
  }
  return null;
}

/** One command: the program and its arguments. */
export type Argv = readonly string[];

const COMMENT = ["-m", "comment", "--comment", SPIP_COMMENT] as const;

/** The iptables arguments of the jump from PREROUTING to Spip's chain. */
export const JUMP_RULE: Argv = ["PREROUTING", ...COMMENT, "-j", SPIP_CHAIN];

/**
 * The iptables table Spip's chain lives in for a mode.
 *
 * @param mode The mode.
 * @returns `nat` for REDIRECT, `mangle` for TPROXY.
 */
export function iptablesTable(mode: FirewallSettings["mode"]): "nat" | "mangle" {
  return mode === "redirect" ? "nat" : "mangle";
}

function chainRules(settings: FirewallSettings): string[][] {
  const rules: string[][] = [
    // Leave alone what this host only forwards (containers, VMs, routing).
    ["-m", "addrtype", "!", "--dst-type", "LOCAL", ...COMMENT, "-j", "RETURN"],
  ];
  if (settings.mode === "tproxy") {
    // Replies to this host's own connections (updates, DNS) must reach their sockets.
    rules.push(["-m", "conntrack", "--ctdir", "REPLY", ...COMMENT, "-j", "RETURN"]);
  }
  for (const transport of capturedTransports(settings)) {
    for (const port of excludedPorts(settings, transport)) {
      rules.push(["-p", transport, "--dport", String(port), ...COMMENT, "-j", "RETURN"]);
    }
    if (transport === "udp") {
      // Datagrams for a port a local program has open (DHCP, NTP, resolvers) stay theirs.
      rules.push(["-p", "udp", "-m", "socket", "--nowildcard", ...COMMENT, "-j", "RETURN"]);
    }
    const target = settings.mode === "redirect"
      ? ["REDIRECT", "--to-ports", String(settings.port)]
      : ["TPROXY", "--on-port", String(settings.port), "--tproxy-mark", `${FWMARK}/${FWMARK}`];
    rules.push(["-p", transport, ...COMMENT, "-j", ...target]);
  }
  return rules;
}

/**
 * The iptables and ip6tables commands that install the rules, in order. Run them on a system
 * without Spip's rules (remove them first).
 *
 * @param settings The settings.
 * @returns The commands.
 * @throws {RangeError} See {@linkcode checkSettings}.
 */
export function iptablesCommands(settings: FirewallSettings): Argv[] {
  checkSettings(settings);
  const table = iptablesTable(settings.mode);
  const commands: Argv[] = [];
  for (const program of ["iptables", "ip6tables"]) {
    commands.push([program, "-w", "-t", table, "-N", SPIP_CHAIN]);
    for (const rule of chainRules(settings)) {
      commands.push([program, "-w", "-t", table, "-A", SPIP_CHAIN, ...rule]);
    }
    commands.push([program, "-w", "-t", table, "-A", ...JUMP_RULE]);
  }
  return commands;
}

/**
 * The policy-routing commands TPROXY needs: marked packets are looked up in
 * {@linkcode ROUTE_TABLE}, where every address is local. None for REDIRECT.
 *
 * @param settings The settings.
 * @returns The commands.
 */
export function routingCommands(settings: FirewallSettings): Argv[] {
  if (settings.mode !== "tproxy") return [];
  const tag = String(ROUTE_PROTOCOL);
  const commands: Argv[] = [];
  for (const [family, everything] of [["-4", "0.0.0.0/0"], ["-6", "::/0"]] as const) {
    commands.push(
      ["ip", family, "rule", "add", "fwmark", String(FWMARK), "lookup", String(ROUTE_TABLE)]
        .concat(["protocol", tag]),
    );
    commands.push(
      ["ip", family, "route", "add", "local", everything, "dev", "lo", "table"]
        .concat([String(ROUTE_TABLE), "proto", tag]),
    );
  }
  return commands;
}

/**
 * The commands that delete what {@linkcode routingCommands} adds, whatever the mode.
 *
 * @returns The commands; each fails harmlessly when its entry is absent.
 */
export function routingRemovalCommands(): Argv[] {
  return routingCommands({ port: 1, mode: "tproxy", sshPort: 2, excludePorts: [], udp: false })
    .map((argv) => argv.map((arg) => (arg === "add" ? "del" : arg)));
}

function nftSet(ports: number[]): string {
  return ports.length === 1 ? String(ports[0]) : `{ ${ports.join(", ")} }`;
}

/**
 * The nftables ruleset, as a script for `nft -f`. It replaces the table `inet spip` in one
 * transaction, so applying it twice leaves one copy.
 *
 * @param settings The settings.
 * @returns The script.
 * @throws {RangeError} See {@linkcode checkSettings}.
 */
export function nftRuleset(settings: FirewallSettings): string {
  checkSettings(settings);
  const tproxy = settings.mode === "tproxy";
  const lines = [
    tproxy
      ? "type filter hook prerouting priority mangle; policy accept;"
      : "type nat hook prerouting priority dstnat; policy accept;",
    "fib daddr type != local return",
  ];
  if (tproxy) lines.push("ct direction reply return");
  for (const transport of capturedTransports(settings)) {
    lines.push(`${transport} dport ${nftSet(excludedPorts(settings, transport))} return`);
    if (transport === "udp") lines.push("meta l4proto udp socket transparent 0 return");
    lines.push(
      tproxy
        ? `meta l4proto ${transport} tproxy to :${settings.port} ` +
          `meta mark set meta mark | ${FWMARK} accept`
        : `meta l4proto ${transport} redirect to :${settings.port}`,
    );
  }
  return [
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    "\tchain prerouting {",
    ...lines.map((line) => `\t\t${line}`),
    "\t}",
    "}",
    "",
  ].join("\n");
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * Renders one command as a shell line.
 *
 * @param argv The command.
 * @returns The line.
 */
export function shellLine(argv: Argv): string {
  return argv.map(shellQuote).join(" ");
}

/**
 * The whole ruleset as a shell script, for `spip firewall print`: what `apply` runs.
 *
 * @param settings The settings.
 * @param backend iptables/ip6tables commands, or an nftables script.
 * @returns The script text, ending with a newline.
 * @throws {RangeError} See {@linkcode checkSettings}.
 */
export function firewallScript(settings: FirewallSettings, backend: FirewallBackend): string {
  const ssh = `ssh port ${settings.sshPort}`;
  const exclude = settings.excludePorts.length > 0
    ? `, exclude_ports ${settings.excludePorts.join(",")}`
    : "";
  const header = [
    "#!/bin/sh",
    `# Spip firewall: ${settings.mode} mode, ${capturedTransports(settings).join("+")}, ` +
    `to port ${settings.port}; not captured: ${ssh}${exclude}, the sensor's port.`,
    "# Remove with: spip firewall remove" + (backend === "nft" ? " --nft" : ""),
    "set -e",
  ];
  const body = backend === "nft"
    ? ["nft -f - <<'EOF'", nftRuleset(settings).trimEnd(), "EOF"]
    : iptablesCommands(settings).map(shellLine);
  return [...header, ...body, ...routingCommands(settings).map(shellLine), ""].join("\n");
}
