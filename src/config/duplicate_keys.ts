/**
 * Finding what a TOML document defines twice, and keeping each value's source text. TOML forbids
 * defining a key twice, yet the std parser keeps the last value without a word (also inside an
 * inline table), answers a table defined twice with "key length is not a positive number", and
 * reads `80.0` as the number 80. This scanner reads the document line by line, aware of strings,
 * comments and brackets only (it does not parse values), and finds:
 * - a key set twice in one table, spelled bare, quoted (escapes decoded: `"po\u0072t"` is `port`)
 *   or dotted (`tls.enabled` against `[tls] enabled`), or inside one inline table
 *   (`tls = {enabled = true, enabled = false}`);
 * - a table defined twice: `[tls]` twice, `[tls]` after `tls.x = ...` or `tls = {...}`, a dotted
 *   key into an inline table or a value (`tls = {...}` then `tls.x = 1`).
 *
 * @module
 */

/** Something the document defines twice. */
export interface DuplicateKey {
  /** The key's dotted path from the top, such as `tls.enabled`. */
  readonly key: string;
  /** The line, from 1, that defines it first. */
  readonly firstLine: number;
  /** The line that defines it again. */
  readonly secondLine: number;
  /** Present when a `[table]` header is defined twice. */
  readonly table?: true;
}

/** What {@linkcode scanToml} finds. */
export interface TomlScan {
  /** The first key or table defined twice, or null. */
  readonly duplicate: DuplicateKey | null;
  /** Each key's value as written (comment and surrounding space removed), by dotted path. */
  readonly values: ReadonlyMap<string, string>;
}

/** A key part: bare, a basic string (with its escapes) or a literal string. */
const PART = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const PATH = String.raw`${PART}(?:\s*\.\s*${PART})*`;
/** `key = `, `a.b = `, `"quoted" = ` at the start of a line (or of an inline-table entry). */
const KEY_LINE = new RegExp(String.raw`^\s*(${PATH})\s*=`);
/** `[table]` or `[[array]]` at the start of a line. */
const HEADER_LINE = new RegExp(String.raw`^\s*(\[\[?)\s*(${PATH})\s*\]\]?`);
const PARTS = new RegExp(PART, "g");

/** The one-character escapes of a TOML basic string, by the letter after the backslash. */
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  '"': '"',
  "\\": "\\",
};
const ESCAPE = /\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/gs;

/**
 * A key part's name, as TOML 1.0 defines it: a basic string's escapes decoded (`\uXXXX`,
 * `\UXXXXXXXX`, `\b \t \n \f \r \" \\`), a literal string's quotes removed. So `"po\u0072t"`,
 * `'port'` and `port` are one key. An escape TOML 1.0 does not know (`\x72`, `\e`, `\q`) and a
 * `\u` that names no character (a surrogate) are left as written, so they never make a duplicate;
 * the parser refuses the unknown escapes with its own message.
 *
 * @param part One part, quoted or bare.
 * @returns Its name.
 */
export function keyPartName(part: string): string {
  if (part.startsWith("'")) return part.slice(1, -1);
  if (!part.startsWith('"')) return part;
  return part.slice(1, -1).replace(
    ESCAPE,
    (whole: string, u4?: string, u8?: string, short?: string): string => {
      const hex = u4 ?? u8;
      if (hex === undefined) return SHORT_ESCAPES[short ?? ""] ?? whole;
      const code = parseInt(hex, 16);
      const scalar = code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      return scalar ? String.fromCodePoint(code) : whole;
    },
  );
}

function partsOf(text: string): string[] {
  return (text.match(PARTS) ?? []).map(keyPartName);
}

/** Where a line ends: still inside a multi-line string, or in brackets `depth` deep. */
interface LexState {
  multiline: '"""' | "'''" | null;
  depth: number;
}

/**
 * Moves the state over one line: strings, comments, brackets and braces.
 *
 * @returns Where the line's code ends (a comment's `#`, or the line's length).
 */
