/**
 * Test helpers for TLS: a ClientHello builder, and real hellos captured from the TLS clients
 * installed on the machine (curl, openssl, python, nmap) through a plain loopback listener.
 *
 * @module
 */
import { clientHelloBytesNeeded, ClientHelloError } from "../../src/tls/client_hello.ts";

/** What {@linkcode buildClientHello} writes; every field has a default. */
export interface HelloSpec {
  /** Record-layer version. Default 0x0301. */
  recordVersion?: number;
  /** legacy_version. Default 0x0303. */
  legacyVersion?: number;
  /** Session id bytes. Default 32 bytes of 0x11. */
  sessionId?: Uint8Array;
  /** Cipher suites in order. */
  ciphers?: number[];
  /** Compression methods. Default [0]. */
  compression?: number[];
  /** Extensions in order as [type, body]; null omits the extension block. */
  extensions?: [number, Uint8Array][] | null;
  /** Largest record payload; the handshake message is split over records of this size. */
  fragment?: number;
}

function u16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

/** An extension body: a 16-bit-length-prefixed list of 16-bit values. */
export function u16ListBody(values: number[]): Uint8Array {
  return new Uint8Array([...u16(values.length * 2), ...values.flatMap(u16)]);
}

/** The server_name extension body for one host name. */
export function sniBody(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  return new Uint8Array([...u16(bytes.length + 3), 0, ...u16(bytes.length), ...bytes]);
}

/** The ALPN extension body for protocol names given as bytes or text. */
export function alpnBody(names: (string | Uint8Array)[]): Uint8Array {
  const encoded = names.map((n) => typeof n === "string" ? new TextEncoder().encode(n) : n);
  const list = encoded.flatMap((n) => [n.length, ...n]);
  return new Uint8Array([...u16(list.length), ...list]);
}

/** The supported_versions extension body. */
export function versionsBody(versions: number[]): Uint8Array {
  return new Uint8Array([versions.length * 2, ...versions.flatMap(u16)]);
}

/** The ec_point_formats extension body. */
export function pointFormatsBody(formats: number[]): Uint8Array {
  return new Uint8Array([formats.length, ...formats]);
}

/**
 * Builds the TLS records of a ClientHello.
 *
 * @param spec The hello's fields.
 * @returns The record bytes, as a client sends them.
 */
export function buildClientHello(spec: HelloSpec = {}): Uint8Array {
  const body: number[] = [
    ...u16(spec.legacyVersion ?? 0x0303),
    ...new Uint8Array(32).fill(0x42),
  ];
  const sid = spec.sessionId ?? new Uint8Array(32).fill(0x11);
  body.push(sid.length, ...sid);
  const ciphers = spec.ciphers ?? [0x1301, 0x1302, 0xc02b];
  body.push(...u16(ciphers.length * 2), ...ciphers.flatMap(u16));
  const compression = spec.compression ?? [0];
  body.push(compression.length, ...compression);
  const extensions = spec.extensions === undefined ? [] : spec.extensions;
  if (extensions !== null) {
    const block = extensions.flatMap(([type, data]) => [
      ...u16(type),
      ...u16(data.length),
      ...data,
    ]);
    body.push(...u16(block.length), ...block);
  }
  const message = [1, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]
    .concat(body);
  const fragment = spec.fragment ?? 16384;
  const out: number[] = [];
  for (let at = 0; at < message.length; at += fragment) {
    const part = message.slice(at, at + fragment);
    out.push(0x16, ...u16(spec.recordVersion ?? 0x0301), ...u16(part.length), ...part);
  }
  return new Uint8Array(out);
}

/** The example hello of the JA4 specification (JA4.md), with GREASE added. */
export function ja4SpecHello(): Uint8Array {
  const ext = (type: number, body: Uint8Array = new Uint8Array()): [number, Uint8Array] => [
    type,
    body,
  ];
  return buildClientHello({
    ciphers: [
      0x2a2a,
      ...[0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014],
      ...[0x009c, 0x009d, 0x002f, 0x0035],
    ],
    extensions: [
      ext(0x3a3a),
      ext(0x001b, new Uint8Array([2, 0, 2])),
      ext(0x0000, sniBody("example.com")),
      ext(0x0033, new Uint8Array([0, 0])),
      ext(0x0010, alpnBody(["h2", "http/1.1"])),
      ext(0x4469, new Uint8Array([0, 3, 2, 0x68, 0x32])),
      ext(0x0017),
      ext(0x002d, new Uint8Array([1, 1])),
      ext(0x000d, u16ListBody([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601])),
      ext(0x0005, new Uint8Array([1, 0, 0, 0, 0])),
      ext(0x0023),
      ext(0x0012),
      ext(0x002b, versionsBody([0x5a5a, 0x0304, 0x0303])),
      ext(0xff01, new Uint8Array([0])),
      ext(0x000b, pointFormatsBody([0])),
      ext(0x000a, u16ListBody([0x4a4a, 0x001d, 0x0017, 0x0018])),
      ext(0x0015, new Uint8Array(10)),
      ext(0x1a1a, new Uint8Array([0])),
    ],
  });
}

