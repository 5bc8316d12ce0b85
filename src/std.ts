/**
 * The one typed boundary around `deno-std@1.4.0`, the npm republication of the Deno standard
 * library (release 2026.07.30). That package ships plain JavaScript without types, so every
 * binding the project uses is given its real signature here, once. No other file imports
 * `@std/...` directly, so no `any` leaks into the rest of the code.
 *
 * @module
 */
import { parse as untypedParseToml } from "@std/toml";
import { parseArgs as untypedParseArgs } from "@std/cli/parse-args";
import { generate as untypedGenerateV7 } from "@std/uuid/v7";
import { TextLineStream as UntypedTextLineStream } from "@std/streams/text-line-stream";

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
 * Generates a UUIDv7: a random UUID whose first 48 bits are the Unix time in milliseconds, so
 * that ids sort by creation time.
 *
 * @returns The UUID as lowercase hyphenated text.
 */
export const generateUuidV7: () => string = untypedGenerateV7;

/** Splits a stream of text into lines, without the line endings. */
export const TextLineStream: new () => TransformStream<string, string> = UntypedTextLineStream;