function scanLine(line: string, state: LexState): number {
  let i = 0;
  while (i < line.length) {
    if (state.multiline !== null) {
      const end = line.indexOf(state.multiline, i);
      if (end < 0) return line.length;
      i = end + 3;
      state.multiline = null;
      continue;
    }
    const c = line[i];
    if (c === "#") return i;
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      state.multiline = line.startsWith('"""', i) ? '"""' : "'''";
      i += 3;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < line.length && line[i] !== c) i += c === '"' && line[i] === "\\" ? 2 : 1;
      i++;
    } else {
      if (c === "[" || c === "{") state.depth++;
      else if (c === "]" || c === "}") state.depth = Math.max(0, state.depth - 1);
      i++;
    }
  }
  return line.length;
}

/**
 * Splits the inside of `{...}` or `[...]` at its own commas (not those in strings or nested
 * brackets).
 *
 * @param inner The text between the outer brackets.
 * @returns The entries, untrimmed.
 */
function splitEntries(inner: string): string[] {
  const entries: string[] = [];
  const state: LexState = { multiline: null, depth: 0 };
  let start = 0;
  let i = 0;
  while (i < inner.length) {
    const c = inner[i];
    if (c === '"' || c === "'") {
      i++;
      while (i < inner.length && inner[i] !== c) i += c === '"' && inner[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "[" || c === "{") state.depth++;
    else if (c === "]" || c === "}") state.depth--;
    else if (c === "," && state.depth === 0) {
      entries.push(inner.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  entries.push(inner.slice(start));
  return entries.filter((entry) => entry.trim() !== "");
}

/** How a table came to exist. */
type TableOrigin = "header" | "dotted" | "implicit";

class Scanner {
  readonly values = new Map<string, string>();
  readonly #keys = new Map<string, number>();
  readonly #tables = new Map<string, { line: number; origin: TableOrigin }>();
  #keyDuplicate: DuplicateKey | null = null;
  #tableDuplicate: DuplicateKey | null = null;

  get duplicate(): DuplicateKey | null {
    return this.#keyDuplicate ?? this.#tableDuplicate;
  }

  #keyTwice(path: string, first: number, second: number): void {
    this.#keyDuplicate ??= {
      key: path.replace(/#e?\d+/g, ""),
      firstLine: first,
      secondLine: second,
    };
  }

  /** Registers the tables a dotted key passes through, below its table. */
  #dottedPrefixes(base: string[], parts: string[], line: number): void {
    for (let n = 1; n < parts.length; n++) {
      const path = [...base, ...parts.slice(0, n)].join(".");
      const value = this.#keys.get(path);
      if (value !== undefined) return this.#keyTwice(path, value, line);
      const table = this.#tables.get(path);
      if (table?.origin === "header") return this.#keyTwice(path, table.line, line);
      if (table === undefined) this.#tables.set(path, { line, origin: "dotted" });
    }
  }

  /**
   * Records `parts = value` in the table `base`.
   *
   * @param base The table's path.
   * @param parts The key's parts.
   * @param value The value as written.
   * @param line The line number.
   */
  key(base: string[], parts: string[], value: string, line: number): void {
    this.#dottedPrefixes(base, parts, line);
    const path = [...base, ...parts].join(".");
    const first = this.#keys.get(path) ?? this.#tables.get(path)?.line;
    if (first !== undefined) this.#keyTwice(path, first, line);
    else this.#keys.set(path, line);
    this.values.set(path.replace(/#e?\d+/g, ""), value);
    this.#inline([...base, ...parts], value, line);
  }

  /** Follows the keys of an inline table, and of inline tables in an array. */
  #inline(path: string[], value: string, line: number): void {
    if (value.startsWith("{") && value.endsWith("}")) {
      for (const entry of splitEntries(value.slice(1, -1))) {
        const key = KEY_LINE.exec(entry);
        if (key === null) continue;
        this.key(path, partsOf(key[1] ?? ""), entry.slice(key[0].length).trim(), line);
      }
    } else if (value.startsWith("[") && value.endsWith("]")) {
      splitEntries(value.slice(1, -1)).forEach((element, index) => {
        const text = element.trim();
        if (text.startsWith("{")) {
          const last = path.length - 1;
          this.#inline(path.map((p, i) => i === last ? `${p}#e${index}` : p), text, line);
        }
      });
    }
  }

  /**
   * Records a `[table]` header.
   *
   * @param parts The table's parts.
   * @param line The line number.
   */
  header(parts: string[], line: number): void {
    for (let n = 1; n < parts.length; n++) {
      const prefix = parts.slice(0, n).join(".");
      const value = this.#keys.get(prefix);
      if (value !== undefined) this.#keyTwice(prefix, value, line);
      if (!this.#tables.has(prefix)) this.#tables.set(prefix, { line, origin: "implicit" });
    }
    const path = parts.join(".");
    const value = this.#keys.get(path);
    if (value !== undefined) return this.#keyTwice(path, value, line);
    const table = this.#tables.get(path);
    if (table !== undefined && table.origin !== "implicit") {
      this.#tableDuplicate ??= table.origin === "header"
        ? { key: path, firstLine: table.line, secondLine: line, table: true }
        : { key: path, firstLine: table.line, secondLine: line };
      return;
    }
    this.#tables.set(path, { line, origin: "header" });
  }
}

/**
 * Scans a TOML document for keys and tables defined twice, and keeps each value's text.
 * Each `[[array]]` element is a table of its own. A plain duplicate key is reported before a
 * table defined twice.
 *
 * @param text A TOML document.
 * @returns What it found.
 */
export function scanToml(text: string): TomlScan {
  const scanner = new Scanner();
  const state: LexState = { multiline: null, depth: 0 };
  let table: string[] = [];
  let arrays = 0;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? "";
    if (state.multiline !== null || state.depth > 0) {
      scanLine(line, state);
      continue;
    }
    const header = HEADER_LINE.exec(line);
    if (header !== null) {
      const parts = partsOf(header[2] ?? "");
      if (header[1] === "[[") {
        // An array element's path carries its ordinal, so that its keys are its own.
        table = [...parts.slice(0, -1), `${parts.at(-1) ?? ""}#${++arrays}`];
      } else {
        scanner.header(parts, n + 1);
        table = parts;
      }
      scanLine(line.slice(header[0].length), state);
      continue;
    }
    const key = KEY_LINE.exec(line);
    if (key === null) {
      scanLine(line, state);
      continue;
    }
    // The value: the rest of the line, and the following lines while a bracket or a
    // multi-line string stays open.
    const keyLine = n + 1;
    const rest = line.slice(key[0].length);
    let value = rest.slice(0, scanLine(rest, state));
    while ((state.multiline !== null || state.depth > 0) && n + 1 < lines.length) {
      const next = lines[++n] ?? "";
      value += `\n${next.slice(0, scanLine(next, state))}`;
    }
    scanner.key(table, partsOf(key[1] ?? ""), value.trim(), keyLine);
  }
  return { duplicate: scanner.duplicate, values: scanner.values };
}

/**
 * Finds the first key or table that the document defines twice.
 *
 * @param text A TOML document.
 * @returns The key and both lines, or null when everything is defined once.
 */
export function findDuplicateKey(text: string): DuplicateKey | null {
  return scanToml(text).duplicate;
}

/**
 * Whether a TOML value as written is a float (`80.0`, `8e1`, `inf`, `nan`), which an integer
 * key must not take even when its value is whole.
 *
 * @param value The value's text.
 * @returns True for a float literal.
 */
export function isFloatLiteral(value: string): boolean {
  const text = value.trim();
  if (/^[+-]?(inf|nan)$/.test(text)) return true;
  if (/^[+-]?0[xob]/.test(text)) return false;
  return /^[+-]?[0-9_]+(\.[0-9_]+)?([eE][+-]?[0-9_]+)?$/.test(text) && /[.eE]/.test(text);
}
