/**
 * Reading on every core: the main thread reads the inputs in chunks of whole lines
 * ({@linkcode readChunks}) and transfers each chunk's buffer, without copying, to the least busy
 * of N workers (`report_worker.ts`), one per core but its own. Each worker reads the records of
 * its chunks (the byte scanner, the costly part) and sends them back as flat arrays
 * ({@linkcode ScannedBatch}); the main thread counts them into one {@linkcode ReportAggregate} in
 * the order the chunks were read. So every count, exact or approximate (Space-Saving depends on
 * the order of its keys), is the one a single thread reading every line itself gives: the summary
 * is the same byte for byte.
 *
 * The main thread reads records too: when every worker holds all the chunks it may, it reads the
 * next chunk itself ({@linkcode ChunkReader}, as a worker does) instead of waiting, but never two
 * in a row, so that it waits, and hears from the workers, in between. Its batch is counted in its
 * turn like a worker's. On 2 cores, one worker and the main thread (which read 124-162 of the 491
 * chunks) took 2.43 s where two workers took 2.59 s on the 1 GB bench file (medians of 10
 * alternating runs), with less CPU and RSS: one isolate fewer makes, compiles and warms up the
 * scanner.
 *
 * Memory stays bounded: a worker holds at most {@linkcode CHUNKS_IN_FLIGHT_PER_WORKER} chunks
 * not yet counted, and all workers together at most {@linkcode BYTES_IN_FLIGHT_MAX} bytes (one
 * chunk is always allowed, so a chunk grown by a long line still goes); reading waits before
 * sending more. A batch that came back before an earlier one waits for it, within that bound. A
 * chunk read on the main thread waits only for chunks the workers hold, and a chunk went to a
 * worker between any two of them, so the main thread holds no more uncounted chunks than the
 * workers do. Chunk buffers are reused for the next reads.
 *
 * The workers are Deno's own `Worker`s: `node:worker_threads` ones took 84-91 ms to make, and
 * 118-147 ms for the second, during which `new Worker` holds the main thread; Deno's take 34-39 and
 * 32-85 ms, and the first says it is loaded at 105-129 ms instead of 161-174. Their young
 * generation is bounded by the V8 flag every task and the binary run with
 * (`--max-semi-space-size=2`), not per worker as `resourceLimits` did.
 *
 * Only the first worker is made before reading, so the others are made once the first holds its
 * first chunks and reads them meanwhile. On the 1 GB bench file the first chunk went out at 165 ms
 * instead of 250 (with `node:worker_threads`).
 *
 * A worker that fails (an error it reports, an uncaught error, a message that cannot be read, or
 * no answer for {@linkcode WORKER_SILENCE_MS_MAX} while it holds chunks, as when it closed itself:
 * Deno's `Worker` tells its owner nothing then) makes the whole run fail
 * with one "Cannot summarise records: ..." error, never a hang: every wait of the main thread
 * also ends on a failure.
 *
 * @module
 */
import { ReportAggregate, type TimeWindow } from "./aggregate.ts";
import { ChunkPool, readChunks, type ReportInput } from "./line_reader.ts";
import { BatchReader, type ScannedBatch } from "./scanned_batch.ts";
import { ChunkReader } from "./chunk_reader.ts";
import type { FromWorker, ToWorker } from "./worker_protocol.ts";

/** The most reading workers, whatever the number of cores (the main thread reads too). */
export const REPORT_WORKERS_MAX = 8;
/** Chunks sent to one worker and not yet counted, at most. */
export const CHUNKS_IN_FLIGHT_PER_WORKER = 3;
/** Bytes of chunks sent to all workers and not yet counted, at most (beyond one chunk). */
export const BYTES_IN_FLIGHT_MAX = 32 * 1024 * 1024;
/**
 * How long a worker holding chunks may stay silent before the run fails. A chunk is read in
 * milliseconds (the longest, 49 MiB, in well under a second), so only a worker that died without
 * an error event (it closed itself) or hangs gets there.
 */
export const WORKER_SILENCE_MS_MAX = 30_000;
/**
 * How long the workers may take to load: the first, before reading falls back to the main
 * thread; one made after reading began, before the run fails. They load in about 40 ms; a worker
 * that cannot load at all (a binary built without its module, say) fails at once with an error
 * event.
 */
export const WORKER_START_MS_MAX = 10_000;

/**
 * The workers could not start (their module failed to load, or did not load in time): nothing
 * was read yet, so the caller can read on the main thread instead.
 */
