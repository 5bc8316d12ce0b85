import { assertEquals } from "../../testing/std.ts";
import { SPIP_RECORD_FIELDS } from "../../src/record/spip_record.ts";

Deno.test("SpipRecord names exactly the fields of the record schema, in the same order", async () => {
  const schema = JSON.parse(
    await Deno.readTextFile(new URL("../../schema/record.schema.json", import.meta.url)),
  ) as { properties: Record<string, unknown> };
  assertEquals([...SPIP_RECORD_FIELDS], Object.keys(schema.properties));
});
