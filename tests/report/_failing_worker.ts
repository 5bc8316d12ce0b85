/**
 * A test worker for the report's worker pool that fails on its first chunk: it reports an error
 * when the chunk starts with "report", stops without a word when it starts with "close", hangs
 * when it starts with "hang", else it throws an uncaught error.
 */
import { type FromWorker, workerScope } from "../../src/report/worker_protocol.ts";

const scope = workerScope();
const ready: FromWorker = { type: "ready" };
scope.postMessage(ready);
scope.addEventListener("message", (event) => {
  const message = event.data;
  if (message.type !== "chunk") return;
  const head = new TextDecoder().decode(new Uint8Array(message.buffer, message.offset, 5));
  if (head === "repor") {
    const failure: FromWorker = { type: "error", message: "test failure" };
    scope.postMessage(failure);
  } else if (head === "close") {
    scope.close();
  } else if (head !== "hang\n") {
    throw new Error("test crash");
  }
});
