/**
 * A test worker for the report's worker pool that fails on its first chunk: it reports an error
 * when the chunk starts with "report", stops without a word when it starts with "close", hangs
 * when it starts with "hang", else it throws an uncaught error.
 */
import process from "node:process";
import { parentPort } from "node:worker_threads";
import type { FromWorker, ToWorker } from "../../src/report/worker_protocol.ts";

const port = parentPort;
if (port === null) throw new Error("not a worker");
const ready: FromWorker = { type: "ready" };
port.postMessage(ready);
port.on("message", (message: ToWorker) => {
  if (message.type !== "chunk") return;
  const head = new TextDecoder().decode(new Uint8Array(message.buffer, message.offset, 5));
  if (head === "repor") {
    const failure: FromWorker = { type: "error", message: "test failure" };
    port.postMessage(failure);
  } else if (head === "close") {
    process.exit(3);
  } else if (head !== "hang\n") {
    throw new Error("test crash");
  }
});
