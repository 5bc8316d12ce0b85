/**
 * `spip report [FILE ...] [--html OUT.html] [--since T] [--until T] [--top N]`: reads records
 * files (plain or gzip) or stdin, prints the terminal summary, and writes the HTML page.
 *
 * @module
 */
import { parseArgs } from "../std.ts";
import { ReportAggregate, type TimeWindow } from "./aggregate.ts";
import { inputName, readLineBytes, type ReportInput } from "./line_reader.ts";
import {
  aggregateInWorkers,
  type WorkersOptions,
  type WorkersResult,
  WorkersUnavailableError,
} from "./worker_pool.ts";
import type { ReportSummary } from "./summary.ts";
import { renderTerminal } from "./terminal.ts";

/**
 * Inputs of at most this many bytes in all, all regular files, are counted on the main thread:
 * starting workers costs about 40 ms, more than counting that much takes on one thread.
 */
export const ONE_THREAD_INPUT_BYTES_MAX = 4 * 1024 * 1024;

/** The default length of each top list. */
export const DEFAULT_TOP = 10;
/** The longest top list allowed. */
export const MAX_TOP = 1000;

/** The usage text of `spip report`. */
export const REPORT_USAGE =
  `Usage: spip report [FILE ...] [--html OUT.html] [--since T] [--until T] [--top N]

Summarises records files (JSON lines; gzip-compressed files are recognised), or stdin when no
FILE is given or FILE is -. Prints a summary of at most 100 columns; --html also writes one
self-contained page with charts.

Options:
  --html PATH   write the HTML page there
  --since T     skip records before T (epoch seconds, or a date such as 2026-12-01T12:00Z)
  --until T     skip records after T
  --top N       entries per top list (default ${DEFAULT_TOP}, at most ${MAX_TOP})`;

/** What the report command line asks for. */
export interface ReportCommand {
  /** The inputs, in order. */
  readonly inputs: ReportInput[];
  /** Where to write the HTML page. */
  readonly html?: string;
  /** The time window. */
  readonly window: TimeWindow;
  /** Entries per top list. */
  readonly top: number;
  /** Only print the usage. */
  readonly help: boolean;
}

function parseTime(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const seconds = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (text === "" || !Number.isFinite(seconds)) {
    throw new TypeError(
      `Cannot parse arguments: --${flag} ${text} is neither epoch seconds nor a date`,
    );
  }
  return seconds;
}

/**
 * Parses the arguments after `report`.
 *
 * @param args The arguments.
 * @returns The command.
 * @throws {TypeError} "Cannot parse arguments: ..." for an unknown flag or a bad value.
 */
export function parseReportArgs(args: string[]): ReportCommand {
  const unknown: string[] = [];
  const parsed = parseArgs(args, {
    string: ["html", "since", "until", "top"],
    boolean: ["help"],
    alias: { h: "help" },
    unknown: (arg) => {
      if (arg.startsWith("-") && arg !== "-") {
        unknown.push(arg);
        return false;
      }
      return true;
    },
  });
  if (unknown.length > 0) {
    throw new TypeError(`Cannot parse arguments: unknown argument ${unknown[0]}; see --help`);
  }
  const html = parsed["html"];
  if (html === "" || (args.includes("--html") && html === undefined)) {
    throw new TypeError("Cannot parse arguments: --html needs a path");
  }
  const topText = parsed["top"];
  const top = topText === undefined ? DEFAULT_TOP : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
    throw new TypeError(
      `Cannot parse arguments: --top ${topText} is not an integer from 1 to ${MAX_TOP}`,
    );
  }
  const since = parseTime("since", parsed["since"]);
  const until = parseTime("until", parsed["until"]);
  const names = parsed._.map(String);
  return {
    inputs: names.length === 0
      ? [{ stdin: true }]
      : names.map((name) => name === "-" ? { stdin: true } : { path: name }),
    ...(typeof html === "string" ? { html } : {}),
    window: {
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    },
    top,
    help: parsed["help"] === true,
  };
}

/** How {@linkcode summarise} reads, beyond the command. */
export interface SummariseOptions {
  /** The workers' settings (tests give failing worker modules). */
  readonly workers?: WorkersOptions;
  /** Told when the workers could not start and the main thread reads instead. */
  readonly warn?: (line: string) => void;
}

/**
 * Reads every input and summarises it: records read on every core and counted in input order
 * (see `worker_pool.ts`), or all on the main thread when the inputs are small files or the
 * workers cannot start (said through `options.warn`); the summary is the same either way.
 *
 * @param command The parsed command.
 * @param options Workers' settings and where a fallback is told.
 * @returns The summary.
 * @throws {Error} "Cannot read ..." when an input cannot be read; "Cannot summarise records: ..."
 *   when a reading worker fails after it started.
 */
export async function summarise(
  command: ReportCommand,
  options: SummariseOptions = {},
): Promise<ReportSummary> {
  let result: CountedInputs;
  if (await isSmall(command.inputs)) {
    result = await aggregateOnOneThread(command.inputs, command.window);
  } else {
    try {
      result = await aggregateInWorkers(command.inputs, command.window, options.workers);
    } catch (error) {
      if (!(error instanceof WorkersUnavailableError)) throw error;
      options.warn?.(`${error.message}; reading on one thread`);
      result = await aggregateOnOneThread(command.inputs, command.window);
    }
  }
  const { aggregate, tooLong } = result;
  return aggregate.summary(command.top, { names: command.inputs.map(inputName), tooLong });
}

/** The inputs counted, on one thread or in workers. */
type CountedInputs = Pick<WorkersResult, "aggregate" | "tooLong">;

/** Whether every input is a regular file and together they hold few bytes. */
async function isSmall(inputs: readonly ReportInput[]): Promise<boolean> {
  let bytes = 0;
  for (const input of inputs) {
    if (!("path" in input)) return false;
    const info = await Deno.stat(input.path).catch(() => null);
    if (info === null || !info.isFile) return false;
    bytes += info.size;
  }
  return bytes <= ONE_THREAD_INPUT_BYTES_MAX;
}

async function aggregateOnOneThread(
  inputs: readonly ReportInput[],
  window: TimeWindow,
): Promise<CountedInputs> {
  const aggregate = new ReportAggregate(window);
  const onLine = (bytes: Uint8Array, start: number, end: number): void =>
    aggregate.addLineBytes(bytes, start, end);
  let tooLong = 0;
  for (const input of inputs) tooLong += (await readLineBytes(input, onLine)).tooLong;
  return { aggregate, tooLong };
}

/**
 * Runs `spip report`.
 *
 * @param command The parsed command.
 * @param print Writes the terminal summary.
 * @param warn Told of a problem the report survived (the workers could not start).
 * @returns The summary (for the caller's exit code and tests).
 * @throws {Error} "Cannot read ..." or "Cannot write ..." on I/O failures.
 */
export async function runReport(
  command: ReportCommand,
  print: (text: string) => void,
  warn?: (line: string) => void,
): Promise<ReportSummary> {
  const summary = await summarise(command, warn === undefined ? {} : { warn });
  print(renderTerminal(summary));
  if (command.html !== undefined) {
    // The chart library is loaded only when a page is asked for.
    const { renderHtml } = await import("./html.ts");
    const page = renderHtml(summary);
    try {
      await Deno.writeTextFile(command.html, page);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot write ${command.html}: ${detail}`);
    }
  }
  return summary;
}
