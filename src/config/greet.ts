/**
 * The `[greet]` table of `config.toml`: speaking first to clients that wait for the server
 * (FTP, SMTP, POP3, IMAP, Telnet, MySQL, VNC, SSH).
 *
 * @module
 */
import type { ConfigReader } from "./reader.ts";
import { secondsOf, type TomlDocument } from "./toml_document.ts";

/** The protocols Spip can greet with, as named in `config.toml`. */
export const GREET_PROTOCOLS = [
  "ftp",
  "smtp",
  "pop3",
  "imap",
  "telnet",
  "mysql",
  "vnc",
  "ssh",
] as const;

/** A protocol Spip can greet with. */
export type GreetProtocol = typeof GREET_PROTOCOLS[number];

/** The name that switches greeting off for a port (or, as `default`, for unlisted ports). */
export const NO_GREETING = "none";

/** The `[greet]` settings. Durations are in milliseconds. */
export interface GreetConfig {
  /** Whether Spip ever writes to a client. Default true; false is Spip's silent behaviour. */
  enabled: boolean;
  /**
   * Silence before a client on a greeted port is greeted. Default 1.5 s, or half the idle
   * timeout when that is shorter than 3 s; it must be shorter than the idle timeout.
   */
  afterMs: number;
  /** The protocol per port: the built-in map, with `[greet.ports]` merged over it. */
  ports: ReadonlyMap<number, GreetProtocol>;
  /** The protocol for any port not in `ports`; null greets none. Default null (`"none"`). */
  defaultProtocol: GreetProtocol | null;
  /** Answer a client that opens with an SSH version line, on any port, at once. Default true. */
  detectSsh: boolean;
  /** Banner texts replacing the built-in ones, by protocol (`[greet.banners]`). Default none. */
  banners: Readonly<Partial<Record<GreetProtocol, string>>>;
}

/**
 * Seconds of silence before greeting, by default. Clients that speak first (HTTP, TLS, most
 * scanners' probes) do so within a round trip, far below 1.5 s even across continents, so they
 * are never greeted; clients that wait for the server wait longer (nmap's NULL probe 6 s, hydra,
 * curl, mail and database clients many seconds), so they are greeted before they give up. It
 * also leaves most of the 10 s idle timeout for the dialog.
 */
export const DEFAULT_GREET_AFTER_S = 1.5;

/** The built-in map from port to protocol: the well-known server-first ports. */
export const DEFAULT_GREET_PORTS: ReadonlyMap<number, GreetProtocol> = new Map([
  [21, "ftp"],
  [23, "telnet"],
  [2323, "telnet"],
  [25, "smtp"],
  [587, "smtp"],
  [2525, "smtp"],
  [110, "pop3"],
  [143, "imap"],
  [3306, "mysql"],
  [5900, "vnc"],
  [2222, "ssh"],
]);

/** Longest banner text accepted, in bytes (the banner is one line). */
export const MAX_BANNER_BYTES = 200;

const PROTOCOL_CHOICES: readonly string[] = [...GREET_PROTOCOLS, NO_GREETING];
const EXPECTED_PROTOCOL = `one of ${PROTOCOL_CHOICES.map((p) => JSON.stringify(p)).join(", ")}`;
/** Protocols whose banner can be replaced (VNC's greeting is its protocol version). */
const BANNER_PROTOCOLS: readonly GreetProtocol[] = GREET_PROTOCOLS.filter((p) => p !== "vnc");

function isProtocol(value: unknown): value is GreetProtocol {
  return typeof value === "string" && (GREET_PROTOCOLS as readonly string[]).includes(value);
}

function readProtocol(r: ConfigReader, key: string, value: unknown): GreetProtocol | null {
  if (value === NO_GREETING) return null;
  if (isProtocol(value)) return value;
  return r.reject(key, EXPECTED_PROTOCOL, value);
}