/** A TLS client run against a loopback port; `{port}` in the arguments becomes the port. */
export interface TlsClient {
  /** A name for test messages. */
  readonly name: string;
  /** The program and its arguments. */
  readonly command: readonly string[];
}

/** The TLS clients whose hellos the tests capture. */
export const TLS_CLIENTS: readonly TlsClient[] = [
  {
    name: "curl TLS 1.3",
    command: ["curl", "-sk", "--max-time", "3", "https://localhost:{port}/"],
  },
  {
    name: "curl --tls-max 1.2",
    command: ["curl", "-sk", "--tls-max", "1.2", "--max-time", "3", "https://localhost:{port}/"],
  },
  {
    name: "curl to an IP (no SNI)",
    command: ["curl", "-sk", "--max-time", "3", "https://127.0.0.1:{port}/"],
  },
  {
    name: "openssl s_client -tls1_2",
    command: [
      "openssl",
      "s_client",
      "-tls1_2",
      "-connect",
      "127.0.0.1:{port}",
      "-servername",
      "sensor.example",
    ],
  },
  {
    name: "openssl s_client -tls1_3",
    command: [
      "openssl",
      "s_client",
      "-tls1_3",
      "-connect",
      "127.0.0.1:{port}",
      "-servername",
      "sensor.example",
    ],
  },
  {
    name: "python ssl",
    command: [
      "python3",
      "-c",
      "import socket,ssl,sys\n" +
      "c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE\n" +
      "c.set_alpn_protocols(['h2','http/1.1'])\n" +
      "s=socket.create_connection(('127.0.0.1',int(sys.argv[1])),timeout=3)\n" +
      "c.wrap_socket(s,server_hostname='py.example')",
      "{port}",
    ],
  },
  {
    name: "nmap ssl-cert",
    command: [
      "nmap",
      "-Pn",
      "-n",
      "-p",
      "{port}",
      "--script",
      "ssl-cert",
      "--script-timeout",
      "3s",
      "127.0.0.1",
    ],
  },
];

/**
 * Runs a TLS client against a plain loopback listener and returns the first ClientHello it
 * sends, every record of it, exactly as received.
 *
 * @param client The client to run.
 * @param timeoutMs How long to wait for the hello.
 * @returns The hello's bytes (and whatever arrived with them).
 */
export async function captureClientHello(client: TlsClient, timeoutMs = 5000): Promise<Uint8Array> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const [program, ...args] = client.command.map((a) => a.replaceAll("{port}", String(port)));
  const child = new Deno.Command(program ?? "false", {
    args,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Cannot capture a hello from ${client.name}: timed out`)),
      timeoutMs,
    );
  });
  let conn: Deno.Conn | null = null;
  try {
    conn = await Promise.race([listener.accept(), timeout]);
    let bytes = new Uint8Array(0);
    const buffer = new Uint8Array(65536);
    while (true) {
      let needed: number;
      try {
        needed = clientHelloBytesNeeded(bytes);
      } catch (error) {
        if (error instanceof ClientHelloError && error.code !== "incomplete") throw error;
        needed = 1;
      }
      if (needed === 0) return bytes;
      const n = await Promise.race([conn.read(buffer), timeout]);
      if (n === null) throw new Error(`Cannot capture a hello from ${client.name}: EOF`);
      const next = new Uint8Array(bytes.length + n);
      next.set(bytes);
      next.set(buffer.subarray(0, n), bytes.length);
      bytes = next;
    }
  } finally {
    clearTimeout(timer);
    conn?.close();
    listener.close();
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.stdin.close().catch(() => {});
    await child.status;
  }
}
