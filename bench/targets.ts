/**
 * What the bench can measure: the sensor, started exactly as the `start` task in `deno.json`
 * starts it, and the baseline (`bench/baseline_sensor.ts`).
 *
 * @module
 */

import { ROOT, startTask } from "../testing/start_task.ts";

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
