/**
 * The bench's C programs (`bench/c/`): the load client and the plain epoll loop baseline,
 * compiled with gcc into the run's temporary directory when the bench starts.
 *
 * @module
 */

const SOURCES = new URL("./c/", import.meta.url).pathname;

/** The compiled programs' paths. */
export interface CPrograms {
  /** `bench/c/load_client.c`. */
  readonly loadClient: string;
  /** `bench/c/epoll_sensor.c`. */
  readonly epollSensor: string;
}

async function compile(source: string, output: string): Promise<void> {
  const result = await new Deno.Command("gcc", {
    args: ["-O2", "-Wall", "-o", output, `${SOURCES}${source}`],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((error) => {
    throw new Error(`Cannot compile bench/c/${source}: gcc: ${error.message}`);
  });
  if (!result.success) {
    const detail = new TextDecoder().decode(result.stderr).trim().split("\n").slice(0, 5);
    throw new Error(`Cannot compile bench/c/${source}: ${detail.join(" | ")}`);
  }
}

/**
 * Compiles the C programs.
 *
 * @param dir Where the binaries go.
 * @returns Their paths.
 * @throws {Error} When gcc is missing or fails.
 */
export async function compileCPrograms(dir: string): Promise<CPrograms> {
  const programs = { loadClient: `${dir}/load_client`, epollSensor: `${dir}/epoll_sensor` };
  await compile("load_client.c", programs.loadClient);
  await compile("epoll_sensor.c", programs.epollSensor);
  return programs;
}
