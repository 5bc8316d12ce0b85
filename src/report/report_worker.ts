/**
 * A counting worker of `spip report`: it receives chunks of whole lines from the main thread,
 * counts each line into its own {@linkcode ReportAggregate}, gives each chunk's buffer back as
 * the acknowledgement, and at the end sends its aggregate as plain data. It gets bytes only: the
 * main thread starts it without any permission.
 *
 * @module
 */
import { ReportAggregate } from "./aggregate.ts";
import { type LineBytesHandler, type LineCounts, splitChunk } from "./line_reader.ts";
import type { FromWorker, ToWorker } from "./worker_protocol.ts";

/** The parts of a dedicated worker's global scope used here. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let aggregate: ReportAggregate | null = null;
let onLine: LineBytesHandler = () => {};
const counts: LineCounts = { lines: 0, tooLong: 0 };

function handle(message: ToWorker): void {
  if (message.type === "start") {
    const fresh = new ReportAggregate(message.window);
    aggregate = fresh;
    onLine = (bytes, start, end) => fresh.addLineBytes(bytes, start, end);
    return;
  }
  if (aggregate === null) throw new Error(`"${message.type}" came before "start"`);
  if (message.type === "chunk") {
    splitChunk(new Uint8Array(message.buffer, message.offset, message.length), onLine, counts);
    scope.postMessage({ type: "ack", buffer: message.buffer, length: message.length }, [
      message.buffer,
    ]);
    return;
  }
  const state = aggregate.toState();
  scope.postMessage({ type: "done", state, counts }, [
    state.ports.buffer,
    state.portSessions.buffer,
    state.portFirstSeen.buffer,
    state.heat.buffer,
  ]);
  aggregate = null;
}

scope.onmessage = (event) => {
  try {
    handle(event.data);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    scope.postMessage({ type: "error", message }, []);
  }
};
