/**
 * The sensor: capture, sessions, output and stats wired together.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { EventLog } from "../output/events.ts";
import type { ByteSink } from "../output/byte_sink.ts";
import { RecordWriter } from "../output/record_writer.ts";
import { SessionTable } from "../session/session_table.ts";
import { Stats } from "../output/stats.ts";
import { TcpAcceptor } from "../capture/tcp_acceptor.ts";
import type { AcceptedConnection } from "../capture/accepted_connection.ts";
import { type SessionContext, TcpSession } from "../session/tcp_session.ts";
import { UdpListener } from "../capture/udp_listener.ts";
import { UdpRecorder } from "../session/udp_recorder.ts";
import { TlsTerminator } from "../tls/terminator.ts";
import { SourceBudget } from "../session/source_budget.ts";
import { ReadinessPoller } from "../capture/readiness_poller.ts";
import { greetPolicy } from "../session/greeter.ts";
import { openStreamSink, type StreamSink } from "../output/stream_sink.ts";
import { PollerWritability } from "../output/writability.ts";

/** How long {@linkcode Sensor.stop} gives the output to drain by default, ms. */
export const STOP_DEADLINE_MS = 5000;

/** Options beyond the configuration. */
export interface SensorOptions {
  /** Where records go; stdout unless given. */
  sink?: ByteSink;
  /** Where stats, budget and diagnostic lines go; JSON lines on stderr unless given. */
  events?: EventLog;
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
  readonly #writability: PollerWritability;
  readonly #stdout: StreamSink | undefined;
  #unwritten = 0;
  #unfinished = 0;
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
    this.#writability = new PollerWritability(this.#poller);
    // Records on stdout: a regular file is appended to synchronously; a pipe or terminal gets a
    // nonblocking description of its own, waited on through the poller, so a stalled reader
    // never stalls the sensor: the writer's bound sheds and counts what it cannot take.
    this.#stdout = options.sink === undefined ? openStreamSink(1, this.#writability) : undefined;
    this.#writer = new RecordWriter(
      options.sink ?? this.#stdout as StreamSink,
      config.outputBuffer,
      this.stats,
    );
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
      this.#writability.close();
      this.#stdout?.close();
      void this.#poller.close();
      throw error;
    }
    const greet = greetPolicy(config.greet);
    this.#sessions = new SessionTable({
      idleTimeoutMs: config.idleTimeoutMs,
      maxLifetimeMs: config.maxLifetimeMs,
      maxConnections: config.maxConnections,
      ...(greet === undefined ? {} : { greetAfterMs: greet.afterMs }),
    });
    this.#context = {
      sensorName: config.name,
      readSize: config.readSize,
      maxBytes: config.maxBytes,
      recordSilent: config.recordSilent,
      writer: this.#writer,
      stats: this.stats,
      poller: this.#poller,
      ...(this.#tls === undefined ? {} : { tls: this.#tls }),
      ...(greet === undefined ? {} : { greet }),
    };
    // Over-budget sessions are read and closed like any other, but make no records; TLS is
    // not terminated for them, and they are not greeted.
    const { tls: _tls, greet: _greet, ...plain } = this.#context;
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
    try {
      this.#accepting = this.#acceptor.run((connection) => this.#handle(connection), this.#poller);
    } catch (error) {
      if (this.#statsTimer !== undefined) clearInterval(this.#statsTimer);
      if (this.#budgetTimer !== undefined) clearInterval(this.#budgetTimer);
      this.#acceptor.close();
      this.#udp?.close();
      void this.#poller.close();
      throw error;
    }
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
    this.stats.listenDrops = this.#acceptor.listenDrops;
    this.events.emit("stats", this.stats.snapshot());
  }

  /**
   * How stdout is written: `file`, `nonblocking`, `thread` or `blocking` (see `StreamMode`);
   * `sink` when records go to the sink given in the options.
   */
  get outputMode(): string {
    return this.#stdout?.mode ?? "sink";
  }

  /** Records given up at the shutdown deadline (also counted in `records_shed`). */
  get recordsUnwritten(): number {
    return this.#unwritten;
  }

  /** Sessions still not finished at the shutdown deadline (a bug if ever above 0). */
  get sessionsUnfinished(): number {
    return this.#unfinished;
  }

  /**
   * Stops accepting, ends the open sessions, and flushes every pending record. At the deadline
   * (a stalled reader), the records still waiting are given up and counted in `records_shed`
   * and {@linkcode Sensor.recordsUnwritten}: every record is either written or counted.
   *
   * @param timeoutMs How long to wait for the output to drain.
   * @returns True when everything was flushed in time.
   */
  async stop(timeoutMs: number = STOP_DEADLINE_MS): Promise<boolean> {
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
    if (!finished) {
      this.#unfinished = this.stats.connectionsOpen;
      this.#unwritten = this.#writer.abandon();
    }
    this.#writability.close();
    this.#stdout?.close();
    await this.#poller.close();
    return finished;
  }
}
