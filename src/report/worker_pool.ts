/**
 * Counting on every core: the main thread reads the inputs in chunks of whole lines
 * ({@linkcode readChunks}) and transfers each chunk's buffer, without copying, to the least busy
 * of N workers (`report_worker.ts`), each counting into its own aggregate; at the end their
 * aggregates are merged ({@linkcode ReportAggregate.merge}).
 *
 * Memory stays bounded: a worker holds at most {@linkcode CHUNKS_IN_FLIGHT_PER_WORKER} chunks
 * not yet acknowledged, and all workers together at most {@linkcode BYTES_IN_FLIGHT_MAX} bytes
 * (one chunk is always allowed, so a chunk grown by a long line still goes); reading waits for an
 * acknowledgement before sending more. Acknowledged buffers are reused for the next reads.
 *
 * A worker that fails (an error it reports, an uncaught error, a message that cannot be read)
 * makes the whole run fail with one "Cannot summarise records: ..." error, never a hang: every
 * wait of the main thread also ends on a failure.
 *
 * @module
 */
import { ReportAggregate, type TimeWindow } from "./aggregate.ts";
import { ChunkPool, readChunks, type ReportInput } from "./line_reader.ts";
import type { FromWorker, ToWorker } from "./worker_protocol.ts";

/** The most counting workers, whatever the number of cores. */
export const REPORT_WORKERS_MAX = 8;
/** Chunks sent to one worker and not yet acknowledged, at most. */
export const CHUNKS_IN_FLIGHT_PER_WORKER = 2;
/** Bytes of chunks sent to all workers and not yet acknowledged, at most (beyond one chunk). */
export const BYTES_IN_FLIGHT_MAX = 32 * 1024 * 1024;

/** What the workers counted, merged. */
export interface WorkersResult {
  /** Every worker's aggregate, merged. */
  readonly aggregate: ReportAggregate;
  /** Lines skipped for being too long, by the reader and by the workers. */
  readonly tooLong: number;
}

/**
 * The number of workers to use: one per core (`navigator.hardwareConcurrency`), at least 1 and at
 * most {@linkcode REPORT_WORKERS_MAX}.
 *
 * @returns The number.
 */
export function reportWorkerCount(): number {
  const cores = Number(globalThis.navigator?.hardwareConcurrency);
  if (!Number.isInteger(cores) || cores < 1) return 1;
  return Math.min(cores, REPORT_WORKERS_MAX);
}

/** Options for {@linkcode Worker} with Deno's permissions (needs `--unstable-worker-options`). */
interface DenoWorkerOptions extends WorkerOptions {
  deno: { permissions: "none" };
}

/** One worker and what it holds. */
class Counter {
  readonly worker: Worker;
  chunksInFlight = 0;
  bytesInFlight = 0;
  readonly done: Promise<Extract<FromWorker, { type: "done" }>>;
  settle: {
    resolve: (message: Extract<FromWorker, { type: "done" }>) => void;
    reject: (error: Error) => void;
  } | null = null;

  constructor(worker: Worker) {
    this.worker = worker;
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A failure before "finish" is seen by the dispatcher; this keeps it from being unhandled.
    this.done.catch(() => {});
  }

  post(message: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }
}

/** Sends chunks to the workers, with backpressure, and collects their aggregates. */
class Dispatcher {
  readonly #counters: Counter[] = [];
  readonly #pool: ChunkPool;
  #bytesInFlight = 0;
  #failure: Error | null = null;
  /** Called when a chunk is acknowledged or a worker fails. */
  #wake: (() => void) | null = null;

  constructor(workers: number, window: TimeWindow, pool: ChunkPool, url: URL) {
    this.#pool = pool;
    const options: DenoWorkerOptions = { type: "module", deno: { permissions: "none" } };
    for (let i = 0; i < workers; i++) {
      const counter = new Counter(new Worker(url, options));
      counter.worker.onmessage = (event: MessageEvent<FromWorker>) =>
        this.#receive(counter, event.data);
      counter.worker.onerror = (event) => {
        event.preventDefault();
        this.#fail(`a worker failed: ${event.message}`);
      };
      counter.worker.onmessageerror = () => this.#fail("a worker's message could not be read");
      counter.post({ type: "start", window });
      this.#counters.push(counter);
    }
  }

