/**
 * Diagnostics: one line at a time to stderr, never into the record stream on stdout.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Writes one line to stderr. A failure to write is ignored: diagnostics must never take the
 * sensor down.
 *
 * @param line The text, without the newline.
 */
export function printDiagnostic(line: string): void {
  const bytes = encoder.encode(`${line}\n`);
  try {
    let written = 0;
    while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
  } catch {
    // stderr is gone; there is nowhere left to complain to.
  }
}

/**
 * Lets a repeated complaint through at most once per interval, and counts what it held back.
 */
export class RateLimitedLog {
  readonly #intervalMs: number;
  readonly #print: (line: string) => void;
  #last = -Infinity;
  #suppressed = 0;

  /**
   * @param intervalMs The least time between two printed lines.
   * @param print Writes a line; {@linkcode printDiagnostic} by default.
   */
  constructor(intervalMs: number, print: (line: string) => void = printDiagnostic) {
    this.#intervalMs = intervalMs;
    this.#print = print;
  }

  /**
   * Prints the line unless one was printed less than the interval ago.
   *
   * @param line The text.
   * @param now The current time in ms.
   */
  print(line: string, now: number = Date.now()): void {
    if (now - this.#last < this.#intervalMs) {
      this.#suppressed++;
      return;
    }
    const held = this.#suppressed > 0 ? ` (${this.#suppressed} similar suppressed)` : "";
    this.#last = now;
    this.#suppressed = 0;
    this.#print(line + held);
  }
}
