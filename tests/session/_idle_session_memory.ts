/**
 * Measures what an idle TCP session holds on the JavaScript heap, with greetings on and off:
 * opens N loopback connections, starts a session on each (as the sensor does: the session table,
 * the poller), and compares the heap before and after, each after a full garbage collection.
 * The sessions dialled port 21, which is greeted, but the greeting delay is not reached: this is
 * what greeting costs a session before it greets. Then, with greetings on, each session is
 * greeted, for what a greeted session adds. Prints one JSON line.
 *
 * Usage: `deno run -A --v8-flags=--expose-gc tests/session/_idle_session_memory.ts N ROUNDS`
 * (a child process dials the N connections; each process needs N fds).
 *
 * @module
 */
import { SessionTable } from "../../src/session/session_table.ts";
import { TcpSession } from "../../src/session/tcp_session.ts";
import { fdOf } from "../_socket_fd.ts";
import { acceptedConnection, sessionHarness } from "./_session_harness.ts";

/** Bytes per session on the heap, by mode. */
export interface IdleSessionMemory {
  /** Sessions per round. */
  sessions: number;
  /** Per round: heap bytes per idle session with greetings off. */
  off: number[];
  /** Per round: heap bytes per idle session with greetings on, not yet greeted. */
  on: number[];
  /** Per round: heap bytes a session adds once greeted (greetings on). */
  greeted: number[];
}

const GREETED_PORT = 21;
/** Longer than a round lasts: no session is greeted before it is measured. */
const GREET_AFTER_MS = 600_000;
/** Connections opened at once. */
const CONNECT_BATCH = 200;
/** The least share of the sessions that must still be open to be greeted and measured. */
const MEASURED_SHARE_MIN = 0.99;

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  if (gc === undefined) throw new Error("Cannot collect garbage: run with --v8-flags=--expose-gc");
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}

/** The connections' other ends, held by a child process so that this one holds N fds, not 2N. */
interface Dialler extends AsyncDisposable {
  /** The accepted ends. */
  readonly accepted: Deno.TcpConn[];
}

/**
 * Has a child process dial `count` connections to the listener, and accepts them.
 *
 * @param listener Where to dial.
 * @param count How many.
 * @returns The accepted ends; disposing it closes them and ends the child.
 */
async function dial(listener: Deno.TcpListener, count: number): Promise<Dialler> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      import.meta.filename ?? "",
      "dial",
      String(listener.addr.port),
      String(count),
    ],
    stdin: "piped",
    stdout: "null",
  }).spawn();
  const accepted: Deno.TcpConn[] = [];
  try {
    while (accepted.length < count) accepted.push(await listener.accept());
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    accepted,
    async [Symbol.asyncDispose](): Promise<void> {
      for (const conn of accepted) {
        try {
          conn.close();
        } catch {
          // Closed by its session.
        }
      }
      await child.stdin.close();
      await child.status;
    },
  };
}

/** The child's side: dials, then holds the connections until its stdin closes. */
async function holdConnections(port: number, count: number): Promise<void> {
  const conns: Deno.TcpConn[] = [];
  while (conns.length < count) {
    const batch = Math.min(CONNECT_BATCH, count - conns.length);
    conns.push(
      ...await Promise.all(
        Array.from({ length: batch }, () => Deno.connect({ hostname: "127.0.0.1", port })),
      ),
    );
  }
  await Deno.stdin.readable.pipeTo(new WritableStream());
  for (const conn of conns) conn.close();
}

/** One round in one mode: bytes per idle session, and per greeted session when greeting. */
async function round(
  greet: boolean,
  count: number,
): Promise<{ idle: number; greeted: number }> {
  await using harness = sessionHarness(greet ? { afterMs: GREET_AFTER_MS } : undefined);
  const table = new SessionTable({
    idleTimeoutMs: 2 * GREET_AFTER_MS,
    maxLifetimeMs: 4 * GREET_AFTER_MS,
    maxConnections: count + 1,
    ...(greet ? { greetAfterMs: GREET_AFTER_MS } : {}),
  });
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using dialled = await dial(listener, count);
  try {
    // Allocated before the first measure, so that holding the sessions here costs nothing.
    const sessions = new Array<TcpSession | undefined>(count).fill(undefined);
    const before = heapUsed();
    for (const [i, server] of dialled.accepted.entries()) {
      const connection = acceptedConnection(fdOf(server), GREETED_PORT, () => server.close());
      const session = new TcpSession(connection, harness.context, (s) => table.delete(s));
      sessions[i] = session;
      table.add(session);
      session.start();
    }
    const idle = heapUsed();
    let greeted = idle;
    let greetedCount = count;
    if (greet) {
      const later = Date.now() + GREET_AFTER_MS;
      for (const session of sessions) session?.greetIfSilent(later);
      // A session its peer closed meanwhile (a rare reset of a dialled connection under load)
      // cannot be greeted; every open one must be, and such losses must stay rare.
      const open = sessions.filter((session) => session?.closed === false).length;
      greetedCount = harness.stats.greetingsSent;
      if (greetedCount !== open || open < count * MEASURED_SHARE_MIN) {
        throw new Error(
          `Cannot measure: ${greetedCount} of ${count} greeted, ${count - open} closed by the peer`,
        );
      }
      greeted = heapUsed();
    }
    return { idle: (idle - before) / count, greeted: (greeted - idle) / greetedCount };
  } finally {
    table.closeAll();
  }
}

if (import.meta.main && Deno.args[0] === "dial") {
  await holdConnections(Number(Deno.args[1]), Number(Deno.args[2]));
} else if (import.meta.main) {
  const count = Number(Deno.args[0] ?? 2000);
  const rounds = Number(Deno.args[1] ?? 2);
  const result: IdleSessionMemory = { sessions: count, off: [], on: [], greeted: [] };
  // Interleaved, so that drift in the heap hits both modes alike.
  for (let i = 0; i < rounds; i++) {
    result.off.push((await round(false, count)).idle);
    const on = await round(true, count);
    result.on.push(on.idle);
    result.greeted.push(on.greeted);
  }
  Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(result)}\n`));
}
