/**
 * `spip firewall print|apply|remove`: shows, installs and removes the rules that send traffic
 * to the sensor, running iptables/ip6tables, nft and ip through `Deno.Command`.
 *
 * `apply` is idempotent (it first removes Spip's own rules, then installs one set, and rolls
 * back when a command fails); `remove` deletes exactly what `apply` installs, with either
 * backend, and never flushes or edits anything else.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { parseArgs } from "../std.ts";
import {
  type Argv,
  type FirewallBackend,
  firewallScript,
  type FirewallSettings,
  firewallSettings,
  iptablesCommands,
  JUMP_RULE,
  NFT_TABLE,
  nftRuleset,
  refusalReason,
  routingCommands,
  routingRemovalCommands,
  shellLine,
  SPIP_CHAIN,
} from "./rules.ts";

/** Where and how the firewall commands run. */
export interface FirewallOptions {
  /** Run every command inside this network namespace (`ip netns exec NAME`), for tests. */
  netns?: string;
}

/** The result of one command. */
interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

async function run(argv: Argv, options: FirewallOptions, stdin?: string): Promise<Outcome> {
  const full = options.netns === undefined
    ? [...argv]
    : ["ip", "netns", "exec", options.netns, ...argv];
  const [program, ...args] = full;
  if (program === undefined) throw new TypeError("Cannot run an empty command");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${program}: command not found` };
    }
    throw error;
  }
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

async function mustRun(argv: Argv, options: FirewallOptions, stdin?: string): Promise<void> {
  const outcome = await run(argv, options, stdin);
  if (outcome.code !== 0) {
    throw new Error(
      `Cannot apply firewall: ${shellLine(argv)} failed (exit ${outcome.code}): ` +
        firstLine(outcome.stderr || outcome.stdout),
    );
  }
}

/** The most copies of one of Spip's entries `remove` deletes (a bound on its loops). */
const MAX_COPIES = 64;

async function removeIptables(program: string, options: FirewallOptions): Promise<void> {
  for (const table of ["nat", "mangle"]) {
    const list = await run([program, "-w", "-t", table, "-S", SPIP_CHAIN], options);
    if (list.code === 127) return; // The program is not installed: nothing of ours can be there.
    for (let i = 0; i < MAX_COPIES; i++) {
      const check = await run([program, "-w", "-t", table, "-C", ...JUMP_RULE], options);
      if (check.code !== 0) break;
      await mustRemove([program, "-w", "-t", table, "-D", ...JUMP_RULE], options);
    }
    if (list.code !== 0) continue; // No chain of ours in this table.
    await mustRemove([program, "-w", "-t", table, "-F", SPIP_CHAIN], options);
    await mustRemove([program, "-w", "-t", table, "-X", SPIP_CHAIN], options);
  }
}

async function mustRemove(argv: Argv, options: FirewallOptions): Promise<void> {
  const outcome = await run(argv, options);
  if (outcome.code !== 0) {
    throw new Error(
      `Cannot remove firewall: ${shellLine(argv)} failed (exit ${outcome.code}): ` +
        firstLine(outcome.stderr || outcome.stdout),
    );
  }
}

async function removeNft(options: FirewallOptions): Promise<void> {
  const list = await run(["nft", "list", "table", "inet", NFT_TABLE], options);
  if (list.code !== 0) return; // Not installed, or no table of ours.
  await mustRemove(["nft", "delete", "table", "inet", NFT_TABLE], options);
}

async function removeRouting(options: FirewallOptions): Promise<void> {
  // Each entry carries Spip's routing protocol, so `del` matches only ours; it fails once
  // none is left.
  for (const argv of routingRemovalCommands()) {
    for (let i = 0; i < MAX_COPIES; i++) {
      if ((await run(argv, options)).code !== 0) break;
    }
  }
}

/**
 * Removes every rule, chain, table and routing entry Spip installs, with both backends and
 * in both modes, leaving everything else untouched. Does nothing when none is installed.
 *
 * @param options Where to run.
 * @throws {Error} "Cannot remove firewall: ..." when a command fails.
 */
export async function removeFirewall(options: FirewallOptions = {}): Promise<void> {
  await removeIptables("iptables", options);
  await removeIptables("ip6tables", options);
  await removeNft(options);
  await removeRouting(options);
}

/**
 * Installs the rules: removes Spip's own first, so that applying twice leaves one set; on a
 * failure, removes what it installed and rethrows.
 *
 * @param settings The settings.
 * @param backend The tool to install with.
 * @param sshConnection The value of `SSH_CONNECTION`, to protect the current session.
 * @param options Where to run.
 * @throws {RangeError} "Cannot apply firewall: ..." when the rules would capture the current SSH
 *   session's port or the sensor's own port, or cannot be built; nothing is changed then.
 * @throws {Error} "Cannot apply firewall: ..." when a command fails.
 */
export async function applyFirewall(
  settings: FirewallSettings,
  backend: FirewallBackend,
  sshConnection: string | undefined,
  options: FirewallOptions = {},
): Promise<void> {
  const refusal = refusalReason(settings, sshConnection);
  if (refusal !== null) throw new RangeError(refusal);
  // Build everything before touching the system, so that a bad setting changes nothing.
  const commands = backend === "nft" ? [] : iptablesCommands(settings);
  const ruleset = backend === "nft" ? nftRuleset(settings) : "";
  await removeFirewall(options);
  try {
    if (backend === "nft") await mustRun(["nft", "-f", "-"], options, ruleset);
    for (const argv of [...commands, ...routingCommands(settings)]) await mustRun(argv, options);
  } catch (error) {
    await removeFirewall(options).catch(() => {});
    throw error;
  }
}

/** What `spip firewall ...` asks for. */
export interface FirewallCommand {
  /** What to do; `help` prints {@linkcode FIREWALL_HELP}. */
  action: "print" | "apply" | "remove" | "help";
  /** Use nftables instead of iptables. */
  backend: FirewallBackend;
  /** The `--config` path, if given. */
  config?: string;
}

/** The usage line of `spip firewall`. */
export const FIREWALL_USAGE = "spip firewall print|apply|remove [--nft] [--config PATH]";

/** The text of `spip firewall --help`. */
export const FIREWALL_HELP = `Usage: ${FIREWALL_USAGE}

Shows, installs or removes the netfilter rules that send every TCP port but SSH (and the
configured exclude_ports) to the sensor; with mode = "tproxy" and [udp] enabled, every UDP port
too. Run apply before the sensor starts and remove after it stops, as root.

  print            print the rules for the configuration, change nothing
  apply            install them (idempotent: Spip's own earlier rules are replaced first)
  remove           remove them, leaving every other rule as it was
  --nft            nftables (one inet table) instead of iptables and ip6tables
  -c, --config PATH  the configuration file, found as the sensor finds it
  -h, --help       print this help`;

/**
 * Parses the arguments after `firewall`.
 *
 * @param args The arguments, e.g. `["apply", "--nft"]`.
 * @returns The command.
 * @throws {TypeError} "Cannot parse arguments: ..." for a missing or unknown action or flag.
 */
export function parseFirewallArgs(args: string[]): FirewallCommand {
  const unknown: string[] = [];
  const parsed = parseArgs(args, {
    string: ["config"],
    boolean: ["nft", "help"],
    alias: { c: "config", h: "help" },
    unknown: (arg) => {
      if (arg.startsWith("-")) unknown.push(arg);
      return !arg.startsWith("-");
    },
  });
  if (unknown.length > 0) {
    throw new TypeError(
      `Cannot parse arguments: unknown argument ${unknown[0]}; usage: ${FIREWALL_USAGE}`,
    );
  }
  if (parsed["help"] === true) return { action: "help", backend: "iptables" };
  const [action, ...rest] = parsed._.map(String);
  if (action !== "print" && action !== "apply" && action !== "remove") {
    const found = action === undefined ? "no action" : `"${action}"`;
    throw new TypeError(
      `Cannot parse arguments: expected print, apply or remove, found ${found}; usage: ${FIREWALL_USAGE}`,
    );
  }
  if (rest.length > 0) {
    throw new TypeError(
      `Cannot parse arguments: unexpected "${rest[0]}"; usage: ${FIREWALL_USAGE}`,
    );
  }
  const config = parsed["config"];
  if (config === "" || (args.some((a) => a === "--config" || a === "-c") && config === undefined)) {
    throw new TypeError("Cannot parse arguments: --config needs a path");
  }
  const backend = parsed["nft"] === true ? "nft" : "iptables";
  return typeof config === "string" ? { action, backend, config } : { action, backend };
}

/** Where `runFirewallCommand` writes, and what it reads; tests replace them. */
export interface FirewallCommandOptions extends FirewallOptions {
  /** Writes the printed ruleset. Default: stdout. */
  stdout?: (text: string) => void;
  /** Writes one diagnostic line. Default: stderr. */
  stderr?: (line: string) => void;
  /** The value of `SSH_CONNECTION`. Default: read from the environment. */
  sshConnection?: string | undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `spip firewall print|apply|remove [--nft] [--config PATH]` (the `--config` flag is
 * accepted and ignored here: the caller loads the configuration).
 *
 * @param args The arguments after `firewall`.
 * @param config The loaded configuration.
 * @param options Output, environment and namespace; defaults suit the CLI.
 * @returns The exit code: 0 done, 1 refused or failed, 2 bad arguments.
 */
export async function runFirewallCommand(
  args: string[],
  config: Config,
  options: FirewallCommandOptions = {},
): Promise<number> {
  const encoder = new TextEncoder();
  const stdout = options.stdout ?? ((text) => void Deno.stdout.writeSync(encoder.encode(text)));
  const stderr = options.stderr ??
    ((line) => void Deno.stderr.writeSync(encoder.encode(`${line}\n`)));
  let command: FirewallCommand;
  try {
    command = parseFirewallArgs(args);
  } catch (error) {
    stderr(message(error));
    return 2;
  }
  if (command.action === "help") {
    stdout(`${FIREWALL_HELP}\n`);
    return 0;
  }
  const settings = firewallSettings(config);
  try {
    if (command.action === "print") {
      stdout(firewallScript(settings, command.backend));
    } else if (command.action === "apply") {
      const sshConnection = "sshConnection" in options
        ? options.sshConnection
        : Deno.env.get("SSH_CONNECTION");
      await applyFirewall(settings, command.backend, sshConnection, options);
      stderr(
        `spip firewall: applied (${settings.mode}, ${command.backend}) to port ${settings.port}`,
      );
    } else {
      await removeFirewall(options);
      stderr("spip firewall: removed");
    }
  } catch (error) {
    const line = message(error).split("\n")[0] ?? "";
    // A missing Deno permission reads "Requires run access to ...".
    stderr(line.startsWith("Cannot ") ? line : `Cannot ${command.action} firewall: ${line}`);
    return 1;
  }
  return 0;
}
