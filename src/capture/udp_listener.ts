/**
 * The UDP capture engine: a transparent socket that TPROXY fills with datagrams addressed to any
 * address and port, read in batches off the event loop.
 *
 * The sensor never answers a datagram. UDP sources are trivially spoofed, so any reply, however
 * small, would let an attacker aim the sensor's traffic at a victim (a reflection amplifier).
 * The socket is only read from; no code path sends on it.
 *
 * @module
 */
import {
  closeUdpSocket,
  DatagramBatch,
  openUdpSocket,
  type UdpSocket,
  wakeUdpSocket,
} from "../../ffi/udp_socket.ts";
import type { Stats } from "../output/stats.ts";
import type { UdpConfig } from "../config/udp.ts";
import type { Endpoint } from "../record/record.ts";

/** Receives each datagram; the sensor gives a `UdpRecorder`. */
export interface DatagramHandler {
  /**
   * Takes one datagram.
   *
   * @param source The sender.
   * @param destination The original destination, or `null` when the kernel gave none.
   * @param payload The bytes kept.
   * @param length The datagram's real length.
   * @param nowMs When it arrived, epoch ms.
   */
  record(
    source: Endpoint,
    destination: Endpoint | null,
    payload: Uint8Array,
    length: number,
    nowMs: number,
  ): void;
  /**
   * Ends the flows idle for too long.
   *
   * @param nowMs The time, epoch ms.
   */
  expire(nowMs: number): void;
}

/** What a {@linkcode UdpListener} needs beyond `[udp]`. */
export interface UdpListenerOptions {
  /** The address to bind, the top-level `ip`. */
  ip: string;
  /** Mark the socket transparent (tproxy mode). Tests on loopback may turn it off. */
  transparent?: boolean;
}

/** Datagrams taken per `recvmmsg` call. */
const BATCH = 64;
/** The longest one receive waits, so that a stop is noticed promptly even without a wake. */
const WAIT_MS = 250;
/** How often idle flows are swept. */
const SWEEP_MS = 1000;
/** A receive that fails at once (not a time-out) is retried after this pause, never in a spin. */
const ERROR_PAUSE_MS = 10;

/**
 * Receives datagrams until closed, one record per datagram.
 */
export class UdpListener {
  readonly #socket: UdpSocket;
  readonly #batch: DatagramBatch;
  readonly #recorder: DatagramHandler;
  readonly #stats: Stats;
  readonly #port: number;
  #closed = false;

  /**
   * Opens the socket.
   *
   * @param config The `[udp]` settings.
   * @param options The bind address.
   * @param recorder Receives each datagram.
   * @param stats Where datagrams and sheds are counted.
   * @throws {ErrnoError} When the socket cannot be made or bound, or lacks CAP_NET_ADMIN.
   */
  constructor(
    config: UdpConfig,
    options: UdpListenerOptions,
    recorder: DatagramHandler,
    stats: Stats,
  ) {
    this.#socket = openUdpSocket({
      ip: options.ip,
      port: config.port,
      transparent: options.transparent ?? true,
      waitMs: WAIT_MS,
      receiveBuffer: config.receiveBuffer,
    });
    this.#port = config.port;
    this.#batch = new DatagramBatch(BATCH, config.maxDatagram);
    this.#stats = stats;
    this.#recorder = recorder;
  }

  /** The port the socket is bound to. */
  get port(): number {
    return this.#port;
  }

  /**
   * Receives and records datagrams until {@linkcode UdpListener.close} is called, then closes
   * the socket. Each wait runs on a Deno FFI thread, so the event loop never blocks.
   */
  async run(): Promise<void> {
    let nextSweepMs = 0;
    try {
      while (!this.#closed) {
        const startedMs = Date.now();
        const count = await this.#batch.receive(this.#socket);
        const nowMs = Date.now();
        for (let i = 0; i < count; i++) {
          const datagram = this.#batch.datagram(i);
          if (datagram === null) continue;
          this.#recorder.record(
            datagram.source,
            datagram.destination,
            datagram.payload,
            datagram.length,
            nowMs,
          );
        }
        this.#stats.udpKernelDropped = this.#batch.kernelDropped;
        if (nowMs >= nextSweepMs) {
          this.#recorder.expire(nowMs);
          nextSweepMs = nowMs + SWEEP_MS;
        }
        if (count === 0 && !this.#closed && nowMs - startedMs < ERROR_PAUSE_MS) {
          await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
        }
      }
    } finally {
      closeUdpSocket(this.#socket);
    }
  }

  /** Stops receiving: wakes the waiting receive, after which {@linkcode UdpListener.run} ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    wakeUdpSocket(this.#socket);
  }
}
