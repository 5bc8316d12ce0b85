/**
 * The `start` task of `deno.json`: the flags production runs the sensor with, read from the one
 * place that states them.
 *
 * @module
 */

/** The repository's root, with a trailing slash. */
export const ROOT: string = new URL("../", import.meta.url).pathname;

/**
 * Reads the tasks of `deno.json`.
 *
 * @param root The checkout whose `deno.json` to read, ending in `/`; this one by default.
 * @returns Each task's command line, by the task's name.
 */
export function denoTasks(root: string = ROOT): Record<string, string> {
  const json = JSON.parse(Deno.readTextFileSync(`${root}deno.json`)) as {
    tasks?: Record<string, string>;
  };
  return json.tasks ?? {};
}

/**
 * Reads the `start` task of `deno.json`, without the environment variables it sets first (see
 * {@linkcode startTaskEnv}).
 *
 * @param root The checkout whose `deno.json` to read, ending in `/`; this one by default.
 * @returns The task's words, `deno run ... main.ts`.
 * @throws {Error} When the task is missing.
 */
export function startTask(root: string = ROOT): string[] {
  const task = denoTasks(root)["start"];
  if (task === undefined) throw new Error("Cannot find the start task in deno.json");
  return task.trim().split(/\s+/).filter((word) => !ENV_ASSIGNMENT.test(word));
}

/** A leading `NAME=value` word of a task: an environment variable the task sets. */
const ENV_ASSIGNMENT = /^[A-Z_][A-Z0-9_]*=/;

/**
 * The environment variables the `start` task sets before `deno`: `DENO_NO_UPDATE_CHECK=1`,
 * which keeps `deno run` from loading a CA store and contacting dl.deno.land in the background.
 *
 * @returns The variables.
 */
export function startTaskEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of (denoTasks()["start"] ?? "").trim().split(/\s+/)) {
    if (!ENV_ASSIGNMENT.test(word)) break;
    const at = word.indexOf("=");
    env[word.slice(0, at)] = word.slice(at + 1);
  }
  return env;
}

/**
 * The argv that starts the sensor as `deno task start` does, with this Deno binary by absolute
 * path (inside a namespace, a bare `deno` may not be on PATH) and `main.ts` by absolute path.
 *
 * @param args Arguments for `main.ts`, e.g. `["--config", file]`.
 * @returns The argv.
 */
export function startArgv(args: readonly string[]): string[] {
  const [, sub = "run", ...rest] = startTask();
  const words = rest.map((word) => word.endsWith(".ts") ? `${ROOT}${word}` : word);
  return [Deno.execPath(), sub, ...words, ...args];
}
