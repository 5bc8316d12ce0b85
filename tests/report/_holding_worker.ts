/**
 * A test worker for the report's worker pool: it holds each chunk for a while before giving it
 * back, counts no line, and reports the most chunks it held at once as its aggregate's line
 * count, so a test can see the bound on chunks in flight.
 */
import { ReportAggregate } from "../../src/report/aggregate.ts";
import type { FromWorker, ToWorker } from "../../src/report/worker_protocol.ts";

const HOLD_MS = 5;
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer: Transferable[]): void;
};
let held = 0;
let most = 0;
let finishing = false;

function finishIfIdle(): void {
  if (!finishing || held > 0) return;
  const aggregate = new ReportAggregate();
  aggregate.lines = most;
  scope.postMessage(
    { type: "done", state: aggregate.toState(), counts: { lines: 0, tooLong: 0 } },
    [],
  );
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "chunk") {
    held++;
    most = Math.max(most, held);
    setTimeout(() => {
      held--;
      scope.postMessage({ type: "ack", buffer: message.buffer, length: message.length }, [
        message.buffer,
      ]);
      finishIfIdle();
    }, HOLD_MS);
  } else if (message.type === "finish") {
    finishing = true;
    finishIfIdle();
  }
};
