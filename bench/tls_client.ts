/**
 * The bench's TLS load client. It runs inside the bench's network namespace and, for each session,
 * dials `--host` on the next port of `--port-min..--port-max` (the namespace's NAT sends them all
 * to the sensor), completes a TLS 1.3 handshake with SNI `--sni`, sends a short HTTP request whose
 * header carries the session's token, and closes (close_notify, then FIN).
 *
 * It ends with the same `{"event":"done",...}` line as `bench/load_client.ts`.
 *
 * Usage: `deno run --allow-all bench/tls_client.ts --run-id ID --count N ...`
 *
 * @module
 */
import tls from "node:tls";
import { parseArgs } from "../src/std.ts";
import { portFor, tokenText } from "./payload.ts";
import { errorKind, positiveInt, sayDone } from "./client_protocol.ts";

/** The TLS client's settings. */
export interface TlsLoadOptions {
  /** The address dialled. */
  host: string;
  /** The server name sent in the ClientHello. */
  sni: string;
  /** The run id carried in every request. */
  runId: string;
  /** Sessions to make. */
  count: number;
  /** Sessions in flight at once. */
  concurrency: number;
  /** The lowest port dialled. */
  portMin: number;
  /** The highest port dialled. */
  portMax: number;
  /** Stop starting sessions after this many milliseconds. */
  deadlineMs: number;
  /** A session that has not closed after this many milliseconds is abandoned. */
  sessionTimeoutMs: number;
}

/**
 * The HTTP request session `index` sends inside TLS: its token is in a header.
 *
 * @param runId The run's id.
 * @param index The session's index.
 * @param sni The host name.
 * @returns The request.
 */
export function tlsRequest(runId: string, index: number, sni: string): string {
  return `GET / HTTP/1.1\r\nHost: ${sni}\r\nX-Bench: ${tokenText(runId, index)}\r\n\r\n`;
}

/** One session: resolves once the request was written and the connection closed. */
function session(options: TlsLoadOptions, index: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let sent = false;
    let failure: unknown = null;
    const socket = tls.connect({
      host: options.host,
      port: portFor(index, options.portMin, options.portMax),
      servername: options.sni,
      rejectUnauthorized: false,
      minVersion: "TLSv1.3",
      maxVersion: "TLSv1.3",
      ALPNProtocols: ["http/1.1"],
    });
    const timer = setTimeout(() => {
      failure ??= new Error("session timeout");
      socket.destroy();
    }, options.sessionTimeoutMs);
    socket.once("secureConnect", () => {
      socket.end(tlsRequest(options.runId, index, options.sni), () => sent = true);
    });
    socket.on("error", (error: unknown) => failure ??= error);
    socket.once("close", () => {
      clearTimeout(timer);
      if (sent && failure === null) resolve();
      else reject(failure ?? new Error("closed before the request was sent"));
    });
  });
}

/**
 * Runs the sessions and reports on stdout.
 *
 * @param options What to do.
 */
export async function runTlsLoad(options: TlsLoadOptions): Promise<void> {
  const completed = new Uint8Array(options.count);
  const errors: Record<string, number> = {};
  const deadline = Date.now() + options.deadlineMs;
  const started = performance.now();
  let next = 0;
  const lanes = Array.from({ length: Math.min(options.concurrency, options.count) }, async () => {
    while (next < options.count && Date.now() < deadline) {
      const index = next++;
      try {
        await session(options, index);
        completed[index] = 1;
      } catch (error) {
        const kind = errorKind(error);
        errors[kind] = (errors[kind] ?? 0) + 1;
      }
    }
  });
  await Promise.all(lanes);
  sayDone(completed, errors, started);
}

/**
 * Reads the client's flags.
 *
 * @param args The command-line arguments.
 * @returns The options.
 * @throws {RangeError} For a bad value.
 */
export function parseTlsLoadArgs(args: string[]): TlsLoadOptions {
  const flags = parseArgs(args, {
    string: [
      "host",
      "sni",
      "run-id",
      "count",
      "concurrency",
      "port-min",
      "port-max",
      "deadline-ms",
      "session-timeout-ms",
    ],
  });
  return {
    host: String(flags["host"] ?? "127.0.0.1"),
    sni: String(flags["sni"] ?? "bench.example.com"),
    runId: String(flags["run-id"] ?? "0"),
    count: positiveInt(flags["count"] ?? 1, "count"),
    concurrency: positiveInt(flags["concurrency"] ?? 100, "concurrency"),
    portMin: positiveInt(flags["port-min"] ?? 1, "port-min"),
    portMax: positiveInt(flags["port-max"] ?? 1000, "port-max"),
    deadlineMs: positiveInt(flags["deadline-ms"] ?? 30_000, "deadline-ms"),
    sessionTimeoutMs: positiveInt(flags["session-timeout-ms"] ?? 15_000, "session-timeout-ms"),
  };
}

if (import.meta.main) await runTlsLoad(parseTlsLoadArgs(Deno.args));
