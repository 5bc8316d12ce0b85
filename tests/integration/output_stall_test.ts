/**
 * A stalled reader never freezes the sensor: records on a stdout FIFO whose reader is stopped
 * (SIGSTOP), stderr on a FIFO whose reader is stopped, SIGTERM during a stall, and records on a
 * stdout Unix socket (journald's kind, written on a thread) whose reader is stopped.
 */
import { assert, assertEquals, assertGreater, assertMatch } from "../../testing/std.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { type SensorExit, SensorProcess, testConfig } from "./_sensor_process.ts";

/** How long the reader stays stopped under load. */
const STALL_MS = 20_000;
/** The sensor's shutdown deadline for the output (main.ts), plus the second the issue allows. */
const EXIT_WITHIN_MS = 5000 + 1000;

/** Settings for a stall: short idle timeout, a stats line a second, a small output bound. */
function stallConfig(port: number): string {
  return testConfig(port, "stats_interval = 1\noutput_buffer = 65536\nrecord_silent = true");
}

/**
 * A FIFO and a reader copying it to a file, which the test stops and resumes. The reader
 * shrinks the pipe to one page (F_SETPIPE_SZ), so a few lines fill it.
 */
class StoppableReader {
  readonly dir: string;
  readonly fifo: string;
  readonly file: string;
  readonly #child: Deno.ChildProcess;

  private constructor(dir: string, child: Deno.ChildProcess) {
    this.dir = dir;
    this.fifo = `${dir}/fifo`;
    this.file = `${dir}/out`;
    this.#child = child;
  }

