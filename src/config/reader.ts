/**
 * Typed, checked reading of one TOML table, with errors that name the file and the key.
 *
 * @module
 */

import { isFloatLiteral } from "./duplicate_keys.ts";

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `${JSON.stringify(value)} (a string)`;
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (value !== null && typeof value === "object") return "a table";
  return `${String(value)} (a ${typeof value})`;
}

/**
 * Reads the keys of one TOML table, checks each value's type and range, and at the end rejects
 * the keys nobody asked for. Every error is "Cannot load config FILE: key KEY: expected ...,
 * found ...": a TypeError for a wrong type or an unknown key, a RangeError for a value out of
 * range.
 */
export class ConfigReader {
  readonly #file: string;
  readonly #table: Record<string, unknown>;
  readonly #prefix: string;
  readonly #written: ReadonlyMap<string, string>;
  readonly #seen = new Set<string>();

  /**
   * @param file The config file's path, for messages.
   * @param table The table to read.
   * @param prefix The table's dotted name (`tls.`), or "" for the top level.
   * @param written Each key's value as written, by dotted path from the top (a float and an
   * integer both parse to a number; the text tells them apart).
   */
  constructor(
    file: string,
    table: Record<string, unknown>,
    prefix = "",
    written: ReadonlyMap<string, string> = new Map(),
  ) {
    this.#file = file;
    this.#table = table;
    this.#prefix = prefix;
    this.#written = written;
  }

