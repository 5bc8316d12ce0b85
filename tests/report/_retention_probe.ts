/**
 * Run with `--v8-flags=--expose-gc`: feeds the aggregate sessions whose first-line and HASSH keys
 * are cut from long strings, collects garbage, and prints the heap in use (bytes). With the
 * argument `bytes` the lines go through `addLineBytes` (the byte scanner), else `addLine`.
 *
 * @module
 */
import { ReportAggregate } from "../../src/report/aggregate.ts";

const aggregate = new ReportAggregate();
const SESSIONS = 150;
const asBytes = Deno.args[0] === "bytes";
for (let i = 0; i < SESSIONS; i++) {
  // A unique printable first line in front of 1 MiB of text: the first-line key is a cut of it.
  const payload = `HELLO ${i} ${"z".repeat(80)}\n${String(i % 10).repeat(1 << 20)}`;
  const line = JSON.stringify({
    timestamp: 1_796_083_200 + i,
    payload,
    payload_hex: "",
    source_ip: "198.51.100.7",
    destination_port: 9000,
    seq: 1,
    hassh: `h_${String(i).padStart(12, "0")}_${"x".repeat(1 << 20)}`,
  });
  if (asBytes) {
    const bytes = new TextEncoder().encode(line);
    aggregate.addLineBytes(bytes, 0, bytes.length);
  } else {
    aggregate.addLine(line);
  }
}
const summary = aggregate.summary(1000, { names: [], tooLong: 0 });
(globalThis as unknown as { gc: () => void }).gc();
Deno.stdout.writeSync(new TextEncoder().encode(
  `${
    JSON.stringify({
      keys: summary.tcp.firstLines.entries.length,
      heapUsed: Deno.memoryUsage().heapUsed,
    })
  }\n`,
));
