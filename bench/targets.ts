/**
 * What the bench can measure: the sensor, started exactly as the `start` task in `deno.json`
 * starts it, and the baseline (`bench/baseline_sensor.ts`).
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname;

/** A program the bench drives. */
export interface Target {
  /** `sensor` or `baseline`. */
  readonly name: "sensor" | "baseline";
  /** Whether its records carry the port the client dialled. */
  readonly checkPort: boolean;
  /** Whether it logs every byte up to the cap (the baseline reads once). */
  readonly fullPayload: boolean;
  /**
   * Its command line.
   *
   * @param configFile The generated config file.
   * @param port The port it listens on.
   * @param profileDir Where to write a V8 CPU profile, if wanted.
   */
  argv(configFile: string, port: number, profileDir: string | undefined): string[];
}

/**
 * Reads the `start` task of `deno.json`: the flags production runs the sensor with.
 *
 * @returns The task's words, `deno run ... main.ts`.
 * @throws {Error} When the task is missing.
 */
export function startTask(): string[] {
  const json = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)) as {
    tasks?: Record<string, string>;
  };
  const task = json.tasks?.["start"];
  if (task === undefined) throw new Error("Cannot find the start task in deno.json");
  return task.trim().split(/\s+/).filter((word) => !ENV_ASSIGNMENT.test(word));
}

/** A leading `NAME=value` word of a task: an environment variable the task sets. */
const ENV_ASSIGNMENT = /^[A-Z_][A-Z0-9_]*=/;

/**
 * The environment variables the start task sets before `deno` (such as
 * `DENO_NO_UPDATE_CHECK=1`, which keeps `deno run` from loading a CA store and contacting
 * dl.deno.land in the background).
 *
 * @returns The variables.
 */
export function startTaskEnv(): Record<string, string> {
  const json = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)) as {
    tasks?: Record<string, string>;
  };
  const words = (json.tasks?.["start"] ?? "").trim().split(/\s+/);
  const env: Record<string, string> = {};
  for (const word of words) {
    if (!ENV_ASSIGNMENT.test(word)) break;
    const at = word.indexOf("=");
    env[word.slice(0, at)] = word.slice(at + 1);
  }
  return env;
}

function profileFlags(profileDir: string | undefined): string[] {
  return profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];
}

/** The sensor, as production starts it, plus `--config FILE`. */
export const SENSOR: Target = {
  name: "sensor",
  checkPort: true,
  fullPayload: true,
  argv(configFile, _port, profileDir): string[] {
    const [, sub, ...rest] = startTask();
    const words = rest.map((word) => word.endsWith(".ts") ? `${ROOT}${word}` : word);
    return [
      Deno.execPath(),
      sub ?? "run",
      ...profileFlags(profileDir),
      ...words,
      "--config",
      configFile,
    ];
  },
};

/** The baseline sensor. */
export const BASELINE: Target = {
  name: "baseline",
  checkPort: false,
  fullPayload: false,
  argv(_configFile, port, profileDir): string[] {
    return [
      Deno.execPath(),
      "run",
      "--allow-net",
      ...profileFlags(profileDir),
      `${ROOT}bench/baseline_sensor.ts`,
      "--port",
      String(port),
    ];
  },
};

/**
 * Whether the sensor's entry point exists yet.
 *
 * @returns True when `main.ts` is present.
 */
export function sensorPresent(): boolean {
  try {
    return Deno.statSync(`${ROOT}main.ts`).isFile;
  } catch {
    return false;
  }
}

/**
 * A load client's command line, without the namespace wrapper.
 *
 * @param args The client's flags.
 * @param script The client's file name in `bench/`.
 * @returns The argv.
 */
export function clientArgv(args: string[], script = "load_client.ts"): string[] {
  return [
    Deno.execPath(),
    "run",
    // Reading /proc/self/stat (its own CPU time) needs --allow-all in Deno 2.9.
    "--allow-all",
    `${ROOT}bench/${script}`,
    ...args,
  ];
}
