/**
 * What the sensor says on stderr while it runs: one JSON object a line, each with a `type`
 * (`start`, `stats`, `budget`, `diagnostic`, `stop`), the `sensor_name` and `timestamp_ms`
 * first, described by `schema/stderr.schema.json`. Before the sensor runs (a bad argument, a bad
 * configuration) and after it stopped, problems stay one human-readable line.
 *
 * This module builds the lines; {@linkcode printDiagnostic} writes them.
 *
 * @module
 */
import { printDiagnostic } from "./diagnostics.ts";

/** The kinds of line a running sensor writes to stderr. */
export type EventType = "start" | "stats" | "budget" | "diagnostic" | "stop";

/** The event log that diagnostics go through while a sensor runs, if any. */
let active: EventLog | null = null;

/**
 * Reports a problem: a `diagnostic` JSON line while a sensor's event log is active, else the
 * text as it is.
 *
 * @param message The text, "Cannot X: detail".
 */
export function reportDiagnostic(message: string): void {
  if (active === null) printDiagnostic(message);
  else active.diagnostic(message);
}

/** Writes a sensor's stderr lines as JSON objects. */
export class EventLog {
  readonly #sensorName: string;
  readonly #write: (line: string) => void;

  /**
   * Makes a log for one sensor.
   *
   * @param sensorName The sensor's configured name, carried on every line.
   * @param write Writes one line; stderr by default.
   */
  constructor(sensorName: string, write: (line: string) => void = printDiagnostic) {
    this.#sensorName = sensorName;
    this.#write = write;
  }

  /**
   * Writes one event. `type` and `sensor_name` come first, then `timestamp_ms` (the fields' own,
   * else now), then the other fields in their order.
   *
   * @param type The kind of line.
   * @param fields The event's fields; a `type` or `sensor_name` among them is ignored.
   */
  emit(type: EventType, fields: object = {}): void {
    const { type: _type, sensor_name: _name, timestamp_ms: time, ...rest } = fields as Record<
      string,
      unknown
    >;
    this.#write(JSON.stringify({
      type,
      sensor_name: this.#sensorName,
      timestamp_ms: typeof time === "number" ? time : Date.now(),
      ...rest,
    }));
  }

  /**
   * Writes the `start` line and routes {@linkcode reportDiagnostic} through this log from now
   * until {@linkcode EventLog.stop}.
   *
   * @param fields What the sensor runs with: version, listen address, mode, TLS, UDP, paths.
   */
  start(fields: Readonly<Record<string, unknown>>): void {
    this.emit("start", fields);
    active = this;
  }

  /**
   * Writes a `diagnostic` line.
   *
   * @param message The text.
   */
  diagnostic(message: string): void {
    this.emit("diagnostic", { message });
  }

  /**
   * Writes the `stop` line; later problems are plain lines again.
   *
   * @param fields How the sensor stopped.
   */
  stop(fields: Readonly<Record<string, unknown>>): void {
    this.emit("stop", fields);
    if (active === this) active = null;
  }
}
