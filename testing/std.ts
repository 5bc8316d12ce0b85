/**
 * The test side's one typed boundary around `deno-std@1.4.0` (see `src/std.ts` for the sensor's):
 * the asserts and the text line stream, given their real signatures once. Tests, the bench and
 * the demo import them from here; nothing under `src/`, `ffi/` or `main.ts` does, so they never
 * enter the compiled binary.
 *
 * @module
 */
import { TextLineStream as UntypedTextLineStream } from "@std/streams/text-line-stream";
import * as untypedAssert from "@std/assert";
import { stringify as untypedStringifyToml } from "@std/toml";

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

/** Splits a stream of text into lines, without the line endings. */
export const TextLineStream: new () => TransformStream<string, string> = UntypedTextLineStream;

/** Writes a table as a TOML document (sub-tables as `[table]` sections). */
export const stringifyToml: (table: Readonly<Record<string, unknown>>) => string =
  untypedStringifyToml;