export class WorkersUnavailableError extends Error {
  /** @param detail What went wrong. */
  constructor(detail: string) {
    super(`Cannot start the report's workers: ${detail}`);
    this.name = "WorkersUnavailableError";
  }
}

/** What the workers read, counted. */
export interface WorkersResult {
  /** Every record, counted in the order of the input. */
  readonly aggregate: ReportAggregate;
  /** Lines skipped for being too long, by the reader and by the workers. */
  readonly tooLong: number;
  /** Chunks read. */
  readonly chunks: number;
  /** Chunks the main thread read itself, because every worker held all it may. */
  readonly chunksOnMain: number;
}

/**
 * The number of workers to use: one per core (`navigator.hardwareConcurrency`) but the main
 * thread's, at least 1 and at most {@linkcode REPORT_WORKERS_MAX}.
 *
 * @returns The number.
 */
export function reportWorkerCount(): number {
  const cores = Number(globalThis.navigator?.hardwareConcurrency);
  if (!Number.isInteger(cores) || cores < 2) return 1;
  return Math.min(cores - 1, REPORT_WORKERS_MAX);
}

/** A chunk read, waiting for its turn to be counted. */
interface ReadChunk {
  /** The worker that read it, or null for the main thread. */
  readonly worker: Reader | null;
  /** The string tables its batch refers to. */
  readonly batches: BatchReader;
  readonly buffer: ArrayBuffer;
  /** Its bytes, as counted in the bytes in flight (0 for the main thread's). */
  readonly length: number;
  readonly batch: ScannedBatch;
  readonly lines: number;
  readonly badLines: number;
  readonly tooLong: number;
}

/** One worker and the chunks it holds. */
class Reader {
  readonly worker: Worker;
  /** Set when the pool ends it, so that an error it gives afterwards is no failure. */
  ended = false;
  /** Its batches' string table. */
  readonly batches = new BatchReader();
  /** The sequence numbers of the chunks sent and not yet given back, oldest first. */
  readonly sent: number[] = [];
  /** Chunks sent and not yet counted (given back or not). */
  chunksInFlight = 0;
  /** Whether its module said it is loaded (before that, loading is not silence). */
  online = false;
  /** When it last answered, came online, or was given a chunk while holding none (ms). */
  lastHeard = performance.now();
  /** When it was made (ms). */
  readonly madeAt = performance.now();

  constructor(worker: Worker) {
    this.worker = worker;
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }
}

/** Sends chunks to the workers, with backpressure, and counts what they read, in order. */
class Dispatcher {
  readonly aggregate: ReportAggregate;
  /** Lines the workers skipped as too long. */
  tooLong = 0;
  readonly #readers: Reader[] = [];
  /** Workers to make; the first is made at once, the others by {@linkcode Dispatcher.#spawnRest}. */
  #planned: number;
  readonly #url: URL;
  readonly #pool: ChunkPool;
  readonly #silenceMs: number;
  readonly #startMs: number;
  #bytesInFlight = 0;
  #nextSent = 0;
  #nextCounted = 0;
  /** Chunks read, by the workers or the main thread, and not counted yet, by sequence number. */
  readonly #early = new Map<number, ReadChunk>();
  /** The main thread's own reader, made when it first reads a chunk. */
  #mainReader: ChunkReader | null = null;
  /** The main thread's string tables (its batches never leave it). */
  readonly #mainBatches = new BatchReader();
  /** Whether the last chunk was read on the main thread (the next goes to a worker). */
  #mainReadLast = false;
  /** Chunks read on the main thread. */
  chunksOnMain = 0;
  #failure: Error | null = null;
  /** Called when a chunk is counted or a worker fails. */
  #wake: (() => void) | null = null;
  readonly #watchdog: ReturnType<typeof setInterval>;

  constructor(
    workers: number,
    window: TimeWindow,
    pool: ChunkPool,
    url: URL,
    silenceMs: number,
    startMs: number,
  ) {
    this.aggregate = new ReportAggregate(window);
    this.#pool = pool;
    this.#silenceMs = silenceMs;
    this.#startMs = startMs;
    this.#planned = workers;
    this.#url = url;
    try {
      this.#spawn();
    } catch (error) {
      throw new WorkersUnavailableError(error instanceof Error ? error.message : String(error));
    }
    this.#watchdog = setInterval(() => this.#checkSilence(), Math.max(10, silenceMs / 4));
  }

