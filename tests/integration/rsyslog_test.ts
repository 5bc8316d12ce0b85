/**
 * deploy/rsyslog.conf for real: Debian's rsyslogd tails the sensor's records file through two
 * logrotate runs (deploy/logrotate.conf: rename, SIGHUP to the sensor, compress) into a real
 * PostgreSQL 15 (deploy/postgresql.sql), all inside a test namespace. Every line the sensor wrote
 * must arrive exactly once, byte for byte, including a ~400 KB ClientHello record, 33 KB binary
 * records, quotes, backslashes, NUL and DEL.
 */
import { assert, assertEquals, assertGreater } from "../../testing/std.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { SensorProcess, testConfig } from "./_sensor_process.ts";
import { alpnBody, buildClientHello } from "../tls/_fixtures.ts";
import { MAX_CLIENT_HELLO_BYTES } from "../../src/tls/client_hello.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url);
const RECORDS = "/var/log/spip/spip.jsonl";
const PG_PORT = 5432;
const decoder = new TextDecoder();

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits (at most 10 s) until a file holds bytes: the deployed logrotate.conf says `notifempty`, so
 * a rotation of a file the clients have not written to yet (a slow machine) would do nothing.
 */
async function untilNotEmpty(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const size = await Deno.stat(path).then((info) => info.size, () => 0);
    if (size > 0) return;
    await delay(50);
  }
  throw new Error(`Cannot rotate ${path}: still empty after 10 s`);
}

async function run(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  if (out.code !== 0) {
    throw new Error(`Cannot run ${program} ${args.join(" ")}: ${decoder.decode(out.stderr)}`);
  }
  return decoder.decode(out.stdout);
}

/** The newest PostgreSQL server binaries Debian installed. */
function postgresBin(): string {
  const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => Number(e.name))
    .filter((v) => Number.isInteger(v)).sort((a, b) => b - a);
  if (versions[0] === undefined) throw new Error("Cannot find PostgreSQL in /usr/lib/postgresql");
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** A Python client: `count` connections, each sending `prefix` + its number + awkward bytes. */
function clientScript(prefix: string, count: number, extra: string): string {
  return `
import socket, sys
def send(data, port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    try:
        s.recv(1)
    except OSError:
        pass
    s.close()
for i in range(${count}):
    send(b"${prefix}%05d it's a \\\\ \\"quote\\" \\x00 \\x7f \\xc3\\xa9 \\xff" % i, 1000 + i)
${extra}
print("done")
`;
}

