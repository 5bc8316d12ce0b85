/**
 * TLS on any port, end to end: real TLS clients in a namespace whose every port is REDIRECTed
 * to the sensor; the hello record, the decrypted records, and every way a handshake can fail.
 */
import { assert, assertEquals, assertMatch } from "../../testing/std.ts";
import { validateRecord } from "../_schema.ts";
import { buildClientHello } from "../tls/_fixtures.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { type SensorProcess, SensorProcess as Sensor, testConfig } from "./_sensor_process.ts";

const PORT = 5555;
type SensorRecord = ReturnType<SensorProcess["records"]>[number];

async function withSensor(
  area: string,
  extraConfig: string,
  body: (ns: RedirectNamespace, sensor: SensorProcess) => Promise<void>,
): Promise<void> {
  const ns = await RedirectNamespace.create(area, PORT);
  let sensor: SensorProcess | undefined;
  try {
    sensor = await Sensor.start(ns, testConfig(PORT, extraConfig));
    await body(ns, sensor);
    const problems = sensor.records().flatMap((r) => validateRecord(r));
    assertEquals(problems, []);
  } finally {
    await sensor?.kill();
    await ns.delete();
  }
}

/** The records of the session whose hello came to a port, in order. */
function sessionOn(records: SensorRecord[], port: number, sni?: string | null): SensorRecord[] {
  const hello = records.find((r) =>
    r.destination_port === port && typeof r["ja4"] === "string" &&
    (sni === undefined || r["tls_sni"] === sni)
  );
  if (hello === undefined) return [];
  return records.filter((r) => r.session_id === hello.session_id).sort((a, b) => a.seq - b.seq);
}

function decrypted(session: SensorRecord[]): string {
  return session.filter((r) => r["tls"] === true).map((r) => r.payload).join("");
}

const PYTHON_HELLO = `
import socket, ssl, sys, time
def hello(name):
    c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = c.wrap_bio(i, o, server_hostname=name)
    try: obj.do_handshake()
    except ssl.SSLWantReadError: pass
    return o.read()
`;

