/**
 * Generates a records file for the report bench and the report's tests: sessions shaped like the
 * sensor's (silent scans, HTTP, SSH, TLS with JA3/JA4 and a decrypted record, binary probes, UDP
 * datagrams), with optional SYN fingerprint and HASSH fields, from a seeded generator so the same
 * size and seed give the same file.
 *
 * @module
 */

/** What to generate. */
export interface RecordsFileOptions {
  /** Stop once the file holds at least this many bytes. */
  readonly bytes: number;
  /** The generator's seed. */
  readonly seed?: number;
  /** The first session's time, epoch seconds. */
  readonly startSeconds?: number;
  /** Seconds between two sessions' starts. */
  readonly stepSeconds?: number;
}

/** What was written. */
export interface RecordsFileSummary {
  /** Lines written. */
  readonly records: number;
  /** Sessions (each has one record with seq 1). */
  readonly sessions: number;
  /** Bytes written. */
  readonly bytes: number;
}

/** The default first session time: 2026-12-01T00:00:00Z. */
export const DEFAULT_START_SECONDS = 1_796_083_200;

const WRITE_BATCH_BYTES = 1 << 20;
const SOURCE_POOL = 50_000;

/** A small seeded generator (mulberry32): 32 random bits per call, as a number in [0, 1). */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (text: string): string => new TextEncoder().encode(text).toHex();

const HTTP_PATHS = ["/", "/.env", "/wp-login.php", "/admin", "/favicon.ico", "/cgi-bin/luci"];
const HTTP_PORTS = [80, 8080, 8000, 8888, 81];
const SSH_BANNERS = ["SSH-2.0-Go", "SSH-2.0-libssh_0.9.6", "SSH-2.0-OpenSSH_8.9p1"];
const SNIS = ["example.com", "api.example.net", null];
const JA4S = [
  "t13d1516h2_8daaf6152771_e5627efa2ab1",
  "t13d301000_1d37bd780c83_d339722ba4af",
  "t12d190800_d83cc789557e_7af1ed941c26",
];
const JA3S = [
  "771,4865-4866-4867,0-23-65281-10-11,29-23-24,0",
  "771,49195-49199,0-10-11-13,23-24,0",
];
const JA3_HASHES = ["cd08e31494f9531f560d64c695473da9", "e7d705a3286e19ea42f587b344ee6865"];
const HASSHES = ["ec7378c1a92f5a8dde7e8b7a1ddf33d1", "92674389fa1e47a27ddd8d9b63ecd42b"];
const SYNS: readonly [number, number, string, number, number, boolean][] = [
  [64, 65535, "mss,sok,ts,nop,ws", 1460, 7, true],
  [128, 64240, "mss,nop,ws,nop,nop,sok", 1460, 8, true],
  [255, 1024, "mss", 1460, 0, false],
];
const UDP_PORTS = [53, 123, 161, 1900, 5060];
const BINARY_PORTS = [445, 3389, 6379, 5555, 23];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * Generates a records file.
 *
 * @param path Where to write it (replaced).
 * @param options The size and seed.
 * @returns How many records and sessions were written, and the bytes.
 */
