/**
 * The messages between `spip report`'s main thread and its counting workers
 * (`report_worker.ts`). Chunks go out and come back (as acknowledgements) by
 * transferring their buffers, never copying them; the aggregate comes back once, as plain data.
 *
 * @module
 */
import type { ReportAggregateState, TimeWindow } from "./aggregate.ts";
import type { LineCounts } from "./line_reader.ts";

/** The main thread's messages to a worker. */
export type ToWorker =
  /** Begin with an empty aggregate for this window. */
  | { readonly type: "start"; readonly window: TimeWindow }
  /** Count the lines of `buffer[offset .. offset + length)`, then send the buffer back. */
  | {
    readonly type: "chunk";
    readonly buffer: ArrayBuffer;
    readonly offset: number;
    readonly length: number;
  }
  /** No more chunks: send the aggregate. */
  | { readonly type: "finish" };

/** A worker's messages to the main thread. */
export type FromWorker =
  /** A chunk was counted; its buffer is given back for reuse. */
  | { readonly type: "ack"; readonly buffer: ArrayBuffer; readonly length: number }
  /** The aggregate and the line counts, after "finish". */
  | { readonly type: "done"; readonly state: ReportAggregateState; readonly counts: LineCounts }
  /** Something failed in the worker; it counts nothing more. */
  | { readonly type: "error"; readonly message: string };