function readPorts(r: ConfigReader): Map<number, GreetProtocol> {
  const ports = new Map(DEFAULT_GREET_PORTS);
  for (const key of r.keys()) {
    const port = Number(key);
    if (!/^[0-9]{1,5}$/.test(key) || port < 1 || port > 65535) {
      r.reject(key, "a port number from 1 to 65535 as the key", key);
    }
    const protocol = readProtocol(r, key, r.raw(key));
    if (protocol === null) ports.delete(port);
    else ports.set(port, protocol);
  }
  return ports;
}

function readBanners(r: ConfigReader): Partial<Record<GreetProtocol, string>> {
  const banners: Partial<Record<GreetProtocol, string>> = {};
  const expectedKey = `one of ${BANNER_PROTOCOLS.map((p) => JSON.stringify(p)).join(", ")}`;
  for (const key of r.keys()) {
    const protocol = BANNER_PROTOCOLS.find((p) => p === key);
    if (protocol === undefined) r.reject(key, `${expectedKey} as the key`, key);
    const value = r.raw(key);
    if (
      typeof value !== "string" || value.length === 0 || value.length > MAX_BANNER_BYTES ||
      !/^[\x20-\x7e]+$/.test(value)
    ) {
      r.reject(key, `one line of 1 to ${MAX_BANNER_BYTES} printable ASCII characters`, value);
    }
    banners[protocol] = value;
  }
  return banners;
}

/**
 * Reads the `[greet]` table.
 *
 * @param r The table's reader.
 * @param file The configuration file, for messages.
 * @param idleTimeoutMs The top-level idle timeout: greeting must come before it.
 * @returns The greeting settings.
 * @throws {TypeError | RangeError} For a bad value or an unknown protocol name.
 */
export function readGreetConfig(r: ConfigReader, file: string, idleTimeoutMs: number): GreetConfig {
  const enabled = r.boolean("enabled", true);
  const given = r.has("after");
  // Under a short idle timeout the default delay shrinks to half of it; a given one must fit.
  const fallbackS = Math.min(DEFAULT_GREET_AFTER_S, idleTimeoutMs / 2000);
  const afterMs = r.seconds("after", 0.05, 3600, fallbackS);
  const defaultProtocol = r.has("default")
    ? readProtocol(r, "default", r.raw("default"))
    : (r.raw("default"), null);
  const greet: GreetConfig = {
    enabled,
    afterMs,
    ports: readPorts(r.table("ports")),
    defaultProtocol,
    detectSsh: r.boolean("detect_ssh", true),
    banners: readBanners(r.table("banners")),
  };
  r.finish();
  if (enabled && given && afterMs >= idleTimeoutMs) {
    throw new RangeError(
      `Cannot load config ${file}: key "greet.after": expected fewer seconds than ` +
        `idle_timeout (${idleTimeoutMs / 1000}), found ${afterMs / 1000}`,
    );
  }
  return greet;
}

/**
 * The `[greet]` table as `config.toml` writes it: the inverse of {@linkcode readGreetConfig}.
 * `after` is the resolved delay; `[greet.ports]` is the whole resolved map, with `"none"` for each
 * built-in port it removes (the file's map is merged over the built-in one, so a port left out
 * would come back); `[greet.banners]` holds the replaced banners only (the built-in texts are
 * the greeting code's, not configuration).
 *
 * @param greet The resolved settings.
 * @returns The table.
 */
export function greetToToml(greet: GreetConfig): TomlDocument {
  const ports: Record<string, string> = {};
  for (const port of DEFAULT_GREET_PORTS.keys()) {
    if (!greet.ports.has(port)) ports[String(port)] = NO_GREETING;
  }
  for (const [port, protocol] of greet.ports) ports[String(port)] = protocol;
  return {
    enabled: greet.enabled,
    after: secondsOf(greet.afterMs),
    default: greet.defaultProtocol ?? NO_GREETING,
    detect_ssh: greet.detectSsh,
    ports,
    banners: { ...greet.banners },
  };
}

/**
 * The protocol to greet a client with on a port.
 *
 * @param greet The settings.
 * @param port The port the client dialled.
 * @returns The protocol, or null for none.
 */
export function greetProtocolFor(greet: GreetConfig, port: number): GreetProtocol | null {
  return greet.ports.get(port) ?? greet.defaultProtocol;
}
