/**
 * Test helper: checks a record against `schema/record.schema.json`, and the two rules a JSON
 * Schema cannot state: the fields' order and `timestamp` agreeing with `timestamp_ms`.
 *
 * Used by the unit tests and by the integration tests on records the sensor really wrote.
 *
 * @module
 */
import { Ajv2020, type ErrorObject } from "npm:ajv@8/dist/2020.js";
import schema from "../schema/record.schema.json" with { type: "json" };

/** Spip's eight fields, in the order every record starts with them. */
export const SPIP_FIELDS: readonly string[] = [
  "timestamp",
  "payload",
  "payload_hex",
  "source_ip",
  "source_port",
  "destination_ip",
  "destination_port",
  "session_id",
];

/** The standard fields, in the order every record carries them. */
export const RECORD_FIELDS: readonly string[] = [
  ...SPIP_FIELDS,
  "transport",
  "sensor_name",
  "seq",
  "timestamp_ms",
  "community_id",
  "silent",
  "truncated",
];

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(schema);

function describe(error: ErrorObject): string {
  const where = error.instancePath === "" ? "record" : error.instancePath;
  return `${where}: ${error.message ?? error.keyword} (${error.schemaPath})`;
}

/**
 * Lists what is wrong with a record.
 *
 * @param record A record: the parsed JSON object, or its JSON text.
 * @returns One line per problem; empty when the record is valid.
 */
export function validateRecord(record: unknown): string[] {
  let value: unknown = record;
  if (typeof record === "string") {
    try {
      value = JSON.parse(record);
    } catch (error) {
      return [`record: not JSON (${error instanceof Error ? error.message : String(error)})`];
    }
  }
  const problems: string[] = [];
  if (!validate(value)) problems.push(...(validate.errors ?? []).map(describe));
  if (value === null || typeof value !== "object" || Array.isArray(value)) return problems;
  const fields = value as Record<string, unknown>;
  const order = Object.keys(fields).slice(0, RECORD_FIELDS.length);
  if (order.join(",") !== RECORD_FIELDS.join(",")) {
    problems.push(
      `record: fields out of order: expected ${RECORD_FIELDS.join(",")} first, ` +
        `found ${order.join(",")}`,
    );
  }
  const seconds = fields["timestamp"], ms = fields["timestamp_ms"];
  if (typeof seconds === "number" && typeof ms === "number" && seconds !== Math.floor(ms / 1000)) {
    problems.push(`/timestamp: ${seconds} is not timestamp_ms ${ms} in whole seconds`);
  }
  return problems;
}
