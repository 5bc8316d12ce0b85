/**
 * Deno prints an `Info Failed to resolve 'nft' for allow-run` line (log level info) for each
 * binary that `--allow-run` names and PATH lacks. start, dev and compile pass `--quiet`
 * (log level error, which `deno compile` stores in the binary), so nothing is printed.
 */
import { assert, assertEquals, assertStringIncludes } from "../../testing/std.ts";
import { denoTasks, ROOT } from "../../testing/start_task.ts";
import { compiledBinaryText } from "./_compiled_binary.ts";

const TASKS = denoTasks();
const decoder = new TextDecoder();

/** The words of a task after `deno run` / `deno compile` that are flags. */
function flags(task: string): string[] {
  return task.split(" ").filter((word) => word.startsWith("--"));
}

Deno.test("the start task's flags print nothing on a machine without nft, iptables or ip", async () => {
  const emptyPath = await Deno.makeTempDir({ prefix: "spip-empty-path-" });
  try {
    const start = flags(TASKS["start"] ?? "");
    assert(start.some((flag) => flag.startsWith("--allow-run=") && flag.includes("nft")));
    const run = (extra: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", ...extra, `${ROOT}main.ts`, "--version"],
        env: { PATH: emptyPath },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const quiet = await run(start);
    assertEquals(quiet.code, 0);
    assertEquals(decoder.decode(quiet.stderr), "");
    assertEquals(decoder.decode(quiet.stdout), "spip 0.1.0\n");
    // Without --quiet, Deno does complain: the flag is what silences it.
    const loud = await run(start.filter((flag) => flag !== "--quiet"));
    assertStringIncludes(decoder.decode(loud.stderr), "Failed to resolve 'nft' for allow-run");
  } finally {
    await Deno.remove(emptyPath, { recursive: true });
  }
});

Deno.test("start, dev and compile pass --quiet; the compiled binary stores log level ERROR", async () => {
  for (const name of ["start", "dev", "compile"]) {
    assert(flags(TASKS[name] ?? "").includes("--quiet"), name);
  }
  assertStringIncludes(await compiledBinaryText(), '"log_level":"ERROR"');
});
