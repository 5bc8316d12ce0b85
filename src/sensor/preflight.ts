/**
 * What `spip` checks before it runs, and what `spip check` prints: the TLS certificate files, the
 * output path and the firewall's programs for the configured mode. Every problem is an error
 * "Cannot load config FILE: ...", which the CLI turns into exit code 2 (systemd does not restart
 * on it: a restart cannot fix a configuration).
 *
 * @module
 */
import { type Config, configToToml } from "../config/config.ts";
import type { TomlDocument } from "../config/toml_document.ts";
import { loadCertificateFiles } from "../tls/certificates.ts";
import { largestRecordLineBytes } from "../output/line_bound.ts";

/**
 * Where the firewall's programs are looked for: systemd's default `PATH` for services (the
 * sensor is not given the environment's `PATH`).
 */
export const FIREWALL_TOOL_DIRS: readonly string[] = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
];

/**
 * Loads the `[tls]` certificate and key files, when set, as the sensor will.
 *
 * @param config The configuration.
 * @throws {Error} "Cannot load config FILE: key "tls.cert": Cannot load TLS certificate ...".
 */
export function checkTlsFiles(config: Config): void {
  const { certFile, keyFile } = config.tls;
  if (!config.tls.enabled || certFile === null || keyFile === null) return;
  try {
    loadCertificateFiles(certFile, keyFile);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const key = detail.includes(` ${keyFile}:`) && keyFile !== certFile ? "tls.key" : "tls.cert";
    throw new Error(`Cannot load config ${config.file}: key "${key}": ${detail}`);
  }
}

/**
 * Checks that records can be appended to the output file, without writing to it: an existing
 * file is opened for appending; a missing one is created and removed again.
 *
 * @param path The output path (`--output`, else the config's `output`).
 * @param config The configuration, for messages.
 * @throws {Error} "Cannot load config FILE: output PATH: ...".
 */
export function checkOutputPath(path: string, config: Config): void {
  try {
    let existed = true;
    try {
      Deno.lstatSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      existed = false;
    }
    const file = Deno.openSync(path, { append: true, createNew: !existed, mode: 0o640 });
    file.close();
    if (!existed) Deno.removeSync(path);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot load config ${config.file}: output ${path}: ${detail}`);
  }
}

/** Where each firewall program was found, or null. */
export type FirewallTools = Record<string, string | null>;

/**
 * Finds the programs `spip firewall apply` runs for the configured mode: iptables and ip6tables,
 * or nft; `ip` too in tproxy mode (policy routing).
 *
 * @param config The configuration.
 * @param dirs Where to look.
 * @returns Each program's path or null.
 * @throws {Error} "Cannot load config FILE: ..." when neither iptables + ip6tables nor nft is
 * there, or tproxy mode lacks `ip`.
 */
export function checkFirewallTools(
  config: Config,
  dirs: readonly string[] = FIREWALL_TOOL_DIRS,
): FirewallTools {
  const find = (name: string): string | null => {
    for (const dir of dirs) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch {
        // Not in this directory.
      }
    }
    return null;
  };
  const tools: FirewallTools = {};
  for (const name of ["iptables", "ip6tables", "nft", "ip"]) tools[name] = find(name);
  const iptables = tools["iptables"] !== null && tools["ip6tables"] !== null;
  if (!iptables && tools["nft"] === null) {
    throw new Error(
      `Cannot load config ${config.file}: mode "${config.mode}": the firewall needs iptables ` +
        `and ip6tables, or nft, and none is in ${dirs.join(":")}`,
    );
  }
  if (config.mode === "tproxy" && tools["ip"] === null) {
    throw new Error(
      `Cannot load config ${config.file}: mode "tproxy": the firewall needs ip (iproute2) for ` +
        `policy routing, and it is not in ${dirs.join(":")}`,
    );
  }
  return tools;
}

/** What `spip check` prints. */
export interface CheckReport {
  /** The configuration file read. */
  readonly config: string;
  /**
   * The resolved configuration in `config.toml`'s own keys and units ({@linkcode configToToml}):
   * every default filled in; read back as TOML it gives the same configuration.
   */
  readonly settings: TomlDocument;
  /** Where records go: the output file (`--output`, else the config's `output`), or "stdout". */
  readonly output: string;
  /** The firewall's programs, each path or null. */
  readonly firewall: FirewallTools;
  /** The longest record line these settings allow, newline included. */
  readonly largest_line_bytes: number;
}

/**
 * What `spip check` prints: the configuration file, its resolved settings keyed as in the file,
 * the output, the firewall's programs and the longest record line.
 *
 * @param config The configuration.
 * @param output The output path, or null for stdout.
 * @param firewall The firewall's programs.
 * @returns A JSON-ready report.
 */
export function checkReport(
  config: Config,
  output: string | null,
  firewall: FirewallTools,
): CheckReport {
  return {
    config: config.file,
    settings: configToToml(config),
    output: output ?? "stdout",
    firewall,
    largest_line_bytes: largestRecordLineBytes({
      readSize: config.readSize,
      tlsEnabled: config.tls.enabled,
      greetEnabled: config.greet.enabled,
      udpEnabled: config.udp.enabled,
      udpMaxDatagram: config.udp.maxDatagram,
    }),
  };
}

/**
 * The fields of the `start` line: what the sensor runs with.
 *
 * @param config The configuration.
 * @param details What the configuration does not hold.
 * @returns The fields, after `type`, `sensor_name` and `timestamp_ms`.
 */
export function startFields(
  config: Config,
  details: { version: string; output: string | null; outputMode: string },
): Record<string, unknown> {
  const greet = config.greet;
  return {
    version: details.version,
    pid: Deno.pid,
    ip: config.ip,
    port: config.port,
    mode: config.mode,
    accept_engine: config.accept,
    tls: {
      enabled: config.tls.enabled,
      certificate: config.tls.certFile === null ? "generated" : config.tls.certFile,
    },
    udp: config.udp.enabled ? { enabled: true, port: config.udp.port } : { enabled: false },
    greet: greet.enabled
      ? {
        enabled: true,
        after_s: greet.afterMs / 1000,
        detect_ssh: greet.detectSsh,
        default: greet.defaultProtocol ?? "none",
        ports: Object.fromEntries(greet.ports),
      }
      : { enabled: false },
    config: config.file,
    output: details.output ?? "stdout",
    output_mode: details.outputMode,
    stats_interval_s: config.statsIntervalMs / 1000,
    largest_line_bytes: largestRecordLineBytes({
      readSize: config.readSize,
      tlsEnabled: config.tls.enabled,
      greetEnabled: config.greet.enabled,
      udpEnabled: config.udp.enabled,
      udpMaxDatagram: config.udp.maxDatagram,
    }),
  };
}
