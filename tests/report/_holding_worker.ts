/**
 * A test worker for the report's worker pool: it holds each chunk for a while before giving it
 * back, reads no record, and reports the most chunks it held at once as lines (each answer
 * carries how much that most grew since the last one, so the lines counted add up to it), so a
 * test can see the bound on chunks in flight.
 */
import { BatchWriter } from "../../src/report/scanned_batch.ts";
import { type FromWorker, workerScope } from "../../src/report/worker_protocol.ts";

const HOLD_MS = 5;
const scope = workerScope();
const writer = new BatchWriter();
let held = 0;
let most = 0;
let reported = 0;

const ready: FromWorker = { type: "ready" };
scope.postMessage(ready);
scope.addEventListener("message", (event) => {
  const message = event.data;
  if (message.type !== "chunk") return;
  held++;
  most = Math.max(most, held);
  setTimeout(() => {
    held--;
    const batch = writer.take(message.buffer);
    const answer: FromWorker = {
      type: "scanned",
      buffer: message.buffer,
      length: message.length,
      lines: most - reported,
      badLines: 0,
      tooLong: 0,
      batch,
    };
    reported = most;
    scope.postMessage(answer, [message.buffer]);
  }, HOLD_MS);
});
