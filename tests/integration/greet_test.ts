/**
 * Greetings end to end: real clients that wait for the server (curl, OpenSSH, MariaDB, hydra,
 * nmap) in a namespace whose every port is REDIRECTed to the sensor.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../testing/std.ts";
import { validateRecord } from "../_schema.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { type SensorProcess, SensorProcess as Sensor, testConfig } from "./_sensor_process.ts";

const PORT = 5555;
type SensorRecord = ReturnType<SensorProcess["records"]>[number];

async function withSensor(
  area: string,
  extraConfig: string,
  body: (ns: RedirectNamespace, sensor: SensorProcess) => Promise<void>,
): Promise<Record<string, unknown>> {
  const ns = await RedirectNamespace.create(area, PORT);
  let sensor: SensorProcess | undefined;
  try {
    sensor = await Sensor.start(ns, testConfig(PORT, extraConfig));
    await body(ns, sensor);
    const problems = sensor.records().flatMap((r) => validateRecord(r));
    assertEquals(problems, []);
    const exit = await sensor.stop();
    assertEquals(exit.code, 0, exit.stderr);
    assertEquals(exit.stats["connections_open"], 0);
    return exit.stats;
  } finally {
    await sensor?.kill();
    await ns.delete();
  }
}

/** The text a port's sessions sent, each session's reads joined, sessions in time order. */
function sentTo(records: SensorRecord[], port: number): string {
  return records.filter((r) => r.destination_port === port)
    .sort((a, b) => Number(a["timestamp_ms"]) - Number(b["timestamp_ms"]) || a.seq - b.seq)
    .map((r) => r.payload).join("");
}

function onPort(records: SensorRecord[], port: number): SensorRecord[] {
  return records.filter((r) => r.destination_port === port);
}

Deno.test("greet: curl logs in by FTP, POP3, IMAP and SMTP; names, passwords, AUTH and the message are recorded", async () => {
  const stats = await withSensor("greetcurl", "", async (ns, sensor) => {
    const message = "Subject: greet test\r\n\r\nhello from curl smtp\r\n";
    const runs = await Promise.all([
      ns.run(["curl", "-s", "-m", "8", "ftp://alice:ftp-secret@127.0.0.1/"]),
      ns.run(["curl", "-s", "-m", "8", "pop3://bob:pop-secret@127.0.0.1/"]),
      ns.run(["curl", "-s", "-m", "8", "imap://carol:imap-secret@127.0.0.1/"]),
      ns.run(
        [
          "curl",
          "-s",
          "-m",
          "8",
          "smtp://127.0.0.1:25",
          "--mail-from",
          "spammer@example.org",
          "--mail-rcpt",
          "victim@example.net",
          "-T",
          "-",
        ],
        { stdin: message },
      ),
      ns.run([
        "curl",
        "-s",
        "-m",
        "8",
        "-u",
        "dave:smtp-secret",
        "smtp://127.0.0.1:587",
        "--mail-from",
        "a@example.org",
        "--mail-rcpt",
        "b@example.net",
        "-T",
        "/dev/null",
      ]),
    ]);
    // Login denied (FTP 67, POP3 and IMAP 67), the message accepted (0), AUTH refused (67).
    assertEquals(runs.map((r) => r.code), [67, 67, 67, 0, 67]);
    const records = await sensor.waitFor((rs) =>
      sentTo(rs, 21).includes("PASS ftp-secret") && sentTo(rs, 110).includes("PASS pop-secret") &&
      sentTo(rs, 143).includes("imap-secret") && sentTo(rs, 25).includes("\r\n.\r\n") &&
      (sentTo(rs, 587).includes(btoa("\0dave\0smtp-secret")) ||
        sentTo(rs, 587).includes(btoa("dave")))
    );
    assertMatch(sentTo(records, 21), /^USER alice\r\nPASS ftp-secret\r\n/);
    assertMatch(sentTo(records, 110), /USER bob\r\nPASS pop-secret\r\n/);
    assertMatch(sentTo(records, 143), /LOGIN carol imap-secret\r\n/);
    const smtp = sentTo(records, 25);
    assertStringIncludes(smtp, "MAIL FROM:<spammer@example.org>");
    assertStringIncludes(smtp, "RCPT TO:<victim@example.net>");
    assertStringIncludes(smtp, "DATA\r\n");
    assertStringIncludes(smtp, "hello from curl smtp\r\n.\r\n");
    // AUTH PLAIN carries base64("\0dave\0smtp-secret"); AUTH LOGIN base64("dave").
    const auth = sentTo(records, 587);
    assert(
      auth.includes(btoa("\0dave\0smtp-secret")) || auth.includes(btoa("dave")),
      `no AUTH blob in ${JSON.stringify(auth)}`,
    );
    for (const [port, protocol] of [[21, "ftp"], [110, "pop3"], [143, "imap"], [25, "smtp"]]) {
      const session = onPort(records, Number(port));
      assert(session.length > 0);
      for (const record of session) {
        assertEquals(record["greeting"], protocol);
        assertEquals(record.silent, false);
      }
    }
  });
  assertEquals(stats["greetings_sent"], 5);
  assertEquals(stats["greeting_write_failures"], 0);
});

