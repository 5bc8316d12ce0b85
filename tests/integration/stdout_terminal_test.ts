/**
 * Records on a terminal: a sensor started by hand in a shell writes its records to a tty, which it
 * reopens as a nonblocking description of its own, like a pipe.
 */
import { assert, assertEquals } from "../../testing/std.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { SensorProcess, testConfig } from "./_sensor_process.ts";

/** Clients that each send one line. */
const CLIENTS = 20;

/**
 * Words before deno that give it a pseudo-terminal as stdout (raw, so lines keep their bytes):
 * a forked reader copies the terminal's master side into `file`, and the wrapper then becomes deno
 * itself, so the sensor keeps the wrapper's pid.
 */
function wrapperToTerminal(file: string): string[] {
  const script = `import os, sys, tty
master, slave = os.openpty()
tty.setraw(slave)
if os.fork() == 0:
    os.close(slave)
    with open(sys.argv[1], "wb", buffering=0) as out:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out.write(chunk)
    os._exit(0)
os.close(master)
os.dup2(slave, 1)
os.close(slave)
os.execvp(sys.argv[2], sys.argv[2:])`;
  return ["python3", "-c", script, file];
}

Deno.test("stdout on a terminal: reopened nonblocking, and every record arrives whole", async () => {
  const ns = await RedirectNamespace.create("tty");
  const dir = await Deno.makeTempDir({ prefix: "spip-tty-" });
  const file = `${dir}/out`;
  let sensor: SensorProcess | undefined;
  try {
    sensor = await SensorProcess.start(ns, testConfig(ns.port), wrapperToTerminal(file));
    const stdout = await Deno.readLink(`/proc/${sensor.child.pid}/fd/1`);
    assert(stdout.startsWith("/dev/pts/"), `stdout is ${stdout}, not a terminal`);
    const sent = await ns.python(`
import socket
for i in range(${CLIENTS}):
    s = socket.create_connection(("127.0.0.1", 2000 + i), timeout=5)
    s.sendall(b"hello from the terminal %d\\n" % i)
    s.close()
`);
    assertEquals(sent.code, 0, sent.stderr);
    const lines = (): string[] => {
      try {
        return Deno.readTextFileSync(file).split("\n").filter((line) => line.length > 0);
      } catch {
        return [];
      }
    };
    const deadline = Date.now() + 10_000;
    while (lines().length < CLIENTS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const exit = await sensor.stop();
    sensor = undefined;
    assertEquals(exit.code, 0, exit.stderr);
    const start = JSON.parse(
      exit.stderr.split("\n").find((l) => l.includes('"type":"start"')) ?? "{}",
    );
    assertEquals(start["output_mode"], "nonblocking");
    const records = lines().map((line) => JSON.parse(line));
    assertEquals(records.length, CLIENTS);
    const ports = records.map((r) => r["destination_port"]).sort((a, b) => a - b);
    assertEquals(ports, Array.from({ length: CLIENTS }, (_, i) => 2000 + i));
    for (const r of records) assert(String(r["payload"]).startsWith("hello from the terminal"));
  } finally {
    await sensor?.kill();
    await ns.delete();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
