/**
 * Deno's own warnings stay out of the diagnostics: started as the start task starts it, the
 * sensor never loads a CA store (deno run's update check would, 0.5 s after start, and under fd
 * exhaustion Deno printed `Warning: Ignoring extra certs from ...` into stderr).
 */
import { assert, assertEquals } from "../../testing/std.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { SensorProcess, testConfig } from "./_sensor_process.ts";

/** The sensor's fd limit: small enough that the held connections exhaust it. */
const NOFILE = 48;
/** Silent connections held open at once: more than the fd limit. */
const HELD = 80;

Deno.test("at the fd limit with TLS on, no Deno warning about a CA store reaches stderr", async () => {
  const ns = await RedirectNamespace.create("ca-store");
  let sensor: SensorProcess | undefined;
  try {
    sensor = await SensorProcess.start(ns, testConfig(ns.port, "idle_timeout = 10"), [
      "prlimit",
      `--nofile=${NOFILE}:${NOFILE}`,
      "env",
      // A CA file Deno would try to load (and fail on) if anything asked for a CA store.
      "NODE_EXTRA_CA_CERTS=/nonexistent/spip-test-ca.crt",
    ]);
    // Exhaust the fds for 3 s (past the update check's 0.5 s), with TLS handshakes meanwhile.
    const held = await ns.python(`
import socket, subprocess, time
conns = []
for i in range(${HELD}):
    try:
        conns.append(socket.create_connection(("127.0.0.1", 3000 + i), timeout=2))
    except Exception:
        pass
for _ in range(3):
    subprocess.run(["curl", "-sk", "-m", "1", "https://127.0.0.1:443/"], capture_output=True)
    time.sleep(1)
for c in conns:
    c.close()
print(len(conns))
`);
    assertEquals(held.code, 0, held.stderr);
    // The fd limit was reached (accept errors counted), and the sensor lived on.
    const after = await ns.python(`
import socket
s = socket.create_connection(("127.0.0.1", 4444), timeout=5)
s.sendall(b"after-exhaustion")
s.close()
`);
    assertEquals(after.code, 0, after.stderr);
    await sensor.waitFor((records) => records.some((r) => r.payload === "after-exhaustion"));
    const exit = await sensor.stop();
    sensor = undefined;
    assertEquals(exit.code, 0, exit.stderr);
    const acceptErrors = exit.stats["accept_errors"] as Record<string, number>;
    assert(Object.keys(acceptErrors).length > 0, `fds were never exhausted: ${exit.stderr}`);
    for (const line of exit.stderr.split("\n")) {
      assert(
        !/warning|certs/i.test(line) && !line.includes("\u001b["),
        `a line from Deno itself: ${line}`,
      );
    }
  } finally {
    await sensor?.kill();
    await ns.delete();
  }
});