Deno.test("TLS clients on 443, 8443 and an unexpected port: hello record, then decrypted bytes", async () => {
  await withSensor("tls", "", async (ns, sensor) => {
    await ns.run(["curl", "-sk", "-m", "1", "https://localhost:443/tls13-path"]);
    await ns.run(["curl", "-sk", "--tls-max", "1.2", "-m", "1", "https://127.0.0.1:8443/tls12"]);
    await ns.run([
      "openssl",
      "s_client",
      "-tls1_2",
      "-connect",
      "127.0.0.1:31337",
      "-servername",
      "o12.example",
    ], { stdin: "openssl-12\n" });
    await ns.run([
      "openssl",
      "s_client",
      "-tls1_3",
      "-connect",
      "127.0.0.1:31338",
      "-servername",
      "o13.example",
    ], { stdin: "openssl-13\n" });
    await ns.python(
      "import socket,ssl\nc=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE\n" +
        "s=c.wrap_socket(socket.create_connection(('127.0.0.1',4433),timeout=3),server_hostname='py.example')\n" +
        "s.sendall(b'python-ssl');s.unwrap() if False else s.close()",
    );
    const records = await sensor.waitFor(
      (rs) => [443, 8443, 31337, 31338, 4433].every((p) => decrypted(sessionOn(rs, p)).length > 0),
      10_000,
    );

    const curl13 = sessionOn(records, 443, "localhost");
    assertEquals(
      curl13[0]?.["tls_versions"],
      ["TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1.0"].filter((v) =>
        (curl13[0]?.["tls_versions"] as string[]).includes(v)
      ),
    );
    assert((curl13[0]?.["tls_versions"] as string[]).includes("TLSv1.3"));
    assertEquals(curl13[0]?.["tls_alpn"], ["h2", "http/1.1"]);
    assertMatch(String(curl13[0]?.["ja4"]), /^t13d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
    assertMatch(String(curl13[0]?.["ja3_hash"]), /^[0-9a-f]{32}$/);
    assertEquals(curl13[0]?.payload_hex.slice(0, 6), "160301");
    assertEquals(curl13[0]?.["tls"], undefined);
    assertMatch(decrypted(curl13), /^GET \/tls13-path HTTP\/1\.1\r\nHost: localhost\r\n/);

    const curl12 = sessionOn(records, 8443, null);
    assertEquals(curl12[0]?.["tls_versions"], ["TLSv1.2"]);
    assertMatch(String(curl12[0]?.["ja4"]), /^t12i/);
    assertMatch(decrypted(curl12), /^GET \/tls12 HTTP\/1\.1\r\n/);

    assertEquals(decrypted(sessionOn(records, 31337, "o12.example")), "openssl-12\n");
    assertEquals(decrypted(sessionOn(records, 31338, "o13.example")), "openssl-13\n");
    assertEquals(decrypted(sessionOn(records, 4433, "py.example")), "python-ssl");
    for (const port of [443, 8443, 31337, 31338, 4433]) {
      assertEquals(sessionOn(records, port).filter((r) => "tls_error" in r), [], `port ${port}`);
    }
  });
});

Deno.test("TLS certificate names the SNI, else the dialled address", async () => {
  await withSensor("tlscert", "", async (ns) => {
    const named = await ns.run(
      ["openssl", "s_client", "-connect", "127.0.0.1:993", "-servername", "mail.example.net"],
      { stdin: "" },
    );
    assertMatch(named.stdout, /subject=CN ?= ?mail\.example\.net/);
    const bare = await ns.run(
      ["openssl", "s_client", "-connect", "127.0.0.1:995", "-noservername"],
      { stdin: "" },
    );
    assertMatch(bare.stdout, /subject=CN ?= ?127\.0\.0\.1/);
  });
});

Deno.test("nmap -sV: its SSLv3 probe gets a hello record and a tls_error, its other probes stay plain", async () => {
  // nmap's TLS probe is an SSLv3 ClientHello, which rustls refuses; nmap then goes on with plain
  // probes. A longer idle timeout lets nmap reach its TLS probe after the NULL probe.
  const ns = await RedirectNamespace.create("tlsnmap", PORT);
  let sensor: SensorProcess | undefined;
  try {
    sensor = await Sensor.start(
      ns,
      testConfig(PORT).replace("idle_timeout = 2", "idle_timeout = 8"),
    );
    const nmap = ns.spawn([
      "nmap",
      "-sV",
      "-Pn",
      "-n",
      "--host-timeout",
      "45s",
      "-p",
      "4443",
      "127.0.0.1",
    ]);
    let records;
    try {
      records = await sensor.waitFor(
        (rs) =>
          sessionOn(rs, 4443).some((r) => "tls_error" in r) &&
          rs.some((r) => r.destination_port === 4443 && r.payload.startsWith("GET / HTTP/1.0")),
        40_000,
      );
    } finally {
      try {
        nmap.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await nmap.output();
    }
    const session = sessionOn(records, 4443);
    assertEquals(session[0]?.["tls_versions"], ["SSLv3"]);
    assertMatch(String(session[0]?.["ja4"]), /^ts3i/);
    assertMatch(String(session.at(-1)?.["tls_error"]), /./);
    assert(
      records.some((r) => r.destination_port === 4443 && r.payload.startsWith("GET / HTTP/1.0")),
    );
    assertEquals(sensor.records().flatMap((r) => validateRecord(r)), []);
  } finally {
    await sensor?.kill();
    await ns.delete();
  }
});

Deno.test("TLS failures keep the hello record and end with tls_error; nothing crashes", async () => {
  await withSensor("tlsfail", "[tls]\nhandshake_timeout = 1\n", async (ns, sensor) => {
    // A TLS 1.0-only client.
    await ns.run([
      "curl",
      "-sk",
      "--tlsv1.0",
      "--tls-max",
      "1.0",
      "--ciphers",
      "DEFAULT@SECLEVEL=0",
      "-m",
      "2",
      "https://127.0.0.1:1443/",
    ]);
    // A hello our parser accepts but rustls refuses: the replay must not crash the process.
    const odd = buildClientHello({
      extensions: [[0, new Uint8Array([0, 6, 0, 0, 3, 0x61, 0x62, 0x63])]],
    });
    await ns.python(
      `import socket,time\ns=socket.create_connection(('127.0.0.1',2443))\n` +
        `s.sendall(bytes.fromhex('${odd.toHex()}'))\ntime.sleep(0.5)\ns.close()`,
    );
    // Garbage after a valid hello.
    await ns.python(
      PYTHON_HELLO + "s=socket.create_connection(('127.0.0.1',3443))\n" +
        "s.sendall(hello('garbage.example')+b'\\x17\\x03\\x03\\x00\\x05garbage-not-a-record')\ntime.sleep(0.5)\ns.close()",
    );
    // A reset right after the hello.
    await ns.python(
      PYTHON_HELLO + "import struct\ns=socket.create_connection(('127.0.0.1',4443))\n" +
        "s.sendall(hello('reset.example'))\ntime.sleep(0.2)\n" +
        "s.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0))\ns.close()",
    );
    // A client that sends its hello and then nothing: the handshake times out.
    const stall = ns.python(
      PYTHON_HELLO + "s=socket.create_connection(('127.0.0.1',5443))\n" +
        "s.sendall(hello('stall.example'))\ntime.sleep(3)\ns.close()",
    );
    const records = await sensor.waitFor(
      (rs) =>
        [1443, 2443, 3443, 4443, 5443].every((p) => sessionOn(rs, p).some((r) => "tls_error" in r)),
      10_000,
    );
    await stall;
    for (const port of [1443, 2443, 3443, 4443, 5443]) {
      const session = sessionOn(records, port);
      assertEquals(session[0]?.seq, 1, `port ${port}`);
      assert(typeof session[0]?.["ja4"] === "string", `port ${port}`);
      const last = session[session.length - 1];
      assertEquals(last?.payload, "", `port ${port}`);
      assertEquals(typeof last?.["tls_error"], "string", `port ${port}`);
    }
    assertEquals(sessionOn(records, 2443)[0]?.payload_hex, odd.toHex());
    assertMatch(String(sessionOn(records, 5443).at(-1)?.["tls_error"]), /handshake timeout/);
    // Still alive: a plain connection afterwards is recorded.
    await ns.run(["bash", "-c", "printf 'after' > /dev/tcp/127.0.0.1/7000"]);
    await sensor.waitFor((rs) =>
      rs.some((r) => r.destination_port === 7000 && r.payload === "after")
    );
  });
});

Deno.test("bytes that only look like TLS, and TLS disabled, stay plain records byte for byte", async () => {
  const notHello = "16030100050268656c6c6f"; // a handshake record holding a ServerHello type
  const partial = "1603"; // two bytes, then the client stops
  const script = (port: number, hexText: string): string =>
    `import socket,time\ns=socket.create_connection(('127.0.0.1',${port}))\n` +
    `s.sendall(bytes.fromhex('${hexText}'))\ntime.sleep(0.3)\ns.close()`;
  await withSensor("tlsplain", "", async (ns, sensor) => {
    await ns.python(script(6001, notHello));
    await ns.python(script(6002, partial));
    const records = await sensor.waitFor((rs) =>
      [6001, 6002].every((p) => rs.some((r) => r.destination_port === p))
    );
    assertEquals(records.find((r) => r.destination_port === 6001)?.payload_hex, notHello);
    assertEquals(records.find((r) => r.destination_port === 6002)?.payload_hex, partial);
    assert(records.every((r) => !("ja4" in r) && !("tls" in r)));
  });
  await withSensor("tlsoff", "[tls]\nenabled = false\n", async (ns, sensor) => {
    await ns.run(["curl", "-sk", "-m", "1", "https://localhost:443/"]);
    const records = await sensor.waitFor((rs) => rs.some((r) => r.destination_port === 443));
    const hello = records.find((r) => r.destination_port === 443);
    assertEquals(hello?.payload_hex.slice(0, 6), "160301");
    assert(records.every((r) => !("ja4" in r) && !("tls" in r)));
  });
});
