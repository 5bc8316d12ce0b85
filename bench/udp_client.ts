/**
 * The bench's UDP load client. It runs in the client namespace of a TPROXY pair
 * (`testing/tproxy_pair.ts`) and sends `--count` datagrams, at most `--rate` per second, each with
 * its own token, to documentation-range addresses routed to the sensor's namespace: three in four
 * to 198.51.100.0/24, one in four to 2001:db8:1::/48, on ports spread over 1-65535.
 *
 * It ends with the same `{"event":"done",...}` line as `bench/load_client.ts`.
 *
 * Usage: `deno run --allow-all bench/udp_client.ts --run-id ID --count N --rate R ...`
 *
 * @module
 */
import dgram from "node:dgram";
import { Buffer } from "node:buffer";
import { parseArgs } from "../src/std.ts";
import { makePayload } from "./payload.ts";
import { errorKind, positiveInt, sayDone } from "./client_protocol.ts";
import { ROUTED_V4, ROUTED_V6 } from "../testing/tproxy_pair.ts";

/** The UDP client's settings. */
export interface UdpLoadOptions {
  /** The run id carried in every datagram. */
  runId: string;
  /** Datagrams to send. */
  count: number;
  /** Datagrams per second at most. */
  rate: number;
  /** Bytes per datagram. */
  size: number;
  /** Stop sending after this many milliseconds. */
  deadlineMs: number;
}

/** Where datagram `index` goes. */
export interface UdpDestination {
  /** The address, as the sensor writes it in `destination_ip`. */
  ip: string;
  /** The port. */
  port: number;
  /** The socket family. */
  family: "udp4" | "udp6";
}

/**
 * The destination of datagram `index`: every fourth one over IPv6, ports spread by a stride
 * prime to 65535.
 *
 * @param index The datagram's index.
 * @returns The address and port.
 */
export function udpDestination(index: number): UdpDestination {
  const port = 1 + ((index * 7919) % 65535);
  if (index % 4 === 3) {
    return { ip: `${ROUTED_V6}${(1 + (index % 65534)).toString(16)}`, port, family: "udp6" };
  }
  return { ip: `${ROUTED_V4}.${1 + (index % 254)}`, port, family: "udp4" };
}

/** Sends through one socket; resolves when the kernel took the datagram. */
function send(socket: dgram.Socket, bytes: Uint8Array, to: UdpDestination): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(Buffer.from(bytes), to.port, to.ip, (error) => error ? reject(error) : resolve());
  });
}

/** Ticks per second of the rate limiter: each tick sends its share, then waits. */
const TICKS = 100;

/**
 * Sends the datagrams and reports on stdout.
 *
 * @param options What to do.
 */
export async function runUdpLoad(options: UdpLoadOptions): Promise<void> {
  const sockets = { udp4: dgram.createSocket("udp4"), udp6: dgram.createSocket("udp6") };
  const sent = new Uint8Array(options.count);
  const errors: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + options.deadlineMs;
  const perTick = Math.max(1, Math.round(options.rate / TICKS));
  let next = 0;
  try {
    while (next < options.count && performance.now() < deadline) {
      const batch: Promise<void>[] = [];
      for (let k = 0; k < perTick && next < options.count; k++) {
        const index = next++;
        const to = udpDestination(index);
        batch.push(
          send(sockets[to.family], makePayload(options.runId, index, options.size), to).then(
            () => {
              sent[index] = 1;
            },
            (error) => {
              const kind = errorKind(error);
              errors[kind] = (errors[kind] ?? 0) + 1;
            },
          ),
        );
      }
      await Promise.all(batch);
      // Pace against the clock since the start, so that timer lateness does not pile up.
      const dueAt = started + (next / perTick) * (1000 / TICKS);
      const wait = Math.max(0, dueAt - performance.now());
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  } finally {
    sockets.udp4.close();
    sockets.udp6.close();
  }
  sayDone(sent, errors, started);
}

/**
 * Reads the client's flags.
 *
 * @param args The command-line arguments.
 * @returns The options.
 * @throws {RangeError} For a bad value.
 */
export function parseUdpLoadArgs(args: string[]): UdpLoadOptions {
  const flags = parseArgs(args, { string: ["run-id", "count", "rate", "size", "deadline-ms"] });
  return {
    runId: String(flags["run-id"] ?? "0"),
    count: positiveInt(flags["count"] ?? 1, "count"),
    rate: positiveInt(flags["rate"] ?? 10_000, "rate"),
    size: positiveInt(flags["size"] ?? 64, "size"),
    deadlineMs: positiveInt(flags["deadline-ms"] ?? 30_000, "deadline-ms"),
  };
}

if (import.meta.main) await runUdpLoad(parseUdpLoadArgs(Deno.args));
