/**
 * A reading worker of `spip report`: it receives chunks of whole lines from the main thread, reads
 * each line's record with its own {@linkcode ChunkReader} (the costly part of counting), and sends
 * the chunk's buffer back with the records as a batch; the main thread counts them.
 *
 * @module
 */
import { ChunkReader } from "./chunk_reader.ts";
import { type FromWorker, type ToWorker, workerScope } from "./worker_protocol.ts";

const scope = workerScope();
const post = (message: FromWorker, transfer: ArrayBuffer[]): void =>
  scope.postMessage(message, transfer);
const reader = new ChunkReader();

function handle(message: ToWorker): void {
  if (message.type !== "chunk") throw new Error(`unknown message "${String(message.type)}"`);
  const { batch, lines, badLines, tooLong } = reader.read(
    message.buffer,
    message.offset,
    message.length,
  );
  // The chunk's lines are read: its buffer now holds the batch's columns.
  const transfer = batch.buffer === message.buffer
    ? [message.buffer]
    : [message.buffer, batch.buffer];
  post(
    {
      type: "scanned",
      buffer: message.buffer,
      length: message.length,
      lines,
      badLines,
      tooLong,
      batch,
    },
    transfer,
  );
}

// Anything thrown outside a message (it should not happen) is reported as one message too, so
// the main thread ends the run with one line instead of the runtime printing a stack trace.
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  post({ type: "error", message: String(event.message) }, []);
});
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const reason: unknown = event.reason;
  post({ type: "error", message: reason instanceof Error ? reason.message : String(reason) }, []);
});
post({ type: "ready" }, []);
scope.addEventListener("message", (event) => {
  try {
    handle(event.data);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    post({ type: "error", message: detail }, []);
  }
});