  /** The value's text when the file wrote it as a float (`80.0`, `8e1`), else null. */
  #floatText(key: string): string | null {
    const text = this.#written.get(`${this.#prefix}${key}`);
    return text !== undefined && isFloatLiteral(text) ? text : null;
  }

  #fail(
    kind: "type" | "range",
    key: string,
    expected: string,
    value: unknown,
    found: string = describe(value),
  ): never {
    const message = `Cannot load config ${this.#file}: key "${this.#prefix}${key}": ` +
      `expected ${expected}, found ${found}`;
    throw kind === "type" ? new TypeError(message) : new RangeError(message);
  }

  #take(key: string): unknown {
    this.#seen.add(key);
    return this.#table[key];
  }

  /**
   * Whether the table has a key.
   *
   * @param key The key.
   * @returns True when the key is present.
   */
  has(key: string): boolean {
    return Object.hasOwn(this.#table, key);
  }

  /**
   * Reads a string.
   *
   * @param key The key.
   * @param fallback The value when the key is absent; `undefined` makes the key required.
   * @param check An extra check: returns an "expected ..." text when the value is not acceptable.
   * @returns The value.
   */
  string(key: string, fallback?: string, check?: (value: string) => string | null): string {
    const value = this.#take(key);
    if (value === undefined) {
      if (fallback === undefined) this.#fail("type", key, "a string (this key is required)", value);
      return fallback;
    }
    if (typeof value !== "string") this.#fail("type", key, "a string", value);
    const problem = check?.(value);
    if (problem) this.#fail("range", key, problem, value);
    return value;
  }

  /**
   * Reads an optional string.
   *
   * @param key The key.
   * @returns The value, or `null` when the key is absent.
   */
  optionalString(key: string): string | null {
    return this.has(key) ? this.string(key) : (this.#take(key), null);
  }

  /**
   * Reads a whole number within a range.
   *
   * @param key The key.
   * @param min The smallest acceptable value.
   * @param max The largest acceptable value.
   * @param fallback The value when the key is absent; `undefined` makes the key required.
   * @returns The value.
   */
  integer(key: string, min: number, max: number, fallback?: number): number {
    const value = this.#take(key);
    const expected = `an integer from ${min} to ${max}`;
    if (value === undefined) {
      if (fallback === undefined) {
        this.#fail("type", key, `${expected} (this key is required)`, value);
      }
      return fallback;
    }
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.#fail("type", key, expected, value);
    }
    const float = this.#floatText(key);
    if (float !== null) this.#fail("type", key, expected, value, `${float} (a float)`);
    if (value < min || value > max) this.#fail("range", key, expected, value);
    return value;
  }

  /**
   * Reads a number of seconds and returns it in milliseconds.
   *
   * @param key The key.
   * @param minSeconds The smallest acceptable value, in seconds.
   * @param maxSeconds The largest acceptable value, in seconds.
   * @param fallbackSeconds The value when the key is absent, in seconds.
   * @returns The value in milliseconds.
   */
  seconds(key: string, minSeconds: number, maxSeconds: number, fallbackSeconds: number): number {
    const value = this.#take(key);
    if (value === undefined) return fallbackSeconds * 1000;
    const expected = `a number of seconds from ${minSeconds} to ${maxSeconds}`;
    if (typeof value !== "number" || Number.isNaN(value)) this.#fail("type", key, expected, value);
    if (value < minSeconds || value > maxSeconds) this.#fail("range", key, expected, value);
    return Math.round(value * 1000);
  }

  /**
   * Reads a boolean.
   *
   * @param key The key.
   * @param fallback The value when the key is absent.
   * @returns The value.
   */
  boolean(key: string, fallback: boolean): boolean {
    const value = this.#take(key);
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") this.#fail("type", key, "true or false", value);
    return value;
  }

  /**
   * Reads one of a fixed set of strings.
   *
   * @param key The key.
   * @param choices The acceptable values.
   * @param fallback The value when the key is absent.
   * @returns The value.
   */
  choice<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const value = this.#take(key);
    if (value === undefined) return fallback;
    const expected = `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`;
    if (typeof value !== "string") this.#fail("type", key, expected, value);
    if (!(choices as readonly string[]).includes(value)) this.#fail("range", key, expected, value);
    return value as T;
  }

  /**
   * Reads an array of whole numbers, each within a range.
   *
   * @param key The key.
   * @param min The smallest acceptable element.
   * @param max The largest acceptable element.
   * @param fallback The value when the key is absent.
   * @returns The value.
   */
  integerList(key: string, min: number, max: number, fallback: number[]): number[] {
    const value = this.#take(key);
    if (value === undefined) return fallback;
    const expected = `an array of integers from ${min} to ${max}`;
    if (!Array.isArray(value)) this.#fail("type", key, expected, value);
    const written = this.#written.get(`${this.#prefix}${key}`) ?? "";
    const float = written.replace(/^\[|\]$/g, "").split(",").find((e) => isFloatLiteral(e));
    if (float !== undefined) {
      this.#fail("type", key, expected, value, `${float.trim()} in it (a float)`);
    }
    for (const element of value) {
      if (typeof element !== "number" || !Number.isInteger(element)) {
        this.#fail("type", key, expected, element);
      }
      if (element < min || element > max) this.#fail("range", key, expected, element);
    }
    return value as number[];
  }

  /**
   * Opens a sub-table such as `[tls]`. An absent table reads as empty, so its keys take their
   * defaults.
   *
   * @param key The table's key.
   * @returns A reader for the sub-table.
   */
  table(key: string): ConfigReader {
    const value = this.#take(key);
    const prefix = `${this.#prefix}${key}.`;
    if (value === undefined) return new ConfigReader(this.#file, {}, prefix, this.#written);
    if (
      value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Date
    ) {
      this.#fail("type", key, "a table", value);
    }
    return new ConfigReader(this.#file, value as Record<string, unknown>, prefix, this.#written);
  }

  /**
   * The keys the table holds, for tables whose keys are data (such as `[greet.ports]`). Each is
   * marked read; check it with {@linkcode ConfigReader.reject}.
   *
   * @returns The keys, in the file's order.
   */
  keys(): string[] {
    const keys = Object.keys(this.#table);
    for (const key of keys) this.#seen.add(key);
    return keys;
  }

  /**
   * The value of a key without any check, marking it read.
   *
   * @param key The key.
   * @returns The value, or `undefined` when absent.
   */
  raw(key: string): unknown {
    return this.#take(key);
  }

  /**
   * Fails for a key whose value (or name) is not acceptable.
   *
   * @param key The key.
   * @param expected What was expected, such as "a port from 1 to 65535".
   * @param value What was found.
   * @throws {RangeError} Always, naming the file and the key.
   */
  reject(key: string, expected: string, value: unknown): never {
    this.#fail("range", key, expected, value);
  }

  /**
   * Rejects any key that was never read.
   *
   * @throws {TypeError} Naming the first unknown key.
   */
  finish(): void {
    for (const key of Object.keys(this.#table)) {
      if (!this.#seen.has(key)) {
        throw new TypeError(
          `Cannot load config ${this.#file}: key "${this.#prefix}${key}": ` +
            `expected no such key (unknown key), found ${describe(this.#table[key])}`,
        );
      }
    }
  }
}
