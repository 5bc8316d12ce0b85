/**
 * The messages between `spip report`'s main thread and its reading workers
 * (`report_worker.ts`). Chunks go out and come back by transferring their buffers, never copying
 * them; each chunk comes back with the records read from it, as a {@linkcode ScannedBatch}.
 *
 * @module
 */
import type { ScannedBatch } from "./scanned_batch.ts";

/** The main thread's messages to a worker. */
export type ToWorker =
  /** Read the lines of `buffer[offset .. offset + length)`, then send the buffer back. */
  {
    readonly type: "chunk";
    readonly buffer: ArrayBuffer;
    readonly offset: number;
    readonly length: number;
  };

/** A worker's messages to the main thread. */
export type FromWorker =
  /** The worker's module is loaded: from now on it answers each chunk. */
  | { readonly type: "ready" }
  /**
   * A chunk was read (in the order chunks came); its buffer, which may hold the batch's columns,
   * is given back for reuse.
   */
  | {
    readonly type: "scanned";
    readonly buffer: ArrayBuffer;
    readonly length: number;
    /** Lines handed on by the splitter (empty lines are not counted). */
    readonly lines: number;
    /** Lines that were not records. */
    readonly badLines: number;
    /** Lines skipped for being too long. */
    readonly tooLong: number;
    /** The records, in the chunk's order. */
    readonly batch: ScannedBatch;
  }
  /** Something failed in the worker; it reads nothing more. */
  | { readonly type: "error"; readonly message: string };

/** The part of a worker's global scope a reading worker uses (its type is not the main thread's). */
export interface WorkerScope {
  /** Sends a message to the main thread, moving the buffers in `transfer`. */
  postMessage(message: FromWorker, transfer?: ArrayBuffer[]): void;
  /** Listens to the main thread's messages. */
  addEventListener(type: "message", listener: (event: MessageEvent<ToWorker>) => void): void;
  /** Ends the worker. */
  close(): void;
}

/**
 * The global scope of the worker this code runs in.
 *
 * @returns The scope, typed as a worker's.
 * @throws {Error} When the code does not run in a worker.
 */
export function workerScope(): WorkerScope {
  if (!("WorkerGlobalScope" in globalThis)) {
    throw new Error("Cannot read records: a reading worker's module runs only as a worker");
  }
  return globalThis as unknown as WorkerScope;
}