/** Computes HASSH from a session's bytes, independently of Spip: reads hex on stdin. */
const PYTHON_HASSH = `
import hashlib, struct, sys
data = bytes.fromhex(sys.stdin.read().strip())
start = data.index(b"\\n") + 1
length, padding = struct.unpack(">IB", data[start:start + 5])
payload = data[start + 5:start + 4 + length - padding]
assert payload[0] == 20, payload[0]
at, lists = 17, []
for _ in range(10):
    (n,) = struct.unpack(">I", payload[at:at + 4])
    lists.append(payload[at + 4:at + 4 + n].decode())
    at += 4 + n
text = ";".join([lists[0], lists[2], lists[4], lists[6]])
print(hashlib.md5(text.encode()).hexdigest(), text)
`;

Deno.test("greet: OpenSSH on 2222 and on an odd port gets an identification; its KEXINIT record has the right HASSH", async () => {
  const stats = await withSensor("greetssh", "", async (ns, sensor) => {
    for (const port of [2222, 40022]) {
      const out = await ns.run([
        "ssh",
        ...["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"],
        ...["-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5"],
        ...["-p", String(port), "root@127.0.0.1", "true"],
      ]);
      assert(out.code !== 0);
      // OpenSSH reports the server's version in its debug output only; its error names the end.
      assertMatch(out.stderr, /closed|reset|Connection/i);
    }
    const records = await sensor.waitFor((rs) =>
      [2222, 40022].every((p) => onPort(rs, p).some((r) => typeof r["hassh"] === "string"))
    );
    for (const port of [2222, 40022]) {
      const session = onPort(records, port).sort((a, b) => a.seq - b.seq);
      assertMatch(session[0]?.payload ?? "", /^SSH-2\.0-OpenSSH_/);
      for (const record of session) assertEquals(record["greeting"], "ssh");
      const last = session.findIndex((r) => typeof r["hassh"] === "string");
      const hexBytes = session.slice(0, last + 1).map((r) => r.payload_hex).join("");
      const python = await ns.run(["python3", "-c", PYTHON_HASSH], { stdin: hexBytes });
      assertEquals(python.code, 0, python.stderr);
      const [hash, text] = python.stdout.trim().split(" ");
      assertEquals(session[last]?.["hassh"], hash);
      assertEquals(session[last]?.["hassh_algorithms"], text);
      assertMatch(String(text), /^[a-z0-9@.,-]+;[a-z0-9@.,-]+;[a-z0-9@.,-]+;[a-z0-9@.,-]+$/);
    }
  });
  assertEquals(stats["greetings_sent"], 2);
});

Deno.test("greet: the MariaDB client's login user is recorded on 3306", async () => {
  await withSensor("greetmysql", "", async (ns, sensor) => {
    const out = await ns.run([
      "mariadb",
      ...["--protocol=TCP", "-h", "127.0.0.1", "-P", "3306", "--connect-timeout=8"],
      ...["-u", "dbadmin", "-pdb-secret", "-e", "select 1"],
    ]);
    assertEquals(out.code, 1);
    assertStringIncludes(out.stderr, "Access denied for user 'dbadmin'");
    const records = await sensor.waitFor((rs) => sentTo(rs, 3306).includes("dbadmin"));
    for (const record of onPort(records, 3306)) assertEquals(record["greeting"], "mysql");
  });
});

Deno.test("greet: hydra against FTP, Telnet and POP3: every password tried is recorded, all sessions closed", async () => {
  const passwords = ["hunter2", "letmein", "qwerty123"];
  const list = await Deno.makeTempFile({ prefix: "spip-hydra-", suffix: ".txt" });
  try {
    await Deno.writeTextFile(list, passwords.join("\n") + "\n");
    const stats = await withSensor("greethydra", "idle_timeout = 5\n", async (ns, sensor) => {
      for (const service of ["ftp", "telnet", "pop3"]) {
        const out = await ns.run([
          "timeout",
          "60",
          "hydra",
          ...["-I", "-t", "1", "-w", "10", "-l", "admin", "-P", list],
          `${service}://127.0.0.1`,
        ]);
        assertStringIncludes(
          out.stdout,
          "0 valid password",
          `${service}: ${out.stdout}${out.stderr}`,
        );
      }
      const records = await sensor.waitFor(
        (rs) => [21, 23, 110].every((port) => passwords.every((p) => sentTo(rs, port).includes(p))),
        15_000,
      );
      for (const [port, protocol] of [[21, "ftp"], [23, "telnet"], [110, "pop3"]] as const) {
        assertStringIncludes(sentTo(records, port), "admin");
        for (const record of onPort(records, port)) assertEquals(record["greeting"], protocol);
      }
    });
    assert(Number(stats["greetings_sent"]) >= 3);
  } finally {
    await Deno.remove(list);
  }
});

