/**
 * The sensor's configuration: `config.toml`, its defaults, and where it is found.
 *
 * @module
 */
import { parseToml } from "../std.ts";
import { ConfigReader } from "./reader.ts";
import { type DuplicateKey, scanToml } from "./duplicate_keys.ts";
import { ipToBytes } from "../record/ip_address.ts";
import { DEFAULT_MODE, type Mode, MODES } from "./mode.ts";
import { ACCEPT_ENGINES, type AcceptEngine, DEFAULT_ACCEPT_ENGINE } from "./accept.ts";
import { readUdpConfig, type UdpConfig, udpToToml } from "./udp.ts";
import { readTlsConfig, type TlsConfig, tlsToToml } from "./tls.ts";
import { type BudgetConfig, budgetToToml, readBudgetConfig } from "./budget.ts";
import { type GreetConfig, greetToToml, readGreetConfig } from "./greet.ts";
import { secondsOf, type TomlDocument } from "./toml_document.ts";

/** The checked configuration. Durations are in milliseconds. */
export interface Config {
  /** The path the configuration was read from, for messages. */
  file: string;
  /** Address to bind; `"::"` listens on IPv6 and IPv4 (dual stack). Spip's key. */
  ip: string;
  /** Port to bind; the firewall redirects every other port here. Spip's key. */
  port: number;
  /** The sensor's name, carried on every record. Default: the host name. */
  name: string;
  /** Close a connection after this long without data. Default 10 s, as in Spip. */
  idleTimeoutMs: number;
  /** Close a connection this long after it was accepted, however active. Default 300 s. */
  maxLifetimeMs: number;
  /** Bytes recorded per session; bytes past it are counted, not logged. Default 1 MiB. */
  maxBytes: number;
  /** The most bytes one record carries; a longer burst spans several records. Default 4096. */
  readSize: number;
  /** Open connections at most; past it the oldest is closed to make room. Default 10000. */
  maxConnections: number;
  /** The listen backlog, raised through FFI. Default 4096 (the kernel caps it at somaxconn). */
  backlog: number;
  /** Write one record for a connection that sends nothing. Default true. */
  recordSilent: boolean;
  /** Time between stats lines on stderr, in ms; 0 writes them only at shutdown. Default 60 s. */
  statsIntervalMs: number;
  /** Bytes of records held while stdout is slow; past it records are shed and counted. 16 MiB. */
  outputBuffer: number;
  /** The file records are appended to; `null` (the default) writes them to stdout. */
  output: string | null;
  /** How traffic reaches the sensor: netfilter REDIRECT or TPROXY. Default "redirect". */
  mode: Mode;
  /** Which engine accepts connections: `accept4` (default) or Deno's own accept. */
  accept: AcceptEngine;
  /** The SSH port, which the firewall never captures. Default 22. */
  sshPort: number;
  /** Further ports the firewall never captures (TCP and UDP). Default none. */
  excludePorts: number[];
  /** UDP capture, the `[udp]` table; it requires `mode = "tproxy"`. */
  udp: UdpConfig;
  /** TLS recognition and termination on every port: the `[tls]` table. */
  tls: TlsConfig;
  /** The per-source session budget: the `[budget]` table. */
  budget: BudgetConfig;
  /** Speaking first to clients that wait for the server: the `[greet]` table. */
  greet: GreetConfig;
}

/** Seconds without data before a connection is closed, by default (Spip's value). */
export const DEFAULT_IDLE_TIMEOUT_S = 10;
/** Seconds a connection may live, however active, by default. */
export const DEFAULT_MAX_LIFETIME_S = 300;
/** Bytes logged per session by default. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Most bytes one record carries by default (Spip reads 4096 at a time). */
export const DEFAULT_READ_SIZE_BYTES = 4096;
/** Open connections at most, by default. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** The listen backlog asked for by default (the kernel caps it at somaxconn). */
export const DEFAULT_BACKLOG = 4096;
/** Seconds between stats lines by default, so that a running sensor shows in the journal. */
export const DEFAULT_STATS_INTERVAL_S = 60;
/** Bytes of records held while the output is slow, by default. */
export const DEFAULT_OUTPUT_BUFFER_BYTES = 16 * 1024 * 1024;
/** The SSH port the firewall never captures, by default. */
export const DEFAULT_SSH_PORT = 22;

