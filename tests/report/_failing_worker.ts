/**
 * A test worker for the report's worker pool that fails on its first chunk: it reports an error
 * when the chunk starts with "report", else it throws an uncaught error.
 */
import type { FromWorker, ToWorker } from "../../src/report/worker_protocol.ts";

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer: Transferable[]): void;
};

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type !== "chunk") return;
  const head = new TextDecoder().decode(new Uint8Array(message.buffer, message.offset, 6));
  if (head === "report") scope.postMessage({ type: "error", message: "test failure" }, []);
  else throw new Error("test crash");
};
