/**
 * The bench's load client. It runs inside the bench's network namespace, dials `--host` on the
 * ports `--port-min..--port-max` in turn (the namespace's NAT sends them all to the sensor), and
 * sends each connection its own tokened payload.
 *
 * Modes: by default each connection sends and closes (FIN, or RST with `--close rst`).
 * With `--hold` it first opens every connection without sending, prints
 * `{"event":"open",...}`, waits for a line on stdin, then sends and closes them all.
 * With `--await-greeting` each connection first waits, silent, for the sensor's greeting (its
 * first bytes), then sends and closes.
 *
 * It prints JSON lines on stdout and ends with
 * `{"event":"done","completed":N,"failed":[indices],"errors":{kind:n},"elapsed_ms":T,...}`.
 *
 * Usage: `deno run --allow-all bench/load_client.ts --run-id ID --count N ...`
 *
 * @module
 */
import { parseArgs } from "../src/std.ts";
import { makePayload, portFor } from "./payload.ts";
import { FdFinder } from "./client_fd_finder.ts";
import { setLingerZero } from "../ffi/socket.ts";
import { errorKind, positiveInt, say, sayDone } from "./client_protocol.ts";

/** The load client's settings. */
export interface LoadOptions {
  /** The address dialled. */
  host: string;
  /** The run id carried in every payload. */
  runId: string;
  /** Connections to make. */
  count: number;
  /** Connections in flight at once. */
  concurrency: number;
  /** The lowest port dialled. */
  portMin: number;
  /** The highest port dialled. */
  portMax: number;
  /** Bytes each connection sends. */
  size: number;
  /** How each connection ends: FIN, or RST through `SO_LINGER` {1, 0}. */
  close: "fin" | "rst";
  /** Open all connections first and send only when told on stdin. */
  hold: boolean;
  /** Wait for the sensor's first bytes (a greeting) before sending. */
  awaitGreeting: boolean;
  /** Stop starting connections after this many milliseconds. */
  deadlineMs: number;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Counts of what happened, by index. */
class Tally {
  readonly completed: Uint8Array;
  readonly errors: Record<string, number> = {};
  constructor(count: number) {
    this.completed = new Uint8Array(count);
  }
  fail(error: unknown): void {
    const kind = errorKind(error);
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }
}

/**
 * Runs `worker(i)` for i in 0..count-1 with at most `concurrency` in flight, until the deadline.
 */
async function pool(
  count: number,
  concurrency: number,
  deadline: number,
  worker: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count && Date.now() < deadline) await worker(next++);
  });
  await Promise.all(lanes);
}

async function closeWith(
  conn: Deno.Conn,
  options: LoadOptions,
  finder: FdFinder,
  port: number,
): Promise<void> {
  if (options.close === "rst") {
    const local = (conn.localAddr as Deno.NetAddr).port;
    const fd = finder.find(local, port);
    if (fd === -1) throw new Error("Cannot find the connection's fd for SO_LINGER");
    setLingerZero(fd);
    finder.release(fd);
  }
  conn.close();
  await Promise.resolve();
}

/**
 * Runs the load and reports on stdout.
 *
 * @param options What to do.
 */
export async function runLoad(options: LoadOptions): Promise<void> {
  const tally = new Tally(options.count);
  const finder = new FdFinder();
  const deadline = Date.now() + options.deadlineMs;
  const started = performance.now();
  const { host, runId, size, portMin, portMax } = options;
  const greeting = new Uint8Array(4096);
  if (!options.hold) {
    await pool(options.count, options.concurrency, deadline, async (i) => {
      const port = portFor(i, portMin, portMax);
      let conn: Deno.Conn | undefined;
      try {
        conn = await Deno.connect({ hostname: host, port });
        if (options.awaitGreeting && (await conn.read(greeting)) === null) {
          throw new Error("Cannot read a greeting: the sensor closed first");
        }
        await writeAll(conn, makePayload(runId, i, size));
        tally.completed[i] = 1;
        await closeWith(conn, options, finder, port);
      } catch (error) {
        tally.fail(error);
        try {
          conn?.close();
        } catch { /* already closed */ }
      }
    });
  } else {
    const conns: (Deno.Conn | undefined)[] = new Array(options.count);
    await pool(options.count, options.concurrency, deadline, async (i) => {
      try {
        conns[i] = await Deno.connect({ hostname: host, port: portFor(i, portMin, portMax) });
      } catch (error) {
        tally.fail(error);
      }
    });
    const open = conns.filter((c) => c !== undefined).length;
    say({ event: "open", open, elapsed_ms: performance.now() - started });
    const reader = Deno.stdin.readable.getReader();
    await reader.read();
    reader.releaseLock();
    await pool(options.count, options.concurrency, Infinity, async (i) => {
      const conn = conns[i];
      if (conn === undefined) return;
      conns[i] = undefined;
      try {
        await writeAll(conn, makePayload(runId, i, size));
        tally.completed[i] = 1;
        await closeWith(conn, options, finder, portFor(i, portMin, portMax));
      } catch (error) {
        tally.fail(error);
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    });
  }
  sayDone(tally.completed, tally.errors, started);
}

/**
 * Reads the client's flags.
 *
 * @param args The command-line arguments.
 * @returns The options.
 * @throws {RangeError} For a bad value.
 */
export function parseLoadArgs(args: string[]): LoadOptions {
  const flags = parseArgs(args, {
    string: [
      "host",
      "run-id",
      "count",
      "concurrency",
      "port-min",
      "port-max",
      "size",
      "close",
      "deadline-ms",
    ],
    boolean: ["hold", "await-greeting"],
  });
  const close = flags["close"] ?? "fin";
  if (close !== "fin" && close !== "rst") throw new RangeError(`Cannot use --close=${close}`);
  return {
    host: String(flags["host"] ?? "127.0.0.1"),
    runId: String(flags["run-id"] ?? "0"),
    count: positiveInt(flags["count"] ?? 1, "count"),
    concurrency: positiveInt(flags["concurrency"] ?? 100, "concurrency"),
    portMin: positiveInt(flags["port-min"] ?? 1, "port-min"),
    portMax: positiveInt(flags["port-max"] ?? 1000, "port-max"),
    size: positiveInt(flags["size"] ?? 64, "size"),
    close,
    hold: flags["hold"] === true,
    awaitGreeting: flags["await-greeting"] === true,
    deadlineMs: positiveInt(flags["deadline-ms"] ?? 30_000, "deadline-ms"),
  };
}

if (import.meta.main) await runLoad(parseLoadArgs(Deno.args));