export async function writeRecordsFile(
  path: string,
  options: RecordsFileOptions,
): Promise<RecordsFileSummary> {
  const random = randomSource(options.seed ?? 1);
  const start = options.startSeconds ?? DEFAULT_START_SECONDS;
  const step = options.stepSeconds ?? 0.05;
  const encoder = new TextEncoder();
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let records = 0;
  let sessions = 0;
  let bytes = 0;
  let batch: string[] = [];
  let batchBytes = 0;
  try {
    while (bytes + batchBytes < options.bytes) {
      const timeMs = Math.floor((start + sessions * step) * 1000 + random() * 1000);
      // Skewed sources: a few heavy scanners, a long tail.
      const sourceIndex = Math.floor(SOURCE_POOL * random() ** 3);
      const sourceIp = `198.${18 + (sourceIndex >> 16)}.${(sourceIndex >> 8) & 255}.${
        sourceIndex & 255
      }`;
      const sessionId = sessionUuid(timeMs, sessions);
      const kind = random();
      const lines = sessionLines(random, kind, {
        timeMs,
        sourceIp,
        sourcePort: 1024 + Math.floor(random() * 64000),
        sessionId,
      });
      sessions++;
      for (const line of lines) {
        batch.push(line);
        batchBytes += line.length + 1;
        records++;
      }
      if (batchBytes >= WRITE_BATCH_BYTES) {
        await writeAll(file, encoder.encode(`${batch.join("\n")}\n`));
        bytes += batchBytes;
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) {
      await writeAll(file, encoder.encode(`${batch.join("\n")}\n`));
      bytes += batchBytes;
    }
  } finally {
    file.close();
  }
  return { records, sessions, bytes };
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await file.write(data.subarray(offset));
}

function sessionUuid(timeMs: number, counter: number): string {
  const time = timeMs.toString(16).padStart(12, "0");
  const tail = counter.toString(16).padStart(15, "0");
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${
    tail.slice(6, 15).padStart(12, "0")
  }`;
}

interface SessionShape {
  timeMs: number;
  sourceIp: string;
  sourcePort: number;
  sessionId: string;
}

function recordLine(
  shape: SessionShape,
  transport: "tcp" | "udp",
  port: number,
  seq: number,
  payload: string,
  payloadHex: string,
  silent: boolean,
  extra: Record<string, unknown>,
): string {
  const timeMs = shape.timeMs + (seq - 1) * 37;
  return JSON.stringify({
    timestamp: Math.floor(timeMs / 1000),
    payload,
    payload_hex: payloadHex,
    source_ip: shape.sourceIp,
    source_port: shape.sourcePort,
    destination_ip: "192.0.2.10",
    destination_port: port,
    session_id: shape.sessionId,
    transport,
    sensor_name: "bench",
    seq,
    timestamp_ms: timeMs,
    community_id: "1:J/87QI0ku3VSJ+O2L8owLcLuSUE=",
    silent,
    truncated: false,
    ...extra,
  });
}

function synFields(random: () => number): Record<string, unknown> {
  if (random() < 0.5) return {};
  const [ttl, window, options, mss, wscale, df] = pick(random, SYNS);
  return {
    syn_ttl: ttl,
    syn_window: window,
    syn_options: options,
    syn_mss: mss,
    syn_wscale: wscale,
    syn_df: df,
  };
}

function sessionLines(random: () => number, kind: number, shape: SessionShape): string[] {
  if (kind < 0.3) {
    const port = random() < 0.5 ? pick(random, [22, 23, 80, 443, 3389]) : 1 + Math.floor(
      random() * 65535,
    );
    return [recordLine(shape, "tcp", port, 1, "", "", true, synFields(random))];
  }
  if (kind < 0.6) {
    const port = pick(random, HTTP_PORTS);
    const text = `GET ${
      pick(random, HTTP_PATHS)
    } HTTP/1.1\r\nHost: 192.0.2.10:${port}\r\nUser-Agent: Mozilla/5.0 (compatible; bench)\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
    return [recordLine(shape, "tcp", port, 1, text, hex(text), false, synFields(random))];
  }
  if (kind < 0.7) {
    const banner = `${pick(random, SSH_BANNERS)}\r\n`;
    const kex = "\u0000\u0000\u0001\u0014\n\u0014kex-init";
    return [
      recordLine(shape, "tcp", 22, 1, banner, hex(banner), false, synFields(random)),
      recordLine(shape, "tcp", 22, 2, kex, hex(kex), false, { hassh: pick(random, HASSHES) }),
    ];
  }
  if (kind < 0.8) {
    const port = random() < 0.8 ? 443 : 8443;
    const hello = new Uint8Array(220);
    hello.set([0x16, 0x03, 0x01, 0x00, 0xd7, 0x01]);
    for (let i = 6; i < hello.length; i++) hello[i] = Math.floor(random() * 256);
    const text = new TextDecoder().decode(hello);
    const ja3Index = Math.floor(random() * JA3S.length);
    const first = recordLine(shape, "tcp", port, 1, text, hello.toHex(), false, {
      ...synFields(random),
      tls_sni: pick(random, SNIS),
      tls_alpn: ["h2", "http/1.1"],
      tls_versions: ["TLSv1.3", "TLSv1.2"],
      ja4: pick(random, JA4S),
      ja3: JA3S[ja3Index],
      ja3_hash: JA3_HASHES[ja3Index],
    });
    const inner = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    return [first, recordLine(shape, "tcp", port, 2, inner, hex(inner), false, { tls: true })];
  }
  if (kind < 0.9) {
    const bytes = new Uint8Array(8 + Math.floor(random() * 56));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    const port = pick(random, BINARY_PORTS);
    return [
      recordLine(
        shape,
        "tcp",
        port,
        1,
        new TextDecoder().decode(bytes),
        bytes.toHex(),
        false,
        synFields(random),
      ),
    ];
  }
  const port = pick(random, UDP_PORTS);
  const datagram = port === 5060
    ? "OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm\r\n\r\n"
    : `\u0000\u0001\u0000\u0000\u0000\u0001${port}`;
  return [recordLine(shape, "udp", port, 1, datagram, hex(datagram), false, {})];
}