Deno.test("deploy/rsyslog.conf ships every record once into PostgreSQL across logrotate renames", async () => {
  const ns = await RedirectNamespace.create("rsyslog");
  const dir = await Deno.makeTempDir({ prefix: "spip-rsyslog-" });
  const bin = postgresBin();
  const pg = `${dir}/pg`;
  let sensor: SensorProcess | undefined;
  let rsyslog: Deno.ChildProcess | undefined;
  let pgStarted = false;
  const psql = (sql: string, db = "spip"): Promise<string> =>
    ns.must([
      "runuser",
      "-u",
      "postgres",
      "--",
      `${bin}/psql`,
      "-h",
      `${dir}/sock`,
      "-p",
      String(PG_PORT),
      "-X",
      "-q",
      "-At",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      db,
      "-c",
      sql,
    ]);
  try {
    // The namespace sends every local TCP port to the sensor; PostgreSQL's port stays its own.
    await ns.must([
      "iptables",
      "-t",
      "nat",
      "-I",
      "OUTPUT",
      "-p",
      "tcp",
      "--dport",
      String(PG_PORT),
      "-j",
      "RETURN",
    ]);
    await Deno.chmod(dir, 0o755);
    for (const sub of ["pg", "sock"]) {
      await Deno.mkdir(`${dir}/${sub}`);
      await run("chown", ["postgres:postgres", `${dir}/${sub}`]);
    }
    await Deno.mkdir(`${dir}/log`);
    await Deno.mkdir(`${dir}/work`);

    // PostgreSQL, listening on 127.0.0.1 inside the namespace as deploy/rsyslog.conf expects.
    await run("runuser", [
      "-u",
      "postgres",
      "--",
      `${bin}/initdb`,
      "-D",
      pg,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
    ]);
    await ns.must([
      "runuser",
      "-u",
      "postgres",
      "--",
      `${bin}/pg_ctl`,
      "-D",
      pg,
      "-l",
      `${pg}/server.log`,
      "-w",
      "-o",
      `-k ${dir}/sock -p ${PG_PORT} -c listen_addresses=127.0.0.1`,
      "start",
    ]);
    pgStarted = true;
    await psql("CREATE DATABASE spip", "postgres");
    await ns.must([
      "runuser",
      "-u",
      "postgres",
      "--",
      `${bin}/psql`,
      "-h",
      `${dir}/sock`,
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      "spip",
      "-f",
      new URL("postgresql.sql", DEPLOY).pathname,
    ]);
    await psql(
      "CREATE ROLE rsyslog LOGIN PASSWORD 'change-me'; GRANT INSERT ON spip_records TO rsyslog; GRANT USAGE ON SEQUENCE spip_records_id_seq TO rsyslog;",
    );

    // rsyslogd with the deploy file included as /etc/rsyslog.d/ would include it, after an input
    // module (as Debian's rsyslog.conf loads imuxsock first).
    const log = `${dir}/log/spip.jsonl`;
    const deployed = (await Deno.readTextFile(new URL("rsyslog.conf", DEPLOY))).replaceAll(
      RECORDS,
      log,
    );
    assert(deployed.includes(log));
    await Deno.writeTextFile(`${dir}/spip.conf`, deployed);
    await Deno.writeTextFile(
      `${dir}/rsyslog.conf`,
      `global(workDirectory="${dir}/work")\n` +
        `module(load="imuxsock" SysSock.Name="${dir}/devlog")\n` +
        `include(file="${dir}/spip.conf")\n` +
        `syslog.* action(type="omfile" file="${dir}/rsyslog-internal.log")\n`,
    );
    const check = await ns.run(["rsyslogd", "-N1", "-f", `${dir}/rsyslog.conf`]);
    assertEquals(check.code, 0, check.stderr);
    rsyslog = ns.spawn([
      "rsyslogd",
      "-n",
      "-f",
      `${dir}/rsyslog.conf`,
      "-i",
      `${dir}/rsyslogd.pid`,
    ]);

    sensor = await SensorProcess.start(ns, testConfig(ns.port, `output = "${log}"`));
    const pid = sensor.child.pid;
    const rotate = deployedLogrotate(
      await Deno.readTextFile(new URL("logrotate.conf", DEPLOY)),
      log,
      pid,
    );
    await Deno.writeTextFile(`${dir}/logrotate.conf`, rotate);
    const logrotate = () =>
      run("logrotate", ["-f", "-s", `${dir}/logrotate.state`, `${dir}/logrotate.conf`]);

    // The largest kind of line: a 64 KiB ClientHello whose ALPN names are control bytes.
    const names: Uint8Array[] = [];
    for (let i = 0; i < 250; i++) names.push(new Uint8Array(255).fill(1));
    const hello = buildClientHello({ extensions: [[16, alpnBody(names)]] });
    assert(hello.length <= MAX_CLIENT_HELLO_BYTES && hello.length > 60_000);
    await Deno.writeFile(`${dir}/hello.bin`, hello);

    // Phase 1 and 2 run while logrotate renames the file and signals the sensor.
    const first = ns.python(clientScript(
      "one-",
      150,
      `
send(bytes([1]) * 4096, 2000)
send(open("${dir}/hello.bin", "rb").read(), 443)`,
    ));
    await delay(400);
    await untilNotEmpty(log);
    await logrotate();
    const firstResult = await first;
    assertEquals(firstResult.stdout.trim(), "done", firstResult.stderr);
    const second = ns.python(clientScript("two-", 150, "send(bytes([1]) * 4096, 2001)"));
    await delay(300);
    await untilNotEmpty(log);
    await logrotate(); // compresses the first rotated file, renames the current one
    const secondResult = await second;
    assertEquals(secondResult.stdout.trim(), "done", secondResult.stderr);
    // A few more after the second rename, so that the file reopened on SIGHUP holds records
    // even when the second phase finished before logrotate ran.
    const third = await ns.python(clientScript("three-", 10, ""));
    assertEquals(third.stdout.trim(), "done", third.stderr);

    const exit = await sensor.stop();
    sensor = undefined;
    assertEquals(exit.code, 0, exit.stderr);
    assertEquals(exit.stats["records_shed"], 0);

    // Every line of every file the sensor wrote.
    const files = [`${log}.2.gz`, `${log}.1`, log];
    const lines: string[] = [];
    for (const file of files) {
      const text = file.endsWith(".gz")
        ? await run("gzip", ["-dc", file])
        : await Deno.readTextFile(file);
      assertGreater(text.length, 0, `${file} holds records`);
      lines.push(...text.split("\n").filter((line) => line !== ""));
    }
    assertEquals(lines.length, exit.stats["records_written"]);
    const longest = Math.max(...lines.map((line) => line.length));
    assertGreater(longest, 300_000, "the ClientHello record is among them");

    // Wait (bounded) until PostgreSQL holds as many rows as there are lines.
    let rows = 0;
    for (let i = 0; i < 300 && rows < lines.length; i++) {
      rows = Number((await psql("SELECT count(*) FROM spip_records")).trim());
      if (rows < lines.length) await delay(100);
    }
    await delay(500); // anything extra (a duplicate) would arrive now
    const stored = (await psql("SELECT record::text FROM spip_records ORDER BY id"))
      .split("\n").filter((line) => line !== "");
    const internal = await Deno.readTextFile(`${dir}/rsyslog-internal.log`).catch(() => "");
    assertEquals(
      stored.length,
      lines.length,
      `rows vs lines; rsyslog said: ${internal.slice(-2000)}`,
    );
    const want = new Map<string, number>();
    for (const line of lines) want.set(line, (want.get(line) ?? 0) + 1);
    for (const row of stored) {
      const left = want.get(row);
      if (left === undefined || left === 0) {
        throw new Error(`A row not written once: ${row.slice(0, 200)}`);
      }
      want.set(row, left - 1);
    }
    assertEquals([...want.values()].every((n) => n === 0), true);

    // The typed view works on every row; jsonb would have refused the NUL records.
    const typed = await psql(
      "SELECT count(*), count(DISTINCT (session_id, seq)), min(host(source_ip)), " +
        "count(*) FILTER (WHERE position('\\x00'::bytea IN payload) > 0), count(ja4) " +
        "FROM spip_records_typed",
    );
    const withNul = lines.filter((line) => /^(?:..)*00/.test(JSON.parse(line).payload_hex)).length;
    assertGreater(withNul, 300);
    assertEquals(typed.trim(), `${lines.length}|${lines.length}|127.0.0.1|${withNul}|1`);
    const nul = await ns.run([
      "runuser",
      "-u",
      "postgres",
      "--",
      `${bin}/psql`,
      "-h",
      `${dir}/sock`,
      "-X",
      "-At",
      "-d",
      "spip",
      "-c",
      "SELECT count(record::jsonb) FROM spip_records",
    ]);
    assert(
      nul.code !== 0 && nul.stderr.includes("unsupported Unicode escape sequence"),
      nul.stderr,
    );
  } finally {
    await sensor?.kill();
    if (rsyslog !== undefined) {
      rsyslog.kill("SIGTERM");
      await rsyslog.output();
    }
    if (pgStarted) {
      await ns.run([
        "runuser",
        "-u",
        "postgres",
        "--",
        `${bin}/pg_ctl`,
        "-D",
        pg,
        "-m",
        "immediate",
        "-w",
        "stop",
      ]);
    }
    await ns.delete();
    await Deno.remove(dir, { recursive: true });
  }
});

/** deploy/logrotate.conf for the test's file, signalling the test's sensor by pid. */
function deployedLogrotate(text: string, log: string, pid: number): string {
  const out = text.replaceAll(RECORDS, log).replace(
    "systemctl kill --signal=HUP --kill-whom=main spip.service",
    `kill -HUP ${pid}`,
  );
  assert(out.includes(`kill -HUP ${pid}`) && out.includes(log));
  return out;
}
