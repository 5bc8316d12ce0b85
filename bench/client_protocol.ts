/**
 * What the bench's load clients share: one JSON event per line on stdout for the harness, error
 * kinds, flag checks, and the closing `done` event.
 *
 * @module
 */
import { cpuMicros } from "./process_stats.ts";

const encoder = new TextEncoder();

/**
 * Writes one event line on stdout for the harness.
 *
 * @param event The event.
 */
export function say(event: Record<string, unknown>): void {
  Deno.stdout.writeSync(encoder.encode(`${JSON.stringify(event)}\n`));
}

/**
 * The kind of an error, for the client's error tally: its code, else its name.
 *
 * @param error The error.
 * @returns The kind.
 */
export function errorKind(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? code : error.name;
  }
  return "unknown";
}

/**
 * Reads a flag that must be a whole number of at least 1.
 *
 * @param value The flag's value.
 * @param flag The flag's name, for the message.
 * @returns The number.
 * @throws {RangeError} For anything else.
 */
export function positiveInt(value: unknown, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Cannot use --${flag}=${value}`);
  return n;
}

/**
 * Writes the closing `done` event: how many items completed, which did not, the errors by
 * kind, the elapsed time and the client's own CPU time.
 *
 * @param done One flag per item, non-zero when it completed.
 * @param errors Errors by kind.
 * @param startedMs When the run started, `performance.now()`.
 */
export function sayDone(done: Uint8Array, errors: Record<string, number>, startedMs: number): void {
  const failed: number[] = [];
  for (let i = 0; i < done.length; i++) if (done[i] === 0) failed.push(i);
  say({
    event: "done",
    completed: done.length - failed.length,
    failed,
    errors,
    elapsed_ms: performance.now() - startedMs,
    cpu_us: cpuMicros("self"),
  });
}