  /**
   * Makes one more worker and listens to it (see the module documentation for when).
   *
   * @throws {Error} When the worker cannot be made.
   */
  #spawn(): void {
    const worker = new Worker(this.#url, { type: "module" });
    const reader = new Reader(worker);
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.#receive(reader, event.data);
    worker.onerror = (event: ErrorEvent) => {
      // Handled here: not passed on to the main thread as an uncaught error.
      event.preventDefault();
      if (!reader.ended) this.#fail(`a worker failed: ${event.message}`);
    };
    worker.onmessageerror = () => this.#fail("a worker's message could not be read");
    this.#readers.push(reader);
  }

  /**
   * Makes the workers not made yet, once the first holds all the chunks it may: it reads them
   * while `new Worker` holds the main thread. One that cannot be made is not retried; the run
   * goes on with those there are.
   */
  #spawnRest(): void {
    const first = this.#readers[0];
    if (
      this.#readers.length >= this.#planned || first === undefined ||
      first.chunksInFlight < CHUNKS_IN_FLIGHT_PER_WORKER
    ) return;
    while (this.#readers.length < this.#planned) {
      try {
        this.#spawn();
      } catch {
        this.#planned = this.#readers.length;
      }
    }
  }

  #receive(reader: Reader, message: FromWorker): void {
    if (this.#failure !== null) return;
    reader.lastHeard = performance.now();
    if (message.type === "ready") {
      reader.online = true;
      this.#wakeUp();
      return;
    }
    if (message.type !== "scanned") {
      this.#fail(`a worker failed: ${message.message}`);
      return;
    }
    const seq = reader.sent.shift();
    if (seq === undefined) {
      this.#fail("a worker gave back a chunk it was not given");
      return;
    }
    this.#early.set(seq, { worker: reader, batches: reader.batches, ...message });
    try {
      this.#countReady();
    } catch (error) {
      this.#fail(error instanceof Error ? error.message : String(error));
      return;
    }
    this.#wakeUp();
  }

  /** Counts every batch whose turn has come. */
  #countReady(): void {
    for (;;) {
      const next = this.#early.get(this.#nextCounted);
      if (next === undefined) return;
      this.#early.delete(this.#nextCounted);
      this.#nextCounted++;
      this.aggregate.addScanned(next.batches, next.batch, next.lines, next.badLines);
      // Its columns are counted: the buffer may hold the next chunk.
      this.#pool.give(next.buffer);
      this.tooLong += next.tooLong;
      if (next.worker !== null) next.worker.chunksInFlight--;
      this.#bytesInFlight -= next.length;
    }
  }

  #checkSilence(): void {
    const now = performance.now();
    for (const reader of this.#readers) {
      if (reader.online && reader.sent.length > 0 && now - reader.lastHeard > this.#silenceMs) {
        this.#fail(`a worker stopped answering (${this.#silenceMs} ms without a word)`);
        return;
      }
      // A worker made after reading began may be given chunks before it has loaded.
      if (!reader.online && now - reader.madeAt > this.#startMs) {
        this.#fail(`a worker was not loaded after ${this.#startMs} ms`);
        return;
      }
    }
  }

  #fail(detail: string): void {
    if (this.#failure !== null) return;
    this.#failure = new Error(`Cannot summarise records: ${detail.replaceAll(/\s+/g, " ")}`);
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Chunks read so far. */
  get chunks(): number {
    return this.#nextSent;
  }

  /**
   * Sends a chunk to the least busy worker. When every worker holds all it may, the main thread
   * reads the chunk itself, but never two in a row: before the next, it waits for a worker to
   * give one back (waiting is also when it hears from the workers).
   *
   * @param chunk Whole lines; its buffer is transferred, or read over on the main thread.
   */
  async send(chunk: Uint8Array<ArrayBuffer>): Promise<void> {
    for (;;) {
      if (this.#failure !== null) throw this.#failure;
      let best: Reader | undefined;
      for (const reader of this.#readers) {
        if (
          reader.chunksInFlight < CHUNKS_IN_FLIGHT_PER_WORKER &&
          (best === undefined || reader.chunksInFlight < best.chunksInFlight)
        ) best = reader;
      }
      const fits = this.#bytesInFlight === 0 ||
        this.#bytesInFlight + chunk.byteLength <= BYTES_IN_FLIGHT_MAX;
      if (best !== undefined && fits) {
        if (best.sent.length === 0) best.lastHeard = performance.now();
        best.chunksInFlight++;
        best.sent.push(this.#nextSent++);
        this.#bytesInFlight += chunk.byteLength;
        best.post(
          { type: "chunk", buffer: chunk.buffer, offset: chunk.byteOffset, length: chunk.length },
          [chunk.buffer],
        );
        this.#spawnRest();
        this.#mainReadLast = false;
        return;
      }
      if (!this.#mainReadLast) {
        this.#mainReadLast = true;
        this.#readOnMain(chunk);
        return;
      }
      await this.#wait();
    }
  }

  /**
   * Reads a chunk on the main thread, into a batch counted in its turn like a worker's.
   *
   * @param chunk Whole lines; its buffer then holds the batch.
   */
  #readOnMain(chunk: Uint8Array<ArrayBuffer>): void {
    const read = (this.#mainReader ??= new ChunkReader()).read(
      chunk.buffer,
      chunk.byteOffset,
      chunk.length,
    );
    this.chunksOnMain++;
    this.#early.set(this.#nextSent++, {
      worker: null,
      batches: this.#mainBatches,
      buffer: chunk.buffer,
      length: 0,
      ...read,
    });
    try {
      this.#countReady();
    } catch (error) {
      this.#fail(error instanceof Error ? error.message : String(error));
      throw this.#failure;
    }
  }

  /**
   * Waits until the first worker said it is loaded, before any input is read: the others load the
   * same module, and are made once it reads.
   *
   * @param timeoutMs How long it may take.
   * @throws {WorkersUnavailableError} When it failed first, or the time ran out.
   */
  async started(timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => this.#fail(`not loaded after ${timeoutMs} ms`), timeoutMs);
    try {
      for (;;) {
        if (this.#failure !== null) {
          throw new WorkersUnavailableError(
            this.#failure.message.replace(/^Cannot summarise records: /, ""),
          );
        }
        if (this.#readers.every((reader) => reader.online)) return;
        await this.#wait();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until every chunk sent is counted. */
  async finish(): Promise<void> {
    for (;;) {
      if (this.#failure !== null) throw this.#failure;
      if (this.#nextCounted === this.#nextSent) return;
      await this.#wait();
    }
  }

  terminate(): void {
    clearInterval(this.#watchdog);
    for (const reader of this.#readers) {
      reader.ended = true;
      reader.worker.terminate();
    }
  }
}

/** How to read in workers. */
export interface WorkersOptions {
  /** How many workers (default {@linkcode reportWorkerCount}). */
  readonly workers?: number;
  /** The worker module (default `report_worker.ts`; tests give failing ones). */
  readonly workerUrl?: URL;
  /** How long a worker holding chunks may stay silent (default {@linkcode WORKER_SILENCE_MS_MAX}). */
  readonly silenceMs?: number;
  /** How long the workers may take to load (default {@linkcode WORKER_START_MS_MAX}). */
  readonly startMs?: number;
}

/**
 * Reads every input, the records of its lines in workers, and counts them in input order.
 *
 * @param inputs The inputs, in order.
 * @param window Records outside it are counted apart.
 * @param options How many workers, and which module.
 * @returns The aggregate and the lines skipped as too long.
 * @throws {WorkersUnavailableError} When the workers could not start; no input was read then.
 * @throws {Error} "Cannot read ..." when an input cannot be read; "Cannot summarise records: ..."
 *   when a worker fails.
 */
export async function aggregateInWorkers(
  inputs: readonly ReportInput[],
  window: TimeWindow,
  options: WorkersOptions = {},
): Promise<WorkersResult> {
  const pool = new ChunkPool();
  const workers = Math.max(1, Math.floor(options.workers ?? reportWorkerCount()));
  const url = options.workerUrl ?? new URL("./report_worker.ts", import.meta.url);
  const startMs = options.startMs ?? WORKER_START_MS_MAX;
  const dispatcher = new Dispatcher(
    workers,
    window,
    pool,
    url,
    options.silenceMs ?? WORKER_SILENCE_MS_MAX,
    startMs,
  );
  try {
    await dispatcher.started(startMs);
    let tooLong = 0;
    for (const input of inputs) {
      const counts = await readChunks(input, (chunk) => dispatcher.send(chunk), pool);
      tooLong += counts.tooLong;
    }
    await dispatcher.finish();
    return {
      aggregate: dispatcher.aggregate,
      tooLong: tooLong + dispatcher.tooLong,
      chunks: dispatcher.chunks,
      chunksOnMain: dispatcher.chunksOnMain,
    };
  } finally {
    dispatcher.terminate();
  }
}
