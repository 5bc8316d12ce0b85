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
