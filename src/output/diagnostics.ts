/**
 * Diagnostics: one line at a time to stderr, never into the record stream on stdout.
 *
 * @module
 */
import { STDERR_BUFFER_BYTES, STDERR_RETRY_MS, StderrChannel } from "./stderr_channel.ts";
import { openStreamSink } from "./stream_sink.ts";
import { RetryWritability } from "./writability.ts";

const encoder = new TextEncoder();
let channel: StderrChannel | undefined;

function stderrChannel(): StderrChannel {
  channel ??= new StderrChannel(
    openStreamSink(2, new RetryWritability(STDERR_RETRY_MS)),
    STDERR_BUFFER_BYTES,
    (dropped) =>
      printDiagnostic(`Cannot write ${dropped} lines to stderr: its reader stalled; dropped`),
  );
  return channel;
}

/**
 * Writes one line to stderr. It never blocks the thread: while stderr's reader is stalled, lines
 * wait (bounded), and past the bound they are dropped, counted and reported once stderr drains.
 * A failure to write is ignored: diagnostics must never take the sensor down.
 *
 * @param line The text, without the newline.
 */
export function printDiagnostic(line: string): void {
  stderrChannel().write(encoder.encode(`${line}\n`));
}

/**
 * Waits until the stderr lines still waiting are written, or the time is up: before exiting.
 *
 * @param timeoutMs The longest wait, ms.
 * @returns True when nothing is left waiting.
 */
export function flushDiagnostics(timeoutMs: number): Promise<boolean> {
  return channel?.flush(timeoutMs) ?? Promise.resolve(true);
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
