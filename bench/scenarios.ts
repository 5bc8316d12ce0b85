/**
 * The bench's scenarios, full size and quick (CI smoke test) size. Each is bounded in count and
 * time.
 *
 * @module
 */

/**
 * One scenario. Scenario 2 ("rst") is the reset-right-after-send case: the C load client sends
 * and closes with RST at once, fast enough that many connections are reset while they still wait
 * in the accept queue; the accept4 engine records every one of them (`bench_quick_test.ts`
 * asserts it). It is not strict: a reset frees the client's port at once, the client reuses it
 * for its next port, and NAT may then answer `SO_ORIGINAL_DST` for a connection still waiting in
 * the queue with the next one's port (the C loop shows a few such wrong ports too).
 */
export interface Scenario {
  /** Its number, 1 to 11. */
  readonly id: number;
  /** A short name, also used in the namespace name and accepted by `--scenario`. */
  readonly name: string;
  /**
   * What the client does: plain TCP connections (`bench/load_client.ts`), TLS 1.3 sessions
   * (`bench/tls_client.ts`), or UDP datagrams through TPROXY (`bench/udp_client.ts`).
   */
  readonly kind: "tcp" | "tls" | "udp";
  /** Connections, TLS sessions or datagrams. */
  readonly count: number;
  /** Datagrams per second the UDP client sends at most (UDP only). */
  readonly rate?: number;
  /** Whether the baseline runs it too (it speaks neither TLS nor UDP). */
  readonly baseline: boolean;
  /** Connections in flight at once. */
  readonly concurrency: number;
  /** The lowest port dialled. */
  readonly portMin: number;
  /** The highest port dialled. */
  readonly portMax: number;
  /** Bytes each connection sends. */
  readonly size: number;
  /** How connections end. */
  readonly close: "fin" | "rst";
  /** Open every connection first and hold them idle, then send. */
  readonly hold: boolean;
  /** Each connection waits, silent, for the sensor's greeting before it sends. */
  readonly awaitGreeting?: boolean;
  /**
   * Read the sensor's stdout slowly: bytes per read and pause after each, or null. Chunk 0 is
   * a stopped reader: nothing is read until the load is done; the accept rate then comes from
   * the sensor's stats lines (`stats_interval`).
   */
  readonly slowRead: { chunk: number; pauseMs: number } | null;
  /** Sensor config keys that differ from the bench's defaults. */
  readonly config: Readonly<Record<string, number | boolean | string>>;
  /** The client stops starting connections after this long. */
  readonly deadlineMs: number;
  /** Whether lost or wrong-port records fail the run (`--quick` asserts these). */
  readonly strict: boolean;
  /**
   * Run the same load once before the measured one, against the same target process, so that
   * the measured load meets a process that has already served one (its code compiled and
   * optimised, as on a sensor that has been up for a while). The first load's records are
   * checked too, and its CPU is reported as the cold figure.
   */
  readonly warmup?: boolean;
}

/** The sensor config every scenario starts from (the sensor's keys, `src/config/config.ts`). */
export const BASE_CONFIG: Readonly<Record<string, number | boolean | string>> = {
  ip: "::",
  name: "bench",
  idle_timeout: 30,
  max_lifetime: 120,
  max_bytes: 1048576,
  read_size: 4096,
  max_connections: 20000,
  backlog: 4096,
  record_silent: true,
  stats_interval: 0,
  output_buffer: 16777216,
};

/**
 * The scenarios.
 *
 * @param quick Small sizes for a smoke test.
 * @returns The scenarios: 1-5 plain TCP, 6 TLS, 7 UDP, 8 scenario 1 with `[tls] enabled = false`
 *   (what plain connections cost without the TLS check), 9 greeted sessions: silent connections
 *   to port 21 that wait for the FTP greeting (after 0.05 s), then send and close (what a
 *   greeting costs), 10 scenario 1 with `[greet] enabled = false` (what greetings cost connections
 *   that send first), 11 scenario 1 measured on a process that has just served scenario 1's load
 *   once (the steady-state cost, without the one-time V8 warm-up a cold process pays).
 */
export function scenarios(quick: boolean): Scenario[] {
  const n = (full: number, small: number): number => quick ? small : full;
  const deadlineMs = n(45_000, 10_000);
  const fin: Scenario = {
    id: 1,
    kind: "tcp",
    baseline: true,
    name: "fin",
    count: n(20_000, 500),
    concurrency: n(200, 50),
    portMin: 1,
    portMax: 1000,
    size: 64,
    close: "fin",
    hold: false,
    slowRead: null,
    config: {},
    deadlineMs,
    strict: true,
  };
  return [
    fin,
    { ...fin, id: 2, name: "rst", close: "rst", strict: false },
    {
      ...fin,
      id: 3,
      name: "idle",
      count: n(10_000, 500),
      hold: true,
      config: { max_connections: n(12_000, 1000) },
    },
    { ...fin, id: 4, name: "big", count: n(5_000, 200), size: 10_000, config: { max_bytes: 8192 } },
    {
      ...fin,
      id: 5,
      // The baseline writes synchronously: a stopped reader freezes it outright.
      baseline: false,
      name: "stopped",
      count: n(5_000, 500),
      slowRead: { chunk: 0, pauseMs: 20 },
      // Stats every 0.1 s: the accept rate is read from the sensor's own counters, since no
      // record comes out while the reader is stopped.
      config: { output_buffer: 65536, stats_interval: 0.1 },
      strict: false,
    },
    {
      ...fin,
      id: 6,
      name: "tls",
      kind: "tls",
      baseline: false,
      count: n(2_000, 100),
      concurrency: n(100, 20),
      size: 0,
    },
    {
      ...fin,
      id: 7,
      name: "udp",
      kind: "udp",
      baseline: false,
      count: n(50_000, 2_000),
      rate: n(10_000, 5_000),
      concurrency: 1,
      portMax: 65535,
      config: {
        mode: "tproxy",
        "udp.enabled": true,
        "udp.max_rate": 1_000_000,
      },
    },
    { ...fin, id: 8, name: "fin-notls", baseline: false, config: { "tls.enabled": false } },
    {
      ...fin,
      id: 9,
      name: "greet",
      baseline: false,
      count: n(3_000, 100),
      portMin: 21,
      portMax: 21,
      awaitGreeting: true,
      config: { "greet.after": 0.05 },
    },
    { ...fin, id: 10, name: "fin-nogreet", baseline: false, config: { "greet.enabled": false } },
    { ...fin, id: 11, name: "fin-warm", warmup: true },
  ];
}
