/**
 * The output file: rotation by rename + SIGHUP under load loses and cuts nothing; a full disk
 * is counted and survived without spinning, and writing resumes when space returns.
 */
import { assert, assertEquals, assertGreater, assertLess } from "../../testing/std.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { SensorProcess, testConfig } from "./_sensor_process.ts";

const CONNECTIONS = 2000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A Python client: `count` connections in turn, each sending `prefix` and its number, then
 * half-closing and waiting for the sensor to close. (A client that closes at once right after
 * sending sometimes gets a silent record instead of its payload: a sensor bug reported
 * separately, not what these tests are about.)
 */
function clientScript(prefix: string, count: number, seconds: number): string {
  return `
import socket, sys, time
deadline = time.time() + ${seconds}
sent = 0
for i in range(${count}):
    if time.time() > deadline:
        break
    try:
        s = socket.create_connection(("127.0.0.1", 1000 + i % 5000), timeout=5)
        s.sendall(b"${prefix}%06d" % i)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
        s.close()
        sent += 1
    except OSError as e:
        print("error", e, file=sys.stderr)
print(sent)
`;
}

/** The lines of the files, each parsed; a line that is not JSON fails the test. */
async function readRecords(paths: string[]): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  for (const path of paths) {
    const text = await Deno.readTextFile(path);
    assert(text === "" || text.endsWith("\n"), `${path} ends with a whole line`);
    for (const line of text.split("\n")) {
      if (line === "") continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        throw new Error(`A partial line in ${path}: ${JSON.stringify(line.slice(0, 200))}`);
      }
    }
  }
  return records;
}

