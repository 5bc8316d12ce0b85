import { assert, assertEquals, assertStringIncludes } from "../../testing/std.ts";
import { denoTasks } from "../../testing/start_task.ts";
import { compiledBinaryText } from "./_compiled_binary.ts";

const TASKS = denoTasks();

/** The young generation's semi-space the sensor runs with, MiB (docs/performance.md says why). */
const SEMI_SPACE_FLAG = "--v8-flags=--max-semi-space-size=2";

function v8Flags(task: string): string[] {
  return task.split(/\s+/).filter((word) => word.startsWith("--v8-flags"));
}

Deno.test("start, dev, report, compile and compile:offline run V8 with the same flags", () => {
  for (const name of ["start", "dev", "report", "compile", "compile:offline"]) {
    assertEquals(v8Flags(TASKS[name] ?? ""), [SEMI_SPACE_FLAG], name);
  }
});

Deno.test("the compiled binary stores the V8 flags", async () => {
  const stored = /"v8_flags":(\[[^\]]*\])/.exec(await compiledBinaryText())?.[1];
  assert(stored !== undefined, "no v8_flags in the binary's metadata");
  assertStringIncludes(stored, '"--max-semi-space-size=2"');
});
