/**
 * The transport of stderr lines: bounded, in order, never blocking the sensor's thread.
 *
 * @module
 */
import type { StreamSink } from "./stream_sink.ts";

/** Bytes of stderr lines held while stderr's reader is stalled; past it lines are dropped. */
export const STDERR_BUFFER_BYTES = 256 * 1024;
/** How long to wait before trying a full stderr again, ms. */
export const STDERR_RETRY_MS = 20;

/** What the channel writes to: a sink with an optional immediate write. */
export type StderrSink = Pick<StreamSink, "write" | "tryWrite">;

/**
 * Writes lines to stderr in order. A line goes out at once when stderr takes it; when stderr is
 * full (a stalled journald, a terminal paused with ^S, a stopped reader), lines wait, up to
 * {@linkcode STDERR_BUFFER_BYTES}, and are written once it drains. Past the bound new lines are
 * dropped and counted, and once stderr has drained the count is reported (through `onDrained`).
 * A line partly written is always finished, never cut or interleaved.
 */
export class StderrChannel {
  readonly #sink: StderrSink;
  readonly #limitBytes: number;
  readonly #onDrained: (dropped: number) => void;
  readonly #queue: Uint8Array[] = [];
  #offset = 0;
  #queuedBytes = 0;
  #pumping = false;
  #idle: PromiseWithResolvers<void> | null = null;
  #dropped = 0;
  /** Lines dropped since start: over the bound, or because stderr failed. */
  droppedTotal = 0;

  /**
   * @param sink Where the lines go.
   * @param limitBytes How many bytes may wait.
   * @param onDrained Told how many lines were dropped, once stderr has drained after a drop.
   */
  constructor(sink: StderrSink, limitBytes: number, onDrained: (dropped: number) => void) {
    this.#sink = sink;
    this.#limitBytes = limitBytes;
    this.#onDrained = onDrained;
  }

  /** Bytes waiting. */
  get pending(): number {
    return this.#queuedBytes - this.#offset;
  }

  #drop(lines: number): void {
    this.#dropped += lines;
    this.droppedTotal += lines;
  }

  /**
   * Writes one line (its bytes, newline included), or queues it while stderr is full.
   *
   * @param bytes The line's bytes.
   * @returns False when it was dropped.
   */
  write(bytes: Uint8Array): boolean {
    let rest = bytes;
    if (this.#queue.length === 0 && this.#sink.tryWrite !== undefined) {
      let n: number;
      try {
        n = this.#sink.tryWrite(bytes);
      } catch {
        // stderr is gone; there is nowhere left to complain to.
        this.#drop(1);
        return false;
      }
      if (n === bytes.length) return true;
      if (n > 0) rest = bytes.subarray(n);
    } else if (this.#queuedBytes + bytes.length > this.#limitBytes) {
      this.#drop(1);
      return false;
    }
    // A line partly written is finished whatever the bound: it is already on its way.
    this.#queue.push(rest);
    this.#queuedBytes += rest.length;
    if (!this.#pumping) void this.#pump();
    return true;
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    let failed = false;
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Uint8Array;
      try {
        this.#offset += await this.#sink.write(head.subarray(this.#offset));
      } catch {
        failed = true;
        this.#drop(this.#queue.length);
        this.#queue.length = 0;
        this.#queuedBytes = 0;
        this.#offset = 0;
        break;
      }
      if (this.#offset >= head.length) {
        this.#queue.shift();
        this.#queuedBytes -= head.length;
        this.#offset = 0;
      }
    }
    this.#pumping = false;
    const idle = this.#idle;
    this.#idle = null;
    if (!failed && this.#dropped > 0) {
      const dropped = this.#dropped;
      this.#dropped = 0;
      this.#onDrained(dropped);
    }
    idle?.resolve();
  }

  /**
   * Waits until every queued line is written, or the time is up.
   *
   * @param timeoutMs The longest wait, ms.
   * @returns True when nothing is left waiting.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#pumping) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      this.#idle ??= Promise.withResolvers<void>();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#idle.promise,
        new Promise<void>((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
    }
    return true;
  }
}
