/**
 * Finding a key that a TOML document sets twice. TOML forbids it, yet the std parser keeps the
 * last value without a word, so a config edited by appending a line would silently change meaning.
 *
 * @module
 */

/** A key set twice. */
export interface DuplicateKey {
  /** The key's dotted path from the top, such as `tls.enabled`. */
  readonly key: string;
  /** The line, from 1, that sets it first. */
  readonly firstLine: number;
  /** The line that sets it again. */
  readonly secondLine: number;
}

const PART = String.raw`(?:[A-Za-z0-9_-]+|"[^"\\]*"|'[^']*')`;
const PATH = String.raw`${PART}(?:\s*\.\s*${PART})*`;
/** `key = `, `a.b = `, `"quoted" = ` at the start of a line. */
const KEY_LINE = new RegExp(String.raw`^\s*(${PATH})\s*=`);
/** `[table]` or `[[array]]` at the start of a line. */
const HEADER_LINE = new RegExp(String.raw`^\s*(\[\[?)\s*(${PATH})\s*\]\]?`);
const PARTS = new RegExp(PART, "g");

function pathOf(text: string): string {
  return (text.match(PARTS) ?? []).map((part) => part.replace(/^["']|["']$/g, "")).join(".");
}

/** Where a line ends: still inside a multi-line string, or in an array `depth` deep. */
interface LexState {
  multiline: '"""' | "'''" | null;
  depth: number;
}

/** Moves the state over one line: strings, comments, brackets and braces. */
function scanLine(line: string, state: LexState): void {
  let i = 0;
  while (i < line.length) {
    if (state.multiline !== null) {
      const end = line.indexOf(state.multiline, i);
      if (end < 0) return;
      i = end + 3;
      state.multiline = null;
      continue;
    }
    const c = line[i];
    if (c === "#") return;
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
}

/**
 * Finds the first key that the document sets twice in one table. Each `[[array]]` element is a
 * table of its own. Keys inside inline tables are not followed.
 *
 * @param text A TOML document that the parser accepted.
 * @returns The key and both lines, or null when every key is set once.
 */
export function findDuplicateKey(text: string): DuplicateKey | null {
  const firstLines = new Map<string, number>();
  const state: LexState = { multiline: null, depth: 0 };
  let table = "";
  let arrays = 0;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? "";
    if (state.multiline === null && state.depth === 0) {
      const header = HEADER_LINE.exec(line);
      const key = header === null ? KEY_LINE.exec(line) : null;
      if (header !== null) {
        // An array element's path carries its ordinal, so that its keys are its own.
        table = `${pathOf(header[2] ?? "")}${header[1] === "[[" ? `#${++arrays}` : ""}`;
        scanLine(line.slice(header[0].length), state);
        continue;
      }
      if (key !== null) {
        const path = [table, pathOf(key[1] ?? "")].filter((p) => p !== "").join(".");
        const first = firstLines.get(path);
        if (first !== undefined) {
          return { key: path.replace(/#\d+/g, ""), firstLine: first, secondLine: n + 1 };
        }
        firstLines.set(path, n + 1);
        scanLine(line.slice(key[0].length), state);
        continue;
      }
    }
    scanLine(line, state);
  }
  return null;
}
