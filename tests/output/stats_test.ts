import { assertEquals } from "../../testing/std.ts";
import { Stats } from "../../src/output/stats.ts";
import { EventLog } from "../../src/output/events.ts";
import { checkStderrLine } from "../_stderr_schema.ts";
import schema from "../../schema/stderr.schema.json" with { type: "json" };

/** The stats line's part of the stderr schema. */
function statsSchema(): { required: string[]; properties: Record<string, unknown> } {
  const search = (node: unknown): { required: string[]; properties: Record<string, unknown> } => {
    if (node === null || typeof node !== "object") throw new Error("no stats schema");
    const object = node as Record<string, unknown>;
    const properties = object["properties"] as Record<string, unknown> | undefined;
    if (properties !== undefined && "uptime_s" in properties) {
      return object as { required: string[]; properties: Record<string, unknown> };
    }
    for (const value of Object.values(object)) {
      try {
        return search(value);
      } catch {
        // Not in this branch.
      }
    }
    throw new Error("no stats schema");
  };
  return search(schema);
}

Deno.test("every stats counter is described in the stderr schema, and the schema names no other", () => {
  const snapshot = new Stats().snapshot();
  const described = statsSchema();
  // timestamp_ms is described with the fields every line has.
  const keys = Object.keys(snapshot).filter((key) => key !== "timestamp_ms");
  assertEquals(keys.toSorted(), Object.keys(described.properties).toSorted());
  assertEquals(keys.filter((key) => !described.required.includes(key)), []);
});

Deno.test("a stats line validates, with listen_drops unknown (null) or counted", () => {
  const lines: string[] = [];
  const log = new EventLog("s", (line) => lines.push(line));
  const stats = new Stats();
  log.emit("stats", stats.snapshot());
  stats.listenDrops = 7;
  log.emit("stats", stats.snapshot());
  const [unknown, counted] = lines.map((line) => checkStderrLine(line));
  assertEquals(unknown?.["listen_drops"], null);
  assertEquals(counted?.["listen_drops"], 7);
});
