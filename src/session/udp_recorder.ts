/**
 * Turns received datagrams into records: one record per datagram, bounded in rate, size and
 * flow-table room, with everything shed counted.
 *
 * @module
 */
import { encodeRecord, type Endpoint } from "../record/record.ts";
import type { Stats } from "../output/stats.ts";
import { UdpFlowTable } from "./udp_flow_table.ts";
import type { DatagramHandler } from "../capture/udp_listener.ts";

/** Where record lines go; {@linkcode RecordWriter} fits. */
export interface LineSink {
  /** Queues one JSON line; false when it was shed. */
  push(line: string): boolean;
}

/** Limits and identity for {@linkcode UdpRecorder}. */
export interface UdpRecorderOptions {
  /** The sensor's name. */
  sensorName: string;
  /** Datagrams recorded per second at most. */
  maxRate: number;
  /** Flows remembered at most. */
  maxFlows: number;
  /** A flow idle this long ends, ms. */
  idleTimeoutMs: number;
  /** Where a datagram without an original destination is said to have gone: the bound address. */
  boundAddress: Endpoint;
}

/**
 * Records datagrams. A token bucket of `maxRate` tokens, refilled at `maxRate` a second, bounds
 * the records written; the datagrams past it are counted in `Stats.udpRateShed`. A datagram
 * longer than what was kept is recorded cut, with `truncated: true` and its real length in the
 * extra field `datagram_length`.
 */
export class UdpRecorder implements DatagramHandler {
  readonly #options: UdpRecorderOptions;
  readonly #sink: LineSink;
  readonly #stats: Stats;
  readonly #flows: UdpFlowTable;
  #tokens: number;
  #refilledAtMs = -1;

  /**
   * @param options Limits and identity.
   * @param sink Where records go.
   * @param stats Where datagrams and sheds are counted.
   */
  constructor(options: UdpRecorderOptions, sink: LineSink, stats: Stats) {
    this.#options = options;
    this.#sink = sink;
    this.#stats = stats;
    this.#flows = new UdpFlowTable(options);
    this.#tokens = options.maxRate;
  }

  /**
   * Records one datagram, unless the rate bound sheds it.
   *
   * @param source The sender.
   * @param destination The original destination, or `null` when the kernel gave none.
   * @param payload The bytes kept.
   * @param length The datagram's real length.
   * @param nowMs When it arrived, epoch ms.
   * @returns True when a record was queued.
   */
  record(
    source: Endpoint,
    destination: Endpoint | null,
    payload: Uint8Array,
    length: number,
    nowMs: number,
  ): boolean {
    const stats = this.#stats;
    stats.udpDatagrams++;
    stats.udpBytes += length;
    if (!this.#take(nowMs)) {
      stats.udpRateShed++;
      return false;
    }
    if (destination === null) stats.udpNoDestination++;
    const { entry, evicted } = this.#flows.touch(
      source,
      destination ?? this.#options.boundAddress,
      nowMs,
    );
    stats.udpFlowsEvicted += evicted;
    stats.udpFlowsOpen = this.#flows.size;
    const truncated = length > payload.length;
    if (truncated) stats.udpTruncated++;
    const line = encodeRecord(
      entry.flow,
      entry.seq,
      payload,
      nowMs,
      { silent: false, truncated },
      truncated ? { datagram_length: length } : undefined,
    );
    return this.#sink.push(line);
  }

  /**
   * Forgets idle flows. Call it about once a second.
   *
   * @param nowMs The current time, epoch ms.
   */
  expire(nowMs: number): void {
    this.#flows.expire(nowMs);
    this.#stats.udpFlowsOpen = this.#flows.size;
  }

  #take(nowMs: number): boolean {
    const rate = this.#options.maxRate;
    if (this.#refilledAtMs >= 0 && nowMs > this.#refilledAtMs) {
      this.#tokens = Math.min(rate, this.#tokens + ((nowMs - this.#refilledAtMs) * rate) / 1000);
    }
    if (nowMs > this.#refilledAtMs) this.#refilledAtMs = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
