/**
 * The `[udp]` table of `config.toml`.
 *
 * @module
 */
import type { ConfigReader } from "./reader.ts";
import type { Mode } from "./mode.ts";
import { secondsOf, type TomlDocument } from "./toml_document.ts";

/** Why UDP cannot run in redirect mode; the configuration error says exactly this. */
export const UDP_NEEDS_TPROXY =
  'REDIRECT rewrites a datagram\'s destination port, so UDP requires mode = "tproxy"';

/** The `[udp]` settings. Durations in ms. */
export interface UdpConfig {
  /** Capture UDP. Default false. */
  enabled: boolean;
  /** The port TPROXY delivers datagrams to. Default: the top-level `port`. */
  port: number;
  /** Bytes kept of one datagram; longer ones are cut and marked truncated. Default 4096. */
  maxDatagram: number;
  /** Flows remembered at most; past it the least recently seen is forgotten. Default 10000. */
  maxFlows: number;
  /** Datagrams recorded per second at most; the rest are counted and dropped. Default 10000. */
  maxRate: number;
  /** A flow without a datagram for this long ends; the next starts a new session. Default 30 s. */
  idleTimeoutMs: number;
  /** The kernel receive buffer asked for, in bytes. Default 4 MiB. */
  receiveBuffer: number;
}

/**
 * Reads the `[udp]` table.
 *
 * @param udp A reader for the `[udp]` table.
 * @param file The configuration file, for messages.
 * @param mode The configured mode.
 * @param port The top-level port, the default UDP port.
 * @returns The UDP settings.
 * @throws {TypeError | RangeError} For a bad value; a RangeError when UDP is enabled in redirect
 * mode.
 */
export function readUdpConfig(
  udp: ConfigReader,
  file: string,
  mode: Mode,
  port: number,
): UdpConfig {
  const config: UdpConfig = {
    enabled: udp.boolean("enabled", false),
    port: udp.integer("port", 1, 65535, port),
    maxDatagram: udp.integer("max_datagram", 1, 65535, 4096),
    maxFlows: udp.integer("max_flows", 1, 1_000_000, 10_000),
    maxRate: udp.integer("max_rate", 1, 10_000_000, 10_000),
    idleTimeoutMs: udp.seconds("idle_timeout", 0.1, 86400, 30),
    receiveBuffer: udp.integer("receive_buffer", 65536, 2 ** 30, 4 * 1024 * 1024),
  };
  udp.finish();
  if (config.enabled && mode !== "tproxy") {
    throw new RangeError(`Cannot load config ${file}: key "udp.enabled": ${UDP_NEEDS_TPROXY}`);
  }
  return config;
}

/**
 * The `[udp]` table as `config.toml` writes it: the inverse of {@linkcode readUdpConfig}.
 *
 * @param udp The resolved settings.
 * @returns The table, every key present (`port` resolved from the top-level one when unset).
 */
export function udpToToml(udp: UdpConfig): TomlDocument {
  return {
    enabled: udp.enabled,
    port: udp.port,
    max_datagram: udp.maxDatagram,
    max_flows: udp.maxFlows,
    max_rate: udp.maxRate,
    idle_timeout: secondsOf(udp.idleTimeoutMs),
    receive_buffer: udp.receiveBuffer,
  };
}
