/**
 * Test helper: checks a stderr line against `schema/stderr.schema.json`, and the rule a JSON
 * Schema cannot state: `type`, `sensor_name` and `timestamp_ms` come first, in that order.
 *
 * @module
 */
import { Ajv2020 } from "npm:ajv@8/dist/2020.js";
import schema from "../schema/stderr.schema.json" with { type: "json" };

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(schema);

/**
 * Parses one stderr line and checks it.
 *
 * @param line The line.
 * @returns The parsed object.
 * @throws {Error} Naming what is wrong.
 */
export function checkStderrLine(line: string): Record<string, unknown> {
  const value = JSON.parse(line) as Record<string, unknown>;
  if (!validate(value)) {
    throw new Error(`Not a valid stderr line: ${ajv.errorsText(validate.errors)}: ${line}`);
  }
  const first = Object.keys(value).slice(0, 3).join(",");
  if (first !== "type,sensor_name,timestamp_ms") {
    throw new Error(`The first fields are ${first}: ${line}`);
  }
  return value;
}
