/**
 * The sensor: capture, sessions, output and stats wired together.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { EventLog } from "../output/events.ts";
import { type ByteSink, RecordWriter } from "../output/record_writer.ts";
import { SessionTable } from "../session/session_table.ts";
import { Stats } from "../output/stats.ts";
import { type AcceptedConnection, TcpAcceptor } from "../capture/tcp_acceptor.ts";
import { type SessionContext, TcpSession } from "../session/tcp_session.ts";
import { UdpListener } from "../capture/udp_listener.ts";
import { UdpRecorder } from "../session/udp_recorder.ts";
import { TlsTerminator } from "../tls/terminator.ts";
import { SourceBudget } from "../session/source_budget.ts";
import { ReadinessPoller } from "../capture/readiness_poller.ts";

/** Options beyond the configuration. */
export interface SensorOptions {
  /** Where records go; stdout unless given. */
  sink?: ByteSink;
  /** Where stats, budget and diagnostic lines go; JSON lines on stderr unless given. */
  events?: EventLog;
}

/**
 * Standard output as a sink. When it is a regular file, writes are synchronous: they cannot
 * block for long, and an async write per event-loop turn drains too slowly for large records.
 * A pipe or terminal is written asynchronously, so a slow reader never stalls the sensor; the
 * writer's bound then sheds and counts what the reader cannot take.
 *
 * @returns The sink.
 */
function stdoutSink(): ByteSink {
  let regularFile = false;
  try {
    regularFile = Deno.statSync("/proc/self/fd/1").isFile;
  } catch {
    // Not a file we can see: write asynchronously.
  }
  return regularFile
    ? {
      write: (bytes) => Deno.stdout.write(bytes),
      writeSync: (bytes) => Deno.stdout.writeSync(bytes),
    }
    : Deno.stdout;
}

/**
 * A running sensor. {@linkcode Sensor.start} listens at once (and throws
 * `Deno.errors.AddrInUse` when the port is taken); {@linkcode Sensor.stop} ends it cleanly.
 */
export class Sensor {
  /** The counters. */
  readonly stats: Stats = new Stats();
  /** The sensor's stderr lines (start, stats, budget, diagnostic, stop). */
  readonly events: EventLog;
  readonly #writer: RecordWriter;
  readonly #sessions: SessionTable;
  readonly #acceptor: TcpAcceptor;
  readonly #poller: ReadinessPoller;
  readonly #tls: TlsTerminator | undefined;
  readonly #context: SessionContext;
  readonly #quietContext: SessionContext;
  readonly #budget: SourceBudget | undefined;
  #budgetTimer: ReturnType<typeof setInterval> | undefined;
  readonly #accepting: Promise<void>;
  readonly #udp: UdpListener | undefined;
  readonly #receiving: Promise<void>;
  #statsTimer: ReturnType<typeof setInterval> | undefined;

  private constructor(config: Config, options: SensorOptions) {
    this.events = options.events ?? new EventLog(config.name);
    this.#tls = config.tls.enabled ? TlsTerminator.create(config.tls) : undefined;
    this.#acceptor = new TcpAcceptor(config, this.stats);
    try {
      this.#poller = new ReadinessPoller();
    } catch (error) {
      this.#acceptor.close();
      throw error;
    }
    this.#writer = new RecordWriter(options.sink ?? stdoutSink(), config.outputBuffer, this.stats);
    try {
      this.#udp = config.udp.enabled
        ? new UdpListener(
          config.udp,
          { ip: config.ip },
          new UdpRecorder(
            {
              sensorName: config.name,
              maxRate: config.udp.maxRate,
              maxFlows: config.udp.maxFlows,
              idleTimeoutMs: config.udp.idleTimeoutMs,
              boundAddress: { ip: config.ip, port: config.udp.port },
            },
            this.#writer,
            this.stats,
          ),
          this.stats,
        )
        : undefined;
    } catch (error) {
      this.#acceptor.close();
      void this.#poller.close();
      throw error;
    }
    this.#sessions = new SessionTable(config);
    this.#context = {
      sensorName: config.name,
      readSize: config.readSize,
      maxBytes: config.maxBytes,
      recordSilent: config.recordSilent,
      writer: this.#writer,
      stats: this.stats,
      poller: this.#poller,
      ...(this.#tls === undefined ? {} : { tls: this.#tls }),
    };
    // Over-budget sessions are read and closed like any other, but make no records; TLS is
    // not terminated for them.
    const { tls: _tls, ...plain } = this.#context;
    this.#quietContext = { ...plain, recordSilent: false, quiet: true };
    if (config.budget.sessionsPerMinute > 0) {
      this.#budget = new SourceBudget(
        config.budget,
        (summary) => this.events.emit("budget", summary),
      );
      this.#budgetTimer = setInterval(() => this.#sweepBudget(Date.now()), 1000);
    }
    if (config.statsIntervalMs > 0) {
      this.#statsTimer = setInterval(() => this.printStats(), config.statsIntervalMs);
    }
    this.#accepting = this.#acceptor.run((connection) => this.#handle(connection));
    this.#receiving = this.#udp?.run() ?? Promise.resolve();
  }

  /**
   * Starts a sensor: binds the port and begins accepting.
   *
   * @param config The configuration.
   * @param options Where records go.
   * @returns The running sensor.
   * @throws {Deno.errors.AddrInUse} When the port is taken, for example by a running instance.
   * @throws {ErrnoError} In tproxy mode without CAP_NET_ADMIN, or when the UDP port is taken.
   */
  static start(config: Config, options: SensorOptions = {}): Sensor {
    return new Sensor(config, options);
  }

  /** The address the sensor listens on. */
  get address(): Deno.NetAddr {
    return this.#acceptor.address;
  }

  #sweepBudget(now: number): void {
    const budget = this.#budget;
    if (budget === undefined) return;
    budget.sweep(now);
    this.stats.budgetSourcesEvicted = budget.evicted;
  }

  readonly #onClose = (closed: TcpSession): void => {
    this.#acceptor.release(closed.connection);
    this.#sessions.delete(closed);
  };

  #handle(connection: AcceptedConnection): void {
    let context = this.#context;
    if (
      this.#budget !== undefined &&
      !this.#budget.admit(connection.source.ip, connection.acceptedAtMs)
    ) {
      this.stats.sessionsOverBudget++;
      context = this.#quietContext;
    }
    const session = new TcpSession(connection, context, this.#onClose);
    this.#sessions.add(session);
    session.start();
  }

  /** Writes the counters to stderr as one JSON line. */
  printStats(): void {
    if (this.#budget !== undefined) this.stats.budgetSourcesEvicted = this.#budget.evicted;
    this.events.emit("stats", this.stats.snapshot());
  }

  /**
   * Stops accepting, ends the open sessions, and flushes every pending record.
   *
   * @param timeoutMs How long to wait for the output to drain.
   * @returns True when everything was flushed in time.
   */
  async stop(timeoutMs = 5000): Promise<boolean> {
    if (this.#statsTimer !== undefined) clearInterval(this.#statsTimer);
    if (this.#budgetTimer !== undefined) clearInterval(this.#budgetTimer);
    this.#acceptor.close();
    this.#udp?.close();
    await this.#accepting;
    await this.#receiving;
    this.#sessions.closeAll();
    this.#budget?.flush();
    if (this.#budget !== undefined) this.stats.budgetSourcesEvicted = this.#budget.evicted;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const drained = (async () => {
      while (this.stats.connectionsOpen > 0) await new Promise((r) => setTimeout(r, 10));
      await this.#writer.flush();
      return true;
    })();
    const finished = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    await this.#poller.close();
    return finished;
  }
}