/** The name used when the host name cannot be read. */
const FALLBACK_NAME = "spip";

function defaultName(): string {
  try {
    return Deno.hostname();
  } catch {
    return FALLBACK_NAME;
  }
}

function checkIp(value: string): string | null {
  return ipToBytes(value) === null ? 'an IPv4 or IPv6 address such as "0.0.0.0" or "::"' : null;
}

function checkPath(value: string): string | null {
  return value.length > 0 && !value.includes("\0") ? null : "a file path";
}

function checkName(value: string): string | null {
  return value.length > 0 && value.length <= 255 ? null : "a name of 1 to 255 characters";
}

/**
 * Checks a parsed TOML document and fills in the defaults.
 *
 * @param table The parsed document.
 * @param file The file it came from, for messages.
 * @param written Each key's value as written in the file (from {@linkcode scanToml}), by dotted
 * path, so that `80.0` for an integer key is refused; empty when unknown.
 * @returns The configuration.
 * @throws {TypeError} For a wrong type (a float for an integer included), a missing required key
 * or an unknown key.
 * @throws {RangeError} For a value out of range.
 */
export function configFromTable(
  table: Record<string, unknown>,
  file: string,
  written: ReadonlyMap<string, string> = new Map(),
): Config {
  const r = new ConfigReader(file, table, "", written);
  const ip = r.string("ip", undefined, checkIp);
  const port = r.integer("port", 1, 65535);
  const mode = r.choice("mode", MODES, DEFAULT_MODE);
  const idleTimeoutMs = r.seconds("idle_timeout", 0.1, 86400, DEFAULT_IDLE_TIMEOUT_S);
  const config: Config = {
    file,
    ip,
    port,
    name: r.has("name") ? r.string("name", undefined, checkName) : defaultName(),
    idleTimeoutMs,
    maxLifetimeMs: r.seconds("max_lifetime", 0.1, 86400 * 7, DEFAULT_MAX_LIFETIME_S),
    maxBytes: r.integer("max_bytes", 1, 2 ** 31, DEFAULT_MAX_BYTES),
    readSize: r.integer("read_size", 64, 1024 * 1024, DEFAULT_READ_SIZE_BYTES),
    maxConnections: r.integer("max_connections", 1, 1_000_000, DEFAULT_MAX_CONNECTIONS),
    backlog: r.integer("backlog", 1, 65535, DEFAULT_BACKLOG),
    recordSilent: r.boolean("record_silent", true),
    statsIntervalMs: r.seconds("stats_interval", 0, 86400, DEFAULT_STATS_INTERVAL_S),
    outputBuffer: r.integer("output_buffer", 65536, 2 ** 30, DEFAULT_OUTPUT_BUFFER_BYTES),
    output: r.has("output") ? r.string("output", undefined, checkPath) : null,
    mode,
    accept: r.choice("accept", ACCEPT_ENGINES, DEFAULT_ACCEPT_ENGINE),
    sshPort: r.integer("ssh_port", 1, 65535, DEFAULT_SSH_PORT),
    excludePorts: r.integerList("exclude_ports", 1, 65535, []),
    udp: readUdpConfig(r.table("udp"), file, mode, port),
    tls: readTlsConfig(r.table("tls"), file),
    budget: readBudgetConfig(r.table("budget")),
    greet: readGreetConfig(r.table("greet"), file, idleTimeoutMs),
  };
  r.finish();
  return config;
}

