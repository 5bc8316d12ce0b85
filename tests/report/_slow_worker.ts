/**
 * A test worker for the report's worker pool: it reads each chunk as the real worker does, but
 * gives it back only after a while, so that it always holds all the chunks it may and the main
 * thread reads chunks itself.
 */
import { ChunkReader } from "../../src/report/chunk_reader.ts";
import { type FromWorker, workerScope } from "../../src/report/worker_protocol.ts";

const HOLD_MS = 20;
const scope = workerScope();
const reader = new ChunkReader();

const ready: FromWorker = { type: "ready" };
scope.postMessage(ready);
scope.addEventListener("message", (event) => {
  const message = event.data;
  if (message.type !== "chunk") return;
  const read = reader.read(message.buffer, message.offset, message.length);
  setTimeout(() => {
    const answer: FromWorker = {
      type: "scanned",
      buffer: message.buffer,
      length: message.length,
      ...read,
    };
    scope.postMessage(answer, [message.buffer]);
  }, HOLD_MS);
});
