import { assertEquals, assertThrows } from "../../testing/std.ts";
import { EventLog, reportDiagnostic } from "../../src/output/events.ts";
import { checkStderrLine } from "../_stderr_schema.ts";

Deno.test("EventLog writes type, sensor_name and timestamp_ms first, then the fields", () => {
  const lines: string[] = [];
  const log = new EventLog("Sensor-1", (line) => lines.push(line));
  log.emit("budget", {
    type: "budget",
    source_ip: "192.0.2.7",
    suppressed: 3,
    window_start_ms: 5,
    limit: 1,
  });
  log.diagnostic("Cannot write records: disk full");
  assertEquals(JSON.parse(lines[0] ?? ""), {
    type: "budget",
    sensor_name: "Sensor-1",
    timestamp_ms: JSON.parse(lines[0] ?? "").timestamp_ms,
    source_ip: "192.0.2.7",
    suppressed: 3,
    window_start_ms: 5,
    limit: 1,
  });
  for (const line of lines) checkStderrLine(line);
  assertEquals(JSON.parse(lines[1] ?? "").message, "Cannot write records: disk full");
});

Deno.test("EventLog keeps a snapshot's own timestamp_ms", () => {
  const lines: string[] = [];
  new EventLog("s", (line) => lines.push(line)).emit("diagnostic", {
    timestamp_ms: 42,
    message: "m",
  });
  assertEquals(lines, ['{"type":"diagnostic","sensor_name":"s","timestamp_ms":42,"message":"m"}']);
});

Deno.test("reportDiagnostic goes through the log between start and stop, plain text otherwise", () => {
  const lines: string[] = [];
  const log = new EventLog("s", (line) => lines.push(line));
  log.start({ version: "0" });
  reportDiagnostic("Cannot X: y");
  log.stop({ signal: "SIGTERM", flushed: true, exit_code: 0 });
  assertEquals(lines.map((line) => JSON.parse(line).type), ["start", "diagnostic", "stop"]);
  assertEquals(JSON.parse(lines[1] ?? "").message, "Cannot X: y");
});

Deno.test("the stderr schema refuses a line without sensor_name or with an unknown type", () => {
  assertThrows(() => checkStderrLine('{"type":"stats","timestamp_ms":1}'));
  assertThrows(() =>
    checkStderrLine('{"type":"hello","sensor_name":"s","timestamp_ms":1,"message":"m"}')
  );
});