/** CPU seconds (user + system) the process has used. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5), counted from the state (field 3) here; 100 ticks a second.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function lastStats(sensor: SensorProcess): Record<string, unknown> {
  const line = [...sensor.errors].reverse().find((l) => l.startsWith('{"type":"stats"'));
  return line === undefined ? {} : JSON.parse(line);
}

Deno.test("output file: rename + SIGHUP under load keeps every record exactly once, whole", async () => {
  const ns = await RedirectNamespace.create("ops-rotate");
  const dir = await Deno.makeTempDir({ prefix: "spip-ops-rotate-" });
  let sensor: SensorProcess | undefined;
  try {
    const path = `${dir}/spip.jsonl`;
    sensor = await SensorProcess.start(ns, testConfig(ns.port, `output = "${path}"`));
    const client = ns.python(clientScript("tok-", CONNECTIONS, 60));
    let done = false;
    void client.finally(() => done = true);
    const rotated: string[] = [];
    // Rotate as logrotate's create mode does (rename, create an empty file, SIGHUP), several
    // times while the load runs.
    for (let i = 1; i <= 8 && !done; i++) {
      await delay(150);
      const old = `${path}.${i}`;
      await Deno.rename(path, old);
      await Deno.writeFile(path, new Uint8Array(0), { createNew: true, mode: 0o640 });
      rotated.push(old);
      sensor.child.kill("SIGHUP");
    }
    const result = await client;
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout.trim(), String(CONNECTIONS), result.stderr);
    const exit = await sensor.stop();
    sensor = undefined;
    assertEquals(exit.code, 0, exit.stderr);
    assertEquals(exit.stats["records_shed"], 0);
    assertEquals(exit.stats["output_errors"], 0);

    assertGreater(rotated.length, 1, "the load lasted over several rotations");
    const files = [...rotated, path];
    const records = await readRecords(files);
    const counts = new Map<string, number>();
    for (const record of records) {
      const payload = String(record["payload"]);
      counts.set(payload, (counts.get(payload) ?? 0) + 1);
    }
    const missing: string[] = [];
    const twice: string[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const token = `tok-${String(i).padStart(6, "0")}`;
      const n = counts.get(token) ?? 0;
      if (n === 0) missing.push(token);
      if (n > 1) twice.push(token);
    }
    assertEquals(missing.length, 0, `missing: ${missing.slice(0, 5)}... of ${records.length}`);
    assertEquals(twice.length, 0, `twice: ${twice.slice(0, 5)}...`);
    assertEquals(records.length, CONNECTIONS);
    // The rotations really split the stream: records landed in more than one file.
    let used = 0;
    for (const file of files) if ((await Deno.stat(file)).size > 0) used++;
    assertGreater(used, 1);
  } finally {
    await sensor?.kill();
    await ns.delete();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("output file: a full disk is counted and survived without spinning; writing resumes", async () => {
  const ns = await RedirectNamespace.create("ops-enospc");
  const dir = await Deno.makeTempDir({ prefix: "spip-ops-enospc-" });
  let mounted = false;
  let sensor: SensorProcess | undefined;
  try {
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
    }).output();
    assertEquals(mount.code, 0, new TextDecoder().decode(mount.stderr));
    mounted = true;
    const path = `${dir}/spip.jsonl`;
    sensor = await SensorProcess.start(
      ns,
      testConfig(ns.port, `output = "${path}"\nstats_interval = 0.5`),
    );
    const pid = sensor.child.pid;

    // Fill the file system.
    const filler = await Deno.open(`${dir}/filler`, { write: true, create: true });
    const block = new Uint8Array(4096);
    for (let i = 0; i < 64; i++) {
      try {
        await filler.write(block);
      } catch {
        break;
      }
    }
    filler.close();

    const full = await ns.python(clientScript("full-", 300, 20));
    assertEquals(full.code, 0, full.stderr);
    const deadline = Date.now() + 10_000;
    while (Number(lastStats(sensor)["output_errors"] ?? 0) === 0 && Date.now() < deadline) {
      await delay(100);
    }
    const during = lastStats(sensor);
    assertGreater(Number(during["output_errors"]), 0, "the failed writes are counted");
    assertGreater(Number(during["records_shed"]), 0, "their records are counted as shed");
    assert(sensor.errors.some((l) => l.includes("No space left on device")), "reported");

    // No spinning: over two idle seconds with the disk still full, little CPU is used.
    const cpuBefore = await cpuSeconds(pid);
    const wallBefore = performance.now();
    await delay(2000);
    const cpu = (await cpuSeconds(pid)) - cpuBefore;
    const wall = (performance.now() - wallBefore) / 1000;
    assertLess(cpu, wall * 0.2, `cpu ${cpu} s over ${wall} s`);
    const complaints = sensor.errors.filter((l) => l.startsWith("Cannot write records")).length;
    assertLess(complaints, 10, "failures are reported at a bounded rate");

    // Space returns: records written afterwards land in the file.
    await Deno.remove(`${dir}/filler`);
    await delay(1200);
    const after = await ns.python(clientScript("after-", 20, 20));
    assertEquals(after.code, 0, after.stderr);
    const wanted = Array.from({ length: 20 }, (_, i) => `after-${String(i).padStart(6, "0")}`);
    const until = Date.now() + 10_000;
    let payloads = new Set<string>();
    while (Date.now() < until) {
      const text = await Deno.readTextFile(path);
      payloads = new Set(
        text.split("\n").filter((l) => l.startsWith("{")).flatMap((l) => {
          try {
            return [String(JSON.parse(l)["payload"])];
          } catch {
            return [];
          }
        }),
      );
      if (wanted.every((t) => payloads.has(t))) break;
      await delay(100);
    }
    assertEquals(wanted.filter((t) => !payloads.has(t)), [], "records after the disk freed");

    const exit = await sensor.stop();
    sensor = undefined;
    assertEquals(exit.code, 0, "the sensor never exited because of the full disk");
  } finally {
    await sensor?.kill();
    await ns.delete();
    if (mounted) await new Deno.Command("umount", { args: [dir] }).output();
    await Deno.remove(dir, { recursive: true });
  }
});
