/**
 * Batched, bounded output of record lines.
 *
 * @module
 */
import type { Stats } from "./stats.ts";
import { RateLimitedLog } from "./diagnostics.ts";
import { reportDiagnostic } from "./events.ts";
import type { ByteSink } from "./byte_sink.ts";

/** Bytes per output chunk: the most one write carries, unless one record is larger. */
export const CHUNK_BYTES = 1024 * 1024;
/** Spare chunks kept for reuse, so that steady output allocates nothing. */
const SPARE_CHUNKS = 4;
const NEWLINE = 10;

/** A run of encoded lines, written in one go. */
interface Chunk {
  bytes: Uint8Array;
  used: number;
  lines: number;
}

const encoder = new TextEncoder();

/** How many newlines the first `end` bytes hold: the lines that went out whole. */
function countNewlines(bytes: Uint8Array, end: number): number {
  const head = bytes.subarray(0, end);
  let count = 0;
  for (let at = head.indexOf(NEWLINE); at !== -1; at = head.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/**
 * Collects record lines and writes them in batches. Each line is encoded once, straight into a
 * 1 MiB chunk; at most one chunk is being written at a time, and lines that arrive meanwhile
 * fill the next. Records are written whole and in the order they were pushed.
 *
 * Memory is bounded: when the bytes waiting and in flight would pass the limit, because the
 * reader of stdout is slower than the traffic, new records are shed and counted in
 * `Stats.recordsShed`, never held without bound and never dropped silently. Shedding new records
 * rather than old keeps what is already queued complete. A write that fails is counted, its
 * records are counted as shed, and the next write starts on a fresh line.
 */
export class RecordWriter {
  readonly #sink: ByteSink;
  readonly #limit: number;
  readonly #stats: Stats;
  readonly #errors = new RateLimitedLog(10_000, reportDiagnostic);
  readonly #full: Chunk[] = [];
  readonly #spare: Uint8Array[] = [];
  #current: Chunk | null = null;
  #pendingBytes = 0;
  #draining = false;
  #drained: Promise<void> = Promise.resolve();
  #scheduled = false;
  #brokenLine = false;
  #inFlight: Chunk | null = null;
  #inFlightWritten = 0;
  #abandoned = false;
  readonly #abandonedSignal = Promise.withResolvers<void>();

  /**
   * @param sink Where the bytes go.
   * @param limitBytes How many bytes may wait or be in flight; records past it are shed.
   * @param stats Where records written and shed are counted.
   */
  constructor(sink: ByteSink, limitBytes: number, stats: Stats) {
    this.#sink = sink;
    this.#limit = limitBytes;
    this.#stats = stats;
  }

  /** Bytes of records waiting or being written. */
  get pending(): number {
    return this.#pendingBytes;
  }

  #chunkFor(maxBytes: number): Chunk {
    const current = this.#current;
    if (current !== null && current.bytes.length - current.used >= maxBytes) return current;
    if (current !== null) this.#full.push(current);
    const bytes = maxBytes <= CHUNK_BYTES
      ? this.#spare.pop() ?? new Uint8Array(CHUNK_BYTES)
      : new Uint8Array(maxBytes);
    this.#current = { bytes, used: 0, lines: 0 };
    return this.#current;
  }

  /**
   * Queues one record line.
   *
   * @param line The JSON text, without the newline.
   * @returns False when the record was shed because the output is too far behind.
   */
  push(line: string): boolean {
    if (this.#abandoned) {
      this.#stats.recordsShed++;
      return false;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the newline one more.
    const maxBytes = line.length * 3 + 1;
    if (this.#pendingBytes + line.length + 1 > this.#limit) {
      this.#stats.recordsShed++;
      return false;
    }
    const chunk = this.#chunkFor(maxBytes);
    const { written } = encoder.encodeInto(line, chunk.bytes.subarray(chunk.used));
    if (this.#pendingBytes + written + 1 > this.#limit) {
      this.#stats.recordsShed++;
      return false;
    }
    this.#queue(chunk, written);
    return true;
  }

  /**
   * Makes room for one record that the caller writes straight into the output as UTF-8, without
   * the newline; {@linkcode RecordWriter.commit} then queues it. Nothing else may be pushed
   * between the two calls.
   *
   * @param maxBytes The most bytes the record can take.
   * @returns The buffer to write into from {@linkcode RecordWriter.reservedAt}, or null when the
   * record is shed (counted) because the writer was abandoned.
   */
  reserve(maxBytes: number): Uint8Array | null {
    if (this.#abandoned) {
      this.#stats.recordsShed++;
      return null;
    }
    const chunk = this.#chunkFor(maxBytes + 1);
    return chunk.bytes;
  }

  /** Where the record of the last {@linkcode RecordWriter.reserve} starts. */
  get reservedAt(): number {
    return this.#current?.used ?? 0;
  }

  /**
   * Queues the record written after {@linkcode RecordWriter.reserve}, or sheds it (counted) when
   * the output is too far behind, as {@linkcode RecordWriter.push} does.
   *
   * @param end Where the record ends.
   * @returns False when the record was shed.
   */
  commit(end: number): boolean {
    const chunk = this.#current;
    if (chunk === null || this.#abandoned) {
      this.#stats.recordsShed++;
      return false;
    }
    const written = end - chunk.used;
    if (this.#pendingBytes + written + 1 > this.#limit) {
      this.#stats.recordsShed++;
      return false;
    }
    this.#queue(chunk, written);
    return true;
  }

  #queue(chunk: Chunk, written: number): void {
    chunk.bytes[chunk.used + written] = NEWLINE;
    chunk.used += written + 1;
    chunk.lines++;
    this.#pendingBytes += written + 1;
    if (!this.#draining && !this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.#start(), 0);
    }
  }

  #start(): void {
    this.#scheduled = false;
    if (!this.#draining && this.#pendingBytes > 0) this.#drained = this.#drain();
  }

  #next(): Chunk | undefined {
    const chunk = this.#full.shift();
    if (chunk !== undefined) return chunk;
    const current = this.#current;
    if (current === null || current.used === 0) return undefined;
    this.#current = null;
    return current;
  }

  async #drain(): Promise<void> {
    // With a synchronous sink this runs to the end before its promise is even returned, so the
    // state lives in a flag the drain sets itself, not in the promise.
    this.#draining = true;
    for (let chunk = this.#next(); chunk !== undefined; chunk = this.#next()) {
      const data = chunk.bytes.subarray(0, chunk.used);
      this.#inFlight = chunk;
      this.#inFlightWritten = 0;
      try {
        if (this.#brokenLine) {
          await this.#writeAll(Uint8Array.of(NEWLINE));
          if (this.#abandoned) return;
          this.#brokenLine = false;
        }
        const sink = this.#sink;
        try {
          while (this.#inFlightWritten < data.length) {
            const rest = data.subarray(this.#inFlightWritten);
            const n = sink.writeSync !== undefined ? sink.writeSync(rest) : await sink.write(rest);
            if (this.#abandoned) return;
            this.#inFlightWritten += n;
          }
        } finally {
          const written = this.#inFlightWritten;
          if (!this.#abandoned && written > 0 && written < data.length) this.#brokenLine = true;
        }
        this.#stats.recordsWritten += chunk.lines;
      } catch (error) {
        if (this.#abandoned) return;
        // The lines that went out whole before the failure were written; the rest are shed.
        const whole = countNewlines(data, this.#inFlightWritten);
        this.#stats.recordsWritten += whole;
        this.#stats.recordsShed += chunk.lines - whole;
        this.#stats.outputErrors++;
        const detail = error instanceof Error ? error.message : String(error);
        this.#errors.print(
          `Cannot write records: ${detail}; ${chunk.lines - whole} records shed`,
        );
      }
      this.#inFlight = null;
      this.#pendingBytes -= chunk.used;
      if (chunk.bytes.length === CHUNK_BYTES && this.#spare.length < SPARE_CHUNKS) {
        this.#spare.push(chunk.bytes);
      }
    }
    this.#draining = false;
  }

  /**
   * Gives up on every record not yet written, as at a shutdown deadline while the reader is
   * stalled: they are counted in `Stats.recordsShed` (a line partly written counts as shed;
   * lines of the chunk in flight that went out whole count as written). Records pushed later
   * are shed too, and a write still in flight is ignored when it ends.
   *
   * @returns How many records were given up.
   */
  abandon(): number {
    if (this.#abandoned) return 0;
    this.#abandoned = true;
    this.#scheduled = false;
    let lost = 0;
    const inFlight = this.#inFlight;
    if (inFlight !== null) {
      const whole = countNewlines(inFlight.bytes, this.#inFlightWritten);
      this.#stats.recordsWritten += whole;
      lost += inFlight.lines - whole;
      this.#inFlight = null;
    }
    for (const chunk of this.#full) lost += chunk.lines;
    lost += this.#current?.lines ?? 0;
    this.#full.length = 0;
    this.#current = null;
    this.#pendingBytes = 0;
    this.#draining = false;
    this.#stats.recordsShed += lost;
    this.#abandonedSignal.resolve();
    return lost;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#sink.write(bytes.subarray(written));
  }

  /**
   * Resolves when every record pushed so far has been written or shed.
   *
   * @returns A promise of the flush.
   */
  async flush(): Promise<void> {
    this.#scheduled = false;
    while (!this.#abandoned && (this.#draining || this.#pendingBytes > 0)) {
      if (!this.#draining) this.#drained = this.#drain();
      await Promise.race([this.#drained, this.#abandonedSignal.promise]);
    }
  }
}
