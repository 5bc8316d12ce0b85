/**
 * The `compile` task of `deno.json` as it is, run offline as `compile:offline` runs (denort cannot
 * be fetched here, so `DENORT_BIN=/bin/true`): what it writes is not a working binary, but it
 * holds the metadata `deno compile` stores (permissions, log level, V8 flags).
 *
 * @module
 */
import { denoTasks, ROOT } from "../../testing/start_task.ts";
import { assertEquals } from "../../testing/std.ts";

const decoder = new TextDecoder();

/**
 * Runs the compile task offline into a temporary directory.
 *
 * @returns The written file, as text (its metadata is JSON).
 */
export async function compiledBinaryText(): Promise<string> {
  const tasks = denoTasks();
  const dir = await Deno.makeTempDir({ prefix: "spip-compile-" });
  try {
    const task = (tasks["compile"] ?? "").replace(/-o \S+/, `-o ${dir}/spip`)
      .replace(/^deno compile /, `${Deno.execPath()} compile --frozen --cached-only `);
    const out = await new Deno.Command("sh", {
      args: ["-c", task],
      env: { DENORT_BIN: "/bin/true" },
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, decoder.decode(out.stderr));
    return decoder.decode(await Deno.readFile(`${dir}/spip`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
