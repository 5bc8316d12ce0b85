/**
 * Command-line parsing for `main.ts`.
 *
 * @module
 */
import { parseArgs } from "../std.ts";
import { VERSION } from "./version.ts";

export { VERSION };

/** Exit codes, as documented in the README. */
export const ExitCode = {
  /** Stopped cleanly by SIGINT or SIGTERM. */
  Ok: 0,
  /** An unexpected failure. */
  Failure: 1,
  /** Bad arguments or a bad configuration (certificate files and output path included). */
  Usage: 2,
  /** The port is taken, usually by a running instance (cron may start a second one). */
  PortInUse: 3,
} as const;

/** The usage text for `--help`. */
export const USAGE =
  `spip ${VERSION}: an internet sensor that records every TCP connection (and, in tproxy mode,
every UDP datagram) the firewall sends it, as JSON lines.

Usage:
  spip [--config PATH] [--output PATH]
                           run the sensor; records go to stdout (or the output file);
                           on stderr one JSON line at start, then stats, diagnostics, stop
  spip check [--config PATH] [--output PATH]
                           load and check everything the sensor would (TLS files, output
                           path, firewall programs); print the resolved config as JSON
  spip firewall print|apply|remove [--nft] [--config PATH]
                           show, install or remove the rules that send every TCP port
                           (and UDP port, in tproxy mode) but SSH to the sensor
                           (iptables by default; --nft: nftables); --help for more
  spip report [FILE ...] [--html OUT.html] [--since T] [--until T] [--top N]
                           summarise records files (or stdin); see spip report --help
  spip --help              print this help
  spip --version           print the version

Options:
  -c, --config PATH   the configuration file. Default: config.toml beside the executable,
                      else config.toml in the working directory.
  -o, --output PATH   append records to this file instead of stdout (overrides the config's
                      output); SIGHUP reopens it after log rotation.

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 failure, 2 bad arguments or configuration,
3 port in use (another instance is running).`;

/** What the command line asks for. */
export interface Command {
  /** What to do. */
  action: "run" | "check" | "help" | "version";
  /** The `--config` path, if given. */
  config?: string;
  /** The `--output` path, if given. */
  output?: string;
}

/**
 * Parses the command line.
 *
 * @param args The arguments.
 * @returns The command.
 * @throws {TypeError} "Cannot parse arguments: ..." for an unknown flag or a missing value.
 */
export function parseCommand(args: string[]): Command {
  if (args[0] === "check") {
    const command = parseCommand(args.slice(1));
    return command.action === "run" ? { ...command, action: "check" } : command;
  }
  const unknown: string[] = [];
  const parsed = parseArgs(args, {
    string: ["config", "output"],
    boolean: ["help", "version"],
    alias: { c: "config", o: "output", h: "help", V: "version" },
    unknown: (arg) => {
      if (arg !== "") unknown.push(arg);
      return false;
    },
  });
  if (unknown.length > 0) {
    throw new TypeError(`Cannot parse arguments: unknown argument ${unknown[0]}; see --help`);
  }
  if (parsed["help"] === true) return { action: "help" };
  if (parsed["version"] === true) return { action: "version" };
  const config = parsed["config"];
  if (config === "" || (args.some((a) => a === "--config" || a === "-c") && config === undefined)) {
    throw new TypeError("Cannot parse arguments: --config needs a path");
  }
  const output = parsed["output"];
  if (output === "" || (args.some((a) => a === "--output" || a === "-o") && output === undefined)) {
    throw new TypeError("Cannot parse arguments: --output needs a path");
  }
  return {
    action: "run",
    ...(typeof config === "string" ? { config } : {}),
    ...(typeof output === "string" ? { output } : {}),
  };
}