/** `line 3: key "port" is set twice, on lines 2 and 3`: the second line first, for editors. */
function duplicateDetail(duplicate: DuplicateKey): string {
  const what = duplicate.table === true
    ? `table [${duplicate.key}] is defined`
    : `key "${duplicate.key}" is set`;
  const where = duplicate.firstLine === duplicate.secondLine
    ? `on line ${duplicate.firstLine}`
    : `on lines ${duplicate.firstLine} and ${duplicate.secondLine}`;
  return `line ${duplicate.secondLine}: ${what} twice, ${where}`;
}

/**
 * The configuration as `config.toml` writes it: the inverse of {@linkcode configFromTable}, each
 * table mapped by its own file. Every key is present with its resolved value (defaults filled in,
 * durations in seconds), except the optional ones left unset (`output`, `tls.cert`, `tls.key`),
 * which TOML cannot write as null. Read back, it gives the same configuration.
 *
 * @param config The configuration.
 * @returns The document, keyed as in `config.toml`.
 */
export function configToToml(config: Config): TomlDocument {
  return {
    ip: config.ip,
    port: config.port,
    name: config.name,
    idle_timeout: secondsOf(config.idleTimeoutMs),
    max_lifetime: secondsOf(config.maxLifetimeMs),
    max_bytes: config.maxBytes,
    read_size: config.readSize,
    max_connections: config.maxConnections,
    backlog: config.backlog,
    record_silent: config.recordSilent,
    stats_interval: secondsOf(config.statsIntervalMs),
    output_buffer: config.outputBuffer,
    ...(config.output === null ? {} : { output: config.output }),
    mode: config.mode,
    accept: config.accept,
    ssh_port: config.sshPort,
    exclude_ports: [...config.excludePorts],
    udp: udpToToml(config.udp),
    tls: tlsToToml(config.tls),
    budget: budgetToToml(config.budget),
    greet: greetToToml(config.greet),
  };
}

/**
 * Parses and checks configuration text.
 *
 * @param text The TOML text.
 * @param file The file it came from, for messages.
 * @returns The configuration.
 * @throws {SyntaxError} "Cannot load config FILE: ..." for text that is not TOML, or that defines
 * a key or a table twice.
 * @throws {TypeError | RangeError} For a bad value; see {@linkcode configFromTable}.
 */
export function parseConfig(text: string, file: string): Config {
  // The scan comes first: for a table defined twice the parser's own message is cryptic.
  const scan = scanToml(text);
  const twice = scan.duplicate === null ? null : duplicateDetail(scan.duplicate);
  let table: Record<string, unknown>;
  try {
    table = parseToml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new SyntaxError(`Cannot load config ${file}: ${twice ?? detail}`);
  }
  if (twice !== null) throw new SyntaxError(`Cannot load config ${file}: ${twice}`);
  return configFromTable(table, file, scan.values);
}

/**
 * Reads, parses and checks a configuration file.
 *
 * @param file The path.
 * @returns The configuration.
 * @throws {Error} "Cannot load config FILE: ..." when the file cannot be read (`no such file`
 * when it is missing); see {@linkcode parseConfig} for the rest.
 */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(`Cannot load config ${file}: ${detail}`);
  }
  return parseConfig(text, file);
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Chooses the configuration file: the `--config` path when given; otherwise `config.toml`
 * beside the compiled executable, as the original Spip did; otherwise `config.toml` in the
 * working directory.
 *
 * @param flag The `--config` value, if any.
 * @param execPath The running executable, `Deno.execPath()`.
 * @returns The path to read.
 */
export function resolveConfigPath(flag: string | undefined, execPath: string): string {
  if (flag !== undefined) return flag;
  const executable = execPath.split("/").pop() ?? "";
  if (!/^deno(\.exe)?$/.test(executable)) {
    const beside = `${execPath.slice(0, execPath.length - executable.length)}config.toml`;
    if (exists(beside)) return beside;
  }
  return "config.toml";
}
