/**
 * The configuration written back in `config.toml`'s own vocabulary: its keys, its tables, its
 * units (seconds). Each table's file (`udp.ts`, `tls.ts`, ...) maps its resolved values back to
 * its keys next to where it reads them, and `spip check` prints the result. Read back as TOML,
 * such a document gives the same configuration.
 *
 * @module
 */

/** A value `config.toml` can hold. TOML has no null: an unset optional key is left out. */
export type TomlValue = string | number | boolean | readonly number[] | TomlDocument;

/** A TOML table, keyed as in `config.toml`. */
export interface TomlDocument {
  readonly [key: string]: TomlValue;
}

/**
 * A duration as `config.toml` writes it: in seconds.
 *
 * @param ms The duration in milliseconds, as the configuration holds it.
 * @returns The seconds; read back, they round to the same milliseconds.
 */
export function secondsOf(ms: number): number {
  return ms / 1000;
}
