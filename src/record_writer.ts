/**
 * Batched, bounded output of record lines.
 *
 * @module
 */
import type { Stats } from "./stats.ts";
import { RateLimitedLog } from "./diagnostics.ts";

/** Where record bytes go: stdout, or a file. */
export interface ByteSink {
  /** Writes some of the bytes and resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
}

const encoder = new TextEncoder();

/**
 * Collects record lines and writes them in batches: at most one write is in flight, and the
 * lines that arrive meanwhile go out together in the next. Records are written whole and in the
 * order they were pushed.
 *
 * Memory is bounded: when the lines waiting (and in flight) exceed the limit, because the reader
 * of stdout is slower than the traffic, new records are shed and counted in
 * `Stats.recordsShed`, never held without bound and never dropped silently. Shedding new records
 * rather than old keeps what is already queued complete.
 */
export class RecordWriter {
  readonly #sink: ByteSink;
  readonly #limit: number;
  readonly #stats: Stats;
  readonly #errors = new RateLimitedLog(10_000);
  #lines: string[] = [];
  #queuedChars = 0;
  #inFlightChars = 0;
  #writing: Promise<void> | null = null;
  #scheduled = false;

  /**
   * @param sink Where the bytes go.
   * @param limitBytes How much may wait; lines past it are shed.
   * @param stats Where records written and shed are counted.
   */
  constructor(sink: ByteSink, limitBytes: number, stats: Stats) {
    this.#sink = sink;
    this.#limit = limitBytes;
    this.#stats = stats;
  }

  /** Characters of records waiting or being written. */
  get pending(): number {
    return this.#queuedChars + this.#inFlightChars;
  }

  /**
   * Queues one record line.
   *
   * @param line The JSON text, without the newline.
   * @returns False when the record was shed because the output is too far behind.
   */
  push(line: string): boolean {
    const size = line.length + 1;
    if (this.#queuedChars + this.#inFlightChars + size > this.#limit) {
      this.#stats.recordsShed++;
      return false;
    }
    this.#lines.push(line);
    this.#queuedChars += size;
    if (this.#writing === null && !this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.#start(), 0);
    }
    return true;
  }

  #start(): void {
    this.#scheduled = false;
    if (this.#writing === null && this.#lines.length > 0) this.#writing = this.#drain();
  }

  async #drain(): Promise<void> {
    while (this.#lines.length > 0) {
      const lines = this.#lines;
      this.#lines = [];
      this.#inFlightChars = this.#queuedChars;
      this.#queuedChars = 0;
      lines.push("");
      const bytes = encoder.encode(lines.join("\n"));
      const count = lines.length - 1;
      try {
        let written = 0;
        while (written < bytes.length) written += await this.#sink.write(bytes.subarray(written));
        this.#stats.recordsWritten += count;
      } catch (error) {
        this.#stats.outputErrors++;
        this.#stats.recordsShed += count;
        const detail = error instanceof Error ? error.message : String(error);
        this.#errors.print(`Cannot write records: ${detail}; ${count} records shed`);
      }
      this.#inFlightChars = 0;
    }
    this.#writing = null;
  }

  /**
   * Resolves when every record pushed so far has been written or shed.
   *
   * @returns A promise of the flush.
   */
  async flush(): Promise<void> {
    this.#scheduled = false;
    while (this.#writing !== null || this.#lines.length > 0) {
      if (this.#writing === null) this.#writing = this.#drain();
      await this.#writing;
    }
  }
}
