/**
 * The bench's baseline: the least a Deno sensor can do. It accepts, reads once (up to 4 KiB),
 * writes one JSON line (batched `writeSync`), and closes. No original destination (its
 * `destination_port` is its own port), no timeouts, no byte cap, no shedding.
 *
 * The bench runs it on the same harness as the sensor so that the sensor's figures can be stated
 * as ratios to what Deno itself costs on this machine.
 *
 * On SIGTERM it flushes, prints one JSON stats line on stderr and exits 0.
 *
 * Usage: `deno run --allow-net bench/baseline_sensor.ts --port P`
 *
 * @module
 */
import { parseArgs } from "../src/std.ts";

const encoder = new TextEncoder();
/** Flush once this many characters are pending. */
const FLUSH_AT = 65536;

/** The baseline's counters, named as the sensor's stats keys. */
interface BaselineStats {
  connections_accepted: number;
  records_written: number;
  records_shed: number;
  accept_errors: Record<string, number>;
}

const stats: BaselineStats = {
  connections_accepted: 0,
  records_written: 0,
  records_shed: 0,
  accept_errors: {},
};
let pending: string[] = [];
let pendingLength = 0;
let flushTimer: ReturnType<typeof setTimeout> | undefined;

function flush(): void {
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (pending.length === 0) return;
  const bytes = encoder.encode(pending.join(""));
  pending = [];
  pendingLength = 0;
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
}

function emit(line: string): void {
  pending.push(line, "\n");
  pendingLength += line.length + 1;
  stats.records_written++;
  if (pendingLength >= FLUSH_AT) flush();
  else if (flushTimer === undefined) flushTimer = setTimeout(flush, 0);
}

let sessions = 0;

async function handle(conn: Deno.Conn): Promise<void> {
  const remote = conn.remoteAddr as Deno.NetAddr;
  const local = conn.localAddr as Deno.NetAddr;
  const buffer = new Uint8Array(4096);
  let n = 0;
  try {
    n = (await conn.read(buffer)) ?? 0;
  } catch {
    n = 0;
  }
  const now = Date.now();
  emit(JSON.stringify({
    timestamp: Math.floor(now / 1000),
    payload_hex: buffer.subarray(0, n).toHex(),
    source_ip: remote.hostname,
    source_port: remote.port,
    destination_ip: local.hostname,
    destination_port: local.port,
    session_id: String(++sessions),
    seq: 1,
    timestamp_ms: now,
  }));
  try {
    conn.close();
  } catch { /* already closed */ }
}

/**
 * Accepts until the listener is closed, counting accept errors by kind.
 *
 * @param listener The listener.
 */
export async function serve(listener: Deno.Listener): Promise<void> {
  while (true) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      const kind = error instanceof Error
        ? String((error as { code?: unknown }).code ?? error.name)
        : "unknown";
      stats.accept_errors[kind] = (stats.accept_errors[kind] ?? 0) + 1;
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return;
      }
      if (kind === "EMFILE" || kind === "ENFILE") {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      continue;
    }
    stats.connections_accepted++;
    handle(conn);
  }
}

if (import.meta.main) {
  const flags = parseArgs(Deno.args, { string: ["port"] });
  const port = Number(flags["port"] ?? 12345);
  const listener = Deno.listen({ hostname: "::", port });
  Deno.addSignalListener("SIGTERM", () => {
    flush();
    Deno.stderr.writeSync(encoder.encode(`${JSON.stringify(stats)}\n`));
    Deno.exit(0);
  });
  await serve(listener);
}
