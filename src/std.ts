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
import { TextLineStream as UntypedTextLineStream } from "@std/streams/text-line-stream";
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

/** Splits a stream of text into lines, without the line endings. */
export const TextLineStream: new () => TransformStream<string, string> = UntypedTextLineStream;

import * as untypedAssert from "@std/assert";

/** Asserts that a value is truthy. */
export const assert: (expr: unknown, msg?: string) => asserts expr = untypedAssert.assert;
/** Asserts that a value is falsy. */
export const assertFalse: (expr: unknown, msg?: string) => void = untypedAssert.assertFalse;
/** Asserts deep equality. */
export const assertEquals: <T>(actual: T, expected: T, msg?: string) => void =
  untypedAssert.assertEquals;
/** Asserts deep inequality. */
export const assertNotEquals: <T>(actual: T, expected: T, msg?: string) => void =
  untypedAssert.assertNotEquals;
/** Asserts `Object.is` equality. */
export const assertStrictEquals: <T>(actual: unknown, expected: T, msg?: string) => void =
  untypedAssert.assertStrictEquals;
/** Asserts that a value is neither null nor undefined. */
export const assertExists: <T>(actual: T, msg?: string) => asserts actual is NonNullable<T> =
  untypedAssert.assertExists;
/** Asserts `actual > expected`. */
export const assertGreater: <T>(actual: T, expected: T, msg?: string) => void =
  untypedAssert.assertGreater;
/** Asserts `actual >= expected`. */
export const assertGreaterOrEqual: <T>(actual: T, expected: T, msg?: string) => void =
  untypedAssert.assertGreaterOrEqual;
/** Asserts `actual < expected`. */
export const assertLess: <T>(actual: T, expected: T, msg?: string) => void =
  untypedAssert.assertLess;
/** Asserts `actual <= expected`. */
export const assertLessOrEqual: <T>(actual: T, expected: T, msg?: string) => void =
  untypedAssert.assertLessOrEqual;
/** Asserts that a string matches a pattern. */
export const assertMatch: (actual: string, expected: RegExp, msg?: string) => void =
  untypedAssert.assertMatch;
/** Asserts that a string contains another. */
export const assertStringIncludes: (actual: string, expected: string, msg?: string) => void =
  untypedAssert.assertStringIncludes;
/** Asserts that an array contains the given elements. */
export const assertArrayIncludes: <T>(
  actual: ArrayLike<T>,
  expected: ArrayLike<T>,
  msg?: string,
) => void = untypedAssert.assertArrayIncludes;
/** Asserts that a value is an instance of a class. */
export const assertInstanceOf: <T extends abstract new (...args: never[]) => unknown>(
  actual: unknown,
  expectedType: T,
  msg?: string,
) => asserts actual is InstanceType<T> = untypedAssert.assertInstanceOf;
/** Asserts that a function throws, optionally an error of a class whose message includes a text. */
export const assertThrows: <E extends Error = Error>(
  fn: () => unknown,
  ErrorClass?: abstract new (...args: never[]) => E,
  msgIncludes?: string,
  msg?: string,
) => E = untypedAssert.assertThrows;
/** Asserts that a promise rejects, optionally with an error of a class whose message includes a text. */
export const assertRejects: <E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: abstract new (...args: never[]) => E,
  msgIncludes?: string,
  msg?: string,
) => Promise<E> = untypedAssert.assertRejects;
/** Fails the test. */
export const fail: (msg?: string) => never = untypedAssert.fail;