  /**
   * Starts a reader of a FIFO (`small`: a one-page pipe) or, with `socket`, of a Unix stream
   * socket it listens on (`fifo` is then the socket's path), as journald reads a unit's stdout.
   */
  static async start(kind: "small" | "default" | "socket"): Promise<StoppableReader> {
    const dir = await Deno.makeTempDir({ prefix: "spip-stall-" });
    if (kind !== "socket") {
      const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
      assert(made.success, "mkfifo");
    }
    const script = `
import fcntl, os, socket, sys
if sys.argv[3] == "socket":
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sys.argv[1])
    server.listen(1)
    fd = server.accept()[0].detach()
else:
    fd = os.open(sys.argv[1], os.O_RDONLY)
if sys.argv[3] == "small":
    fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
with open(sys.argv[2], "wb", buffering=0) as out:
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out.write(chunk)
`;
    const child = new Deno.Command("python3", {
      args: ["-c", script, `${dir}/fifo`, `${dir}/out`, kind],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const deadline = Date.now() + 5000;
    while (kind === "socket" && !(await exists(`${dir}/fifo`))) {
      assert(Date.now() < deadline, "the socket reader never listened");
      await new Promise((r) => setTimeout(r, 20));
    }
    return new StoppableReader(dir, child);
  }

  stop(): void {
    Deno.kill(this.#child.pid, "SIGSTOP");
  }

  resume(): void {
    Deno.kill(this.#child.pid, "SIGCONT");
  }

  /** Whole lines copied so far. */
  lines(): string[] {
    let text = "";
    try {
      text = Deno.readTextFileSync(this.file);
    } catch {
      return [];
    }
    const lines = text.split("\n");
    lines.pop(); // The part after the last newline is not a whole line.
    return lines;
  }

  async close(): Promise<void> {
    try {
      this.resume();
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

interface LoadResult {
  sent: number;
  failed: number;
  /** Seconds from the probe's connect to the sensor closing it, or -1. */
  probe_closed_s: number;
  probe_connect_s: number;
}

/**
 * Clients that each send 1 KiB and close, at a steady rate, for a bounded time; and a silent
 * probe, `probeAt` seconds in, timed until the sensor closes it.
 */
function loadScript(seconds: number, perSecond: number, probeAt: number): string {
  return `
import json, socket, threading, time
result = {"sent": 0, "failed": 0, "probe_closed_s": -1, "probe_connect_s": -1}
def probe():
    time.sleep(${probeAt})
    started = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", 7777), timeout=10)
        result["probe_connect_s"] = round(time.time() - started, 2)
        if s.recv(1) == b"":
            result["probe_closed_s"] = round(time.time() - started, 2)
        s.close()
    except Exception as e:
        result["probe_error"] = str(e)
t = threading.Thread(target=probe)
t.start()
payload = b"x" * 1024
end = time.time() + ${seconds}
i = 0
while time.time() < end:
    tick = time.time()
    for _ in range(${perSecond} // 10):
        try:
            s = socket.create_connection(("127.0.0.1", 10000 + i % 1000), timeout=3)
            s.sendall(payload)
            s.close()
            result["sent"] += 1
        except Exception:
            result["failed"] += 1
        i += 1
    time.sleep(max(0, 0.1 - (time.time() - tick)))
t.join()
print(json.dumps(result))
`;
}

async function load(
  ns: RedirectNamespace,
  seconds: number,
  perSecond: number,
  probeAt: number,
): Promise<LoadResult> {
  const out = await ns.python(loadScript(seconds, perSecond, probeAt));
  assertEquals(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as LoadResult;
}

/**
 * Stops the reader for `stallMs` while clients connect at 100 a second for 2 s less, with a silent
 * probe `probeAt` seconds in; then resumes it.
 *
 * @returns The load's result, the stats lines printed meanwhile, and the lines the reader copied.
 */
async function stall(
  ns: RedirectNamespace,
  sensor: SensorProcess,
  reader: StoppableReader,
  stallMs: number,
  probeAt: number,
): Promise<{ result: LoadResult; during: Record<string, number>[]; copied: number }> {
  reader.stop();
  const stderrBefore = sensor.errors.length;
  const stalledAt = Date.now();
  const result = await load(ns, (stallMs - 2000) / 1000, 100, probeAt);
  while (Date.now() - stalledAt < stallMs) await new Promise((r) => setTimeout(r, 100));
  const during = statsLines(sensor.errors.slice(stderrBefore));
  const copied = reader.lines().length;
  reader.resume();
  return { result, during, copied };
}

/**
 * The sensor kept accepting: every client got through, and the silent probe was accepted at once
 * and closed at its idle timeout (2 s).
 */
function assertAcceptedThroughout(result: LoadResult, leastSent: number): void {
  assertEquals(result.failed, 0, JSON.stringify(result));
  assertGreater(result.sent, leastSent);
  assert(result.probe_connect_s >= 0 && result.probe_connect_s < 1, JSON.stringify(result));
  assert(result.probe_closed_s >= 1.5 && result.probe_closed_s < 4, JSON.stringify(result));
}

/**
 * After the reader resumed and the sensor stopped cleanly: every client and the probe were
 * accepted, each record was written or counted as shed, and the reader got every written line
 * whole.
 *
 * @returns The last stats.
 */
async function assertAllWrittenOrShed(
  exit: SensorExit,
  result: LoadResult,
  reader: StoppableReader,
): Promise<Record<string, number>> {
  assertEquals(exit.code, 0, exit.stderr);
  const stats = exit.stats as Record<string, number>;
  const accepted = stats["connections_accepted"] ?? -1;
  assertEquals(accepted, result.sent + 1, "the clients and the probe");
  assertEquals((stats["records_written"] ?? 0) + (stats["records_shed"] ?? 0), accepted);
  await new Promise((r) => setTimeout(r, 300));
  const lines = reader.lines();
  assertEquals(lines.length, stats["records_written"]);
  for (const line of lines) JSON.parse(line); // Every line whole.
  return stats;
}

function statsLines(lines: string[]): Record<string, number>[] {
  return lines.filter((line) => line.startsWith('{"type":"stats"')).map((line) => JSON.parse(line));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs the sensor with its stdout connected to a Unix stream socket, as systemd does for journald. */
function wrapperToSocket(path: string): string[] {
  const script = `import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
os.dup2(s.fileno(), 1)
os.execvp(sys.argv[2], sys.argv[2:])`;
  return ["python3", "-c", script, path];
}

function wrapperTo(stream: "stdout" | "stderr", fifo: string): string[] {
  const redirect = stream === "stdout" ? ">" : "2>";
  return ["sh", "-c", `exec "$0" "$@" ${redirect} '${fifo}'`];
}

Deno.test("stdout FIFO with a stopped reader for 20 s: the sensor keeps accepting, sheds and counts, and loses nothing", async () => {
  const ns = await RedirectNamespace.create("stall-out");
  const reader = await StoppableReader.start("default");
  let sensor: SensorProcess | undefined;
  try {
    sensor = await SensorProcess.start(ns, stallConfig(ns.port), wrapperTo("stdout", reader.fifo));
    const { result, during, copied: writtenDuringStall } = await stall(
      ns,
      sensor,
      reader,
      STALL_MS,
      8,
    );
    assertAcceptedThroughout(result, 1000);
    // Stats lines kept coming, about one a second, and records_shed rose.
    assertGreater(during.length, STALL_MS / 1000 - 4);
    const firstShed = during.find((s) => (s["records_shed"] ?? 0) > 0);
    const last = during.at(-1);
    assert(firstShed !== undefined && last !== undefined, "stats with records_shed > 0");
    assertGreater(last["records_shed"] ?? 0, firstShed["records_shed"] ?? 0);
    assertEquals(writtenDuringStall, 0, "the stopped reader copied nothing");

    // Once the reader resumes, every record is written or counted as shed.
    const exit = await sensor.stop();
    sensor = undefined;
    const stats = await assertAllWrittenOrShed(exit, result, reader);
    assertGreater(stats["records_shed"] ?? 0, 0);
  } finally {
    await sensor?.kill();
    await reader.close();
    await ns.delete();
  }
});

Deno.test("SIGTERM while the stdout reader is stopped: exit 1 within the deadline, with a count of what was not written", async () => {
  const ns = await RedirectNamespace.create("stall-term");
  const reader = await StoppableReader.start("default");
  let sensor: SensorProcess | undefined;
  try {
    sensor = await SensorProcess.start(ns, stallConfig(ns.port), wrapperTo("stdout", reader.fifo));
    reader.stop();
    const result = await load(ns, 4, 100, 1);
    assertEquals(result.failed, 0, JSON.stringify(result));
    const started = Date.now();
    const exit = await sensor.stop("SIGTERM", 15_000);
    const tookMs = Date.now() - started;
    sensor = undefined;
    assert(tookMs < EXIT_WITHIN_MS, `exit took ${tookMs} ms`);
    assertEquals(exit.code, 1, exit.stderr);
    const said = exit.stderr.match(/Cannot write (\d+) records before the shutdown deadline/);
    assert(said !== null, exit.stderr);
    const unwritten = Number(said[1]);
    assertGreater(unwritten, 0);
    const stats = exit.stats as Record<string, number>;
    assertEquals(
      (stats["records_written"] ?? 0) + (stats["records_shed"] ?? 0),
      stats["connections_accepted"],
    );
    assert((stats["records_shed"] ?? 0) >= unwritten);
    reader.resume();
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(reader.lines().length, stats["records_written"]);
  } finally {
    await sensor?.kill();
    await reader.close();
    await ns.delete();
  }
});

Deno.test("stderr FIFO with a stopped reader: records keep flowing, stats lines wait and arrive whole once it resumes", async () => {
  const ns = await RedirectNamespace.create("stall-err");
  const reader = await StoppableReader.start("small");
  let sensor: SensorProcess | undefined;
  try {
    sensor = await SensorProcess.start(ns, stallConfig(ns.port), wrapperTo("stderr", reader.fifo));
    reader.stop();
    const stalledMs = 10_000;
    const stalledAt = Date.now();
    const result = await load(ns, 4, 50, 1);
    assertEquals(result.failed, 0, JSON.stringify(result));
    assert(result.probe_closed_s >= 1.5 && result.probe_closed_s < 4, JSON.stringify(result));
    // The records of every client reached stdout while stderr was stalled.
    await sensor.waitFor((records) => records.length >= result.sent + 1, 5000);
    while (Date.now() - stalledAt < stalledMs) await new Promise((r) => setTimeout(r, 100));
    const copiedDuringStall = reader.lines().length;
    reader.resume();
    const exit = await sensor.stop();
    sensor = undefined;
    assertEquals(exit.code, 0);
    await new Promise((r) => setTimeout(r, 300));
    const lines = reader.lines();
    const stats = statsLines(lines);
    // About one stats line a second while stalled, plus the last: all arrived, each whole.
    assertGreater(stats.length, copiedDuringStall + 4);
    assertGreater(stats.length, stalledMs / 1000 - 2);
    for (const line of lines) assertMatch(line, /^\{.*\}$|^[A-Z]/);
    assertEquals(stats.at(-1)?.["records_written"], result.sent + 1);
  } finally {
    await sensor?.kill();
    await reader.close();
    await ns.delete();
  }
});

Deno.test("stdout on a Unix socket (as under journald) with its reader stopped: written on a thread, accepting goes on, nothing lost uncounted", async () => {
  const ns = await RedirectNamespace.create("stall-sock");
  const reader = await StoppableReader.start("socket");
  let sensor: SensorProcess | undefined;
  try {
    sensor = await SensorProcess.start(ns, stallConfig(ns.port), wrapperToSocket(reader.fifo));
    const startLine = (): string | undefined =>
      sensor?.errors.find((line) => line.includes('"type":"start"'));
    const seenBy = Date.now() + 5000;
    while (startLine() === undefined && Date.now() < seenBy) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const start = JSON.parse(startLine() ?? "{}");
    assertEquals(start["output_mode"], "thread", sensor.errors.join("\n"));
    const stalledMs = 10_000;
    const { result, during, copied: copiedDuringStall } = await stall(
      ns,
      sensor,
      reader,
      stalledMs,
      3,
    );
    // The blocked write holds one of Deno's threads, not the sensor.
    assertAcceptedThroughout(result, 400);
    assertGreater(during.length, stalledMs / 1000 - 4, "stats lines kept coming");
    assertGreater(during.at(-1)?.["records_shed"] ?? 0, 0);
    assertGreater(result.sent, copiedDuringStall, "the stopped reader could not take everything");

    // Once the reader resumes, every record is written or counted as shed.
    const exit = await sensor.stop();
    sensor = undefined;
    await assertAllWrittenOrShed(exit, result, reader);
  } finally {
    await sensor?.kill();
    await reader.close();
    await ns.delete();
  }
});
