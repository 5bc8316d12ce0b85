/**
 * What the bench can measure: the sensor, started exactly as the `start` task in `deno.json`
 * starts it, with each accept engine (`accept4`, the default, and `accept = "deno"`); and two
 * baselines: the least a Deno sensor can do (`bench/baseline_sensor.ts`) and a plain C epoll loop
 * (`bench/c/epoll_sensor.c`).
 *
 * @module
 */
import type { CPrograms } from "./c_programs.ts";

import { ROOT, startTask } from "../testing/start_task.ts";

/** A program the bench drives. */
export interface Target {
  /** `sensor` (accept4), `sensor-deno` (Deno's accept), `baseline` (Deno) or `c-loop`. */
  readonly name: TargetName;
  /** Whether it is one of the sensor's engines (its records are checked strictly). */
  readonly isSensor: boolean;
  /** Sensor config keys it sets beyond the scenario's. */
  readonly config: Readonly<Record<string, string>>;
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
   * @param programs The compiled C programs.
   */
  argv(
    configFile: string,
    port: number,
    profileDir: string | undefined,
    programs: CPrograms,
  ): string[];
}

/** The targets' names. */
export type TargetName = "sensor" | "sensor-deno" | "sensor-b" | "baseline" | "c-loop";

function profileFlags(profileDir: string | undefined): string[] {
  return profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];
}

function sensorArgv(
  configFile: string,
  profileDir: string | undefined,
  root: string = ROOT,
): string[] {
  const [, sub, ...rest] = startTask(root);
  const words = rest.map((word) => word.endsWith(".ts") ? `${root}${word}` : word);
  return [
    Deno.execPath(),
    sub ?? "run",
    ...profileFlags(profileDir),
    ...words,
    "--config",
    configFile,
  ];
}

/** The sensor, as production starts it, plus `--config FILE`: the default accept4 engine. */
export const SENSOR: Target = {
  name: "sensor",
  isSensor: true,
  config: { accept: "accept4" },
  checkPort: true,
  fullPayload: true,
  argv: (configFile, _port, profileDir) => sensorArgv(configFile, profileDir),
};

/** The sensor with `accept = "deno"`: Deno's `listener.accept()`, the original design. */
export const SENSOR_DENO: Target = {
  name: "sensor-deno",
  isSensor: true,
  config: { accept: "deno" },
  checkPort: true,
  fullPayload: true,
  argv: (configFile, _port, profileDir) => sensorArgv(configFile, profileDir),
};

/**
 * The sensor of another checkout (`--compare DIR`), started as DIR's own start task starts it
 * (its flags, V8's included) and with DIR's `deno.json`, with the default accept4 engine. Run in
 * the same rounds as {@linkcode SENSOR}, each pair of runs meets the same machine, which is what an
 * A/B of a change needs.
 *
 * @param root The other checkout's directory, ending in `/`.
 * @returns The target, named `sensor-b`.
 */
export function compareTarget(root: string): Target {
  return {
    name: "sensor-b",
    isSensor: true,
    config: { accept: "accept4" },
    checkPort: true,
    fullPayload: true,
    argv(configFile, _port, profileDir): string[] {
      const argv = sensorArgv(configFile, profileDir, root);
      // Its own deno.json (import map, compiler options), not the one Deno finds from the cwd.
      argv.splice(2, 0, "--config", `${root}deno.json`);
      return argv;
    },
  };
}

/** The plain C epoll loop (`bench/c/epoll_sensor.c`). */
export const C_LOOP: Target = {
  name: "c-loop",
  isSensor: false,
  config: {},
  checkPort: true,
  fullPayload: false,
  argv: (_configFile, port, _profileDir, programs) => [
    programs.epollSensor,
    "--port",
    String(port),
  ],
};

/** The baseline sensor. */
export const BASELINE: Target = {
  name: "baseline",
  isSensor: false,
  config: {},
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