  #receive(counter: Counter, message: FromWorker): void {
    if (message.type === "ack") {
      counter.chunksInFlight--;
      counter.bytesInFlight -= message.length;
      this.#bytesInFlight -= message.length;
      this.#pool.give(message.buffer);
      this.#wakeUp();
    } else if (message.type === "done") {
      // Its work is over: free its memory before the merge needs some.
      counter.worker.terminate();
      counter.settle?.resolve(message);
    } else {
      this.#fail(`a worker failed: ${message.message}`);
    }
  }

  #fail(detail: string): void {
    if (this.#failure !== null) return;
    this.#failure = new Error(`Cannot summarise records: ${detail}`);
    for (const counter of this.#counters) counter.settle?.reject(this.#failure);
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /**
   * Sends a chunk to the least busy worker, first waiting until one may take it.
   *
   * @param chunk Whole lines; its buffer is transferred.
   */
  async send(chunk: Uint8Array<ArrayBuffer>): Promise<void> {
    for (;;) {
      if (this.#failure !== null) throw this.#failure;
      let best: Counter | undefined;
      for (const counter of this.#counters) {
        if (
          counter.chunksInFlight < CHUNKS_IN_FLIGHT_PER_WORKER &&
          (best === undefined || counter.chunksInFlight < best.chunksInFlight)
        ) best = counter;
      }
      const fits = this.#bytesInFlight === 0 ||
        this.#bytesInFlight + chunk.byteLength <= BYTES_IN_FLIGHT_MAX;
      if (best !== undefined && fits) {
        best.chunksInFlight++;
        best.bytesInFlight += chunk.byteLength;
        this.#bytesInFlight += chunk.byteLength;
        best.post(
          { type: "chunk", buffer: chunk.buffer, offset: chunk.byteOffset, length: chunk.length },
          [chunk.buffer],
        );
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /**
   * Tells every worker that no chunk is left and merges their aggregates.
   *
   * @returns The merged aggregate and the lines the workers skipped as too long.
   */
  async finish(): Promise<{ aggregate: ReportAggregate; tooLong: number }> {
    if (this.#failure !== null) throw this.#failure;
    for (const counter of this.#counters) counter.post({ type: "finish" });
    let aggregate: ReportAggregate | null = null;
    let tooLong = 0;
    for (const counter of this.#counters) {
      const done = await counter.done;
      tooLong += done.counts.tooLong;
      const part = ReportAggregate.fromState(done.state);
      if (aggregate === null) aggregate = part;
      else aggregate.merge(part);
    }
    if (aggregate === null) throw new Error("Cannot summarise records: no worker ran");
    return { aggregate, tooLong };
  }

  terminate(): void {
    for (const counter of this.#counters) counter.worker.terminate();
  }
}

/** How to count in workers. */
export interface WorkersOptions {
  /** How many workers (default {@linkcode reportWorkerCount}). */
  readonly workers?: number;
  /** The worker module (default `report_worker.ts`; tests give a failing one). */
  readonly workerUrl?: URL;
}

/**
 * Reads every input and counts its lines in workers.
 *
 * @param inputs The inputs, in order.
 * @param window Records outside it are counted apart.
 * @param options How many workers, and which module.
 * @returns The merged aggregate and the lines skipped as too long.
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
  const dispatcher = new Dispatcher(workers, window, pool, url);
  try {
    let tooLong = 0;
    for (const input of inputs) {
      const counts = await readChunks(input, (chunk) => dispatcher.send(chunk), pool);
      tooLong += counts.tooLong;
    }
    const result = await dispatcher.finish();
    return { aggregate: result.aggregate, tooLong: tooLong + result.tooLong };
  } finally {
    dispatcher.terminate();
  }
}