Deno.test("greet: nmap -sV names the service and a real product on each greeted port", async () => {
  // nmap's -oG version column: product, version and extra information, joined by spaces.
  const expected: Record<number, [service: string, product: RegExp]> = {
    21: ["ftp", /^ProFTPD 1\.3\.8$/],
    23: ["telnet", /^Linux telnetd$/],
    25: ["smtp", /^Postfix smtpd$/],
    110: ["pop3", /^Dovecot pop3d$/],
    143: ["imap", /^Dovecot imapd$/],
    3306: ["mysql", /^MySQL 5\.5\.5-10\.11\.6-MariaDB-0\+deb12u1$/],
    5900: ["vnc", /^VNC \(protocol 3\.8\)$/],
    2222: ["ssh", /^OpenSSH 9\.2p1 Debian 2\+deb12u3 \(protocol 2\.0\)$/],
  };
  // A longer idle timeout than the tests' 2 s: nmap's NULL probe waits 6 s for a banner.
  await withSensor("greetnmap", "idle_timeout = 10\n", async (ns) => {
    const out = await ns.run([
      "timeout",
      "120",
      "nmap",
      ...["-sV", "-Pn", "-n", "--version-light", "-oG", "-"],
      ...["-p", Object.keys(expected).join(","), "127.0.0.1"],
    ]);
    assertEquals(out.code, 0, out.stderr);
    const found = new Map<number, { service: string; product: string }>();
    for (const match of out.stdout.matchAll(/(\d+)\/open\/tcp\/\/([^/]*)\/\/([^/]*)\//g)) {
      found.set(Number(match[1]), { service: match[2] ?? "", product: match[3] ?? "" });
    }
    for (const [port, [service, product]] of Object.entries(expected)) {
      const seen = found.get(Number(port));
      assertEquals(seen?.service, service, `port ${port}\n${out.stdout}`);
      assertMatch(seen?.product ?? "", product, `port ${port}\n${out.stdout}`);
    }
  });
});

Deno.test("greet: enabled = false writes nothing to clients and records as before", async () => {
  const script = `
import socket, time
got = {}
for port, first in ((21, b""), (40022, b"SSH-2.0-OpenSSH_9.2p1\\r\\n")):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if first: s.sendall(first)
    time.sleep(1.6)
    s.sendall(b"late words\\r\\n")
    s.settimeout(0.5)
    try: got[port] = s.recv(100)
    except socket.timeout: got[port] = b"(nothing)"
    s.close()
print(got[21].decode(), got[40022].decode())
`;
  const stats = await withSensor(
    "greetoff",
    "[greet]\nenabled = false\n",
    async (ns, sensor) => {
      const out = await ns.python(script);
      assertEquals(out.stdout.trim(), "(nothing) (nothing)", out.stderr);
      const records = await sensor.waitFor((rs) =>
        sentTo(rs, 21).includes("late") && sentTo(rs, 40022).includes("late")
      );
      // Only the capture engine's handshake fields follow the standard ones, on seq 1: nothing
      // of greeting's (greeting, hassh) appears.
      const handshake = [
        "syn_ttl",
        "syn_window",
        "syn_options",
        "syn_mss",
        "syn_wscale",
        "syn_df",
        "rtt_us",
      ];
      for (const record of records) {
        const extras = Object.keys(record).slice(15);
        assertEquals(extras.filter((key) => !handshake.includes(key)), []);
        if (record.seq !== 1) assertEquals(extras, []);
        assertEquals(record.silent, false);
      }
      assertEquals(sentTo(records, 21), "late words\r\n");
      assertEquals(sentTo(records, 40022), "SSH-2.0-OpenSSH_9.2p1\r\nlate words\r\n");
    },
  );
  assertEquals(stats["greetings_sent"], 0);
});

Deno.test("greet: a client that resets after the greeting loses nothing; one that stays silent gets a silent record with greeting", async () => {
  const script = `
import socket, struct, time
s = socket.create_connection(("127.0.0.1", 21), timeout=5)
banner = s.recv(100)
s.sendall(b"USER reset-user\\r\\n")
s.sendall(b"PASS reset-pass\\r\\n")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
q = socket.create_connection(("127.0.0.1", 110), timeout=5)
print(banner.decode().strip(), "|", q.recv(100).decode().strip())
time.sleep(0.2)
`;
  await withSensor("greetreset", "", async (ns, sensor) => {
    const out = await ns.python(script);
    assertEquals(
      out.stdout.trim(),
      "220 ProFTPD 1.3.8 Server (Debian) | +OK Dovecot ready.",
    );
    const records = await sensor.waitFor(
      (rs) => sentTo(rs, 21).includes("reset-pass") && onPort(rs, 110).length > 0,
      10_000,
    );
    assertEquals(sentTo(records, 21), "USER reset-user\r\nPASS reset-pass\r\n");
    const silent = onPort(records, 110);
    assertEquals(silent.length, 1);
    assertEquals(silent[0]?.silent, true);
    assertEquals(silent[0]?.["greeting"], "pop3");
  });
});
