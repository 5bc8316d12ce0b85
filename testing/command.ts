/**
 * Running a command to completion, for tests, the bench and the demo: {@linkcode run} returns
 * its exit code and output, {@linkcode must} fails unless it exits 0.
 *
 * @module
 */

/** How long a command may run unless the caller says otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** The output of a finished command. */
export interface CommandResult {
  /** The exit code (137 when it was killed at its deadline). */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

/** How to run a command. */
export interface RunOptions {
  /** Text for its standard input; without it, stdin is closed. */
  stdin?: string;
  /** It is killed (SIGKILL) after this long. */
  timeoutMs?: number;
}

const decoder = new TextDecoder();

/**
 * Runs a command and waits for it.
 *
 * @param argv The program and its arguments.
 * @param options Standard input and deadline.
 * @returns Its exit code and output.
 */
export async function run(
  argv: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (program === undefined) throw new TypeError("Cannot run an empty command");
  const child = new Deno.Command(program, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const output = await child.output();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a command and fails unless it exits 0.
 *
 * @param argv The program and its arguments.
 * @param options Standard input and deadline.
 * @returns Its standard output.
 * @throws {Error} "Cannot run ...: exit N: stderr" when it fails.
 */
export async function must(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(argv, options);
  if (result.code !== 0) {
    throw new Error(`Cannot run ${argv.join(" ")}: exit ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
