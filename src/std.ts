/**
 * The sensor's one typed boundary around `deno-std@1.4.0`, the npm republication of the Deno
 * standard library (release 2026.07.30). That package ships plain JavaScript without types, so
 * every binding the sensor uses is given its real signature here, once. No other file of the
 * product imports `@std/...` directly, so no `any` leaks into the rest of the code. Tests and the
 * bench have their own boundary, `testing/std.ts`, which the product never imports.
 *
 * @module
 */
import { parse as untypedParseToml } from "@std/toml";
import { parseArgs as untypedParseArgs } from "@std/cli/parse-args";
import { generate as untypedGenerateUuidV7 } from "@std/uuid/v7";

/** A parsed TOML document: a table whose values are TOML values. */
export type TomlTable = Record<string, unknown>;

/**
 * Parses a TOML document.
 *
 * @param text The TOML source.
 * @returns The document's top-level table.
 * @throws {SyntaxError} When the text is not valid TOML.
 */
export const parseToml: (text: string) => TomlTable = untypedParseToml;

/** Options for {@linkcode parseArgs}, as `@std/cli` accepts them. */
export interface ParseArgsOptions {
  /** Flags that take a string value. */
  string?: string[];
  /** Flags that are true or false. */
  boolean?: string[];
  /** Other names for flags. */
  alias?: Record<string, string>;
  /** Flags that may be given several times; their values are collected into an array. */
  collect?: string[];
  /** Called for each unknown flag; returning false drops it. */
  unknown?: (arg: string) => boolean;
  /** Stop parsing at the first non-flag argument. */
  stopEarly?: boolean;
}

/** The result of {@linkcode parseArgs}: positionals in `_`, flags by name. */
export interface ParsedArgs {
  /** Positional arguments. */
  _: (string | number)[];
  /** Flags, by name. */
  [flag: string]: unknown;
}

/**
 * Parses command-line arguments.
 *
 * @param args The arguments, usually `Deno.args`.
 * @param options Which flags are strings or booleans, and their aliases.
 * @returns The parsed flags and positionals.
 */
export const parseArgs: (args: string[], options?: ParseArgsOptions) => ParsedArgs =
  untypedParseArgs;

/**
 * Makes a UUIDv7 (RFC 9562): 48 bits of epoch milliseconds, the version, 74 random bits.
 *
 * @param timestampMs The time, epoch milliseconds (truncated to 48 bits); now by default.
 * @returns The UUID as lowercase hyphenated text.
 * @throws {RangeError} When the time is not a non-negative integer.
 */
export const generateUuidV7: (timestampMs?: number) => string = untypedGenerateUuidV7;
