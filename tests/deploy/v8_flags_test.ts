import { assert, assertEquals, assertStringIncludes } from "../../testing/std.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TASKS = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<
  string,
  string
>;
const decoder = new TextDecoder();

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
  const dir = await Deno.makeTempDir({ prefix: "spip-v8-flags-" });
  try {
    // The compile task as it is, made offline as compile:offline does (denort cannot be fetched).
    const task = (TASKS["compile"] ?? "").replace(/-o \S+/, `-o ${dir}/spip`)
      .replace(/^deno compile /, `${Deno.execPath()} compile --frozen --cached-only `);
    assert(task.includes(`-o ${dir}/spip`), task);
    const out = await new Deno.Command("sh", {
      args: ["-c", task],
      env: { DENORT_BIN: "/bin/true" },
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, decoder.decode(out.stderr));
    const binary = decoder.decode(await Deno.readFile(`${dir}/spip`));
    const stored = /"v8_flags":(\[[^\]]*\])/.exec(binary)?.[1];
    assert(stored !== undefined, "no v8_flags in the binary's metadata");
    assertStringIncludes(stored, '"--max-semi-space-size=2"');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
