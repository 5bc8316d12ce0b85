/**
 * The `[tls]` table of `config.toml`: TLS recognition and termination on every port.
 *
 * @module
 */
import type { ConfigReader } from "./reader.ts";
import { secondsOf, type TomlDocument } from "./toml_document.ts";

/** The `[tls]` settings. Durations are in milliseconds. */
export interface TlsConfig {
  /** Whether TLS is recognised and terminated. Default true. */
  enabled: boolean;
  /** A PEM certificate shown to every client; null makes one per name. Default null. */
  certFile: string | null;
  /** The PEM key of {@linkcode TlsConfig.certFile}. Default null. */
  keyFile: string | null;
  /** How long a handshake may take. Default 10 s. */
  handshakeTimeoutMs: number;
  /** How many generated certificates are kept. Default 1000. */
  certCache: number;
}

/** How long a handshake may take after the hello, by default. */
export const DEFAULT_HANDSHAKE_TIMEOUT_S = 10;
/** Generated certificates kept by default. */
export const DEFAULT_CERT_CACHE = 1000;

/**
 * Reads the `[tls]` table.
 *
 * @param r The table's reader.
 * @param file The configuration file, for messages.
 * @returns The TLS settings.
 * @throws {TypeError | RangeError} For a bad value, or a certificate without its key.
 */
export function readTlsConfig(r: ConfigReader, file: string): TlsConfig {
  const tls: TlsConfig = {
    enabled: r.boolean("enabled", true),
    certFile: r.optionalString("cert"),
    keyFile: r.optionalString("key"),
    handshakeTimeoutMs: r.seconds("handshake_timeout", 0.1, 3600, DEFAULT_HANDSHAKE_TIMEOUT_S),
    certCache: r.integer("cert_cache", 1, 1_000_000, DEFAULT_CERT_CACHE),
  };
  if ((tls.certFile === null) !== (tls.keyFile === null)) {
    const [given, missing] = tls.certFile === null ? ["key", "cert"] : ["cert", "key"];
    throw new TypeError(
      `Cannot load config ${file}: key "tls.${missing}": expected a PEM file path ` +
        `(required with "tls.${given}"), found nothing`,
    );
  }
  r.finish();
  return tls;
}

/**
 * The `[tls]` table as `config.toml` writes it: the inverse of {@linkcode readTlsConfig}.
 * `cert` and `key` are left out when unset (a certificate is made per name).
 *
 * @param tls The resolved settings.
 * @returns The table, every other key present.
 */
export function tlsToToml(tls: TlsConfig): TomlDocument {
  return {
    enabled: tls.enabled,
    ...(tls.certFile === null ? {} : { cert: tls.certFile }),
    ...(tls.keyFile === null ? {} : { key: tls.keyFile }),
    handshake_timeout: secondsOf(tls.handshakeTimeoutMs),
    cert_cache: tls.certCache,
  };
}
