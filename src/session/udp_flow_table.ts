/**
 * UDP flows: datagrams with the same 5-tuple share a session until the flow idles out.
 *
 * @module
 */
import { createFlow, type Endpoint, type Flow } from "../record/record.ts";

/** A remembered flow and the number of its last record. */
export interface UdpFlowEntry {
  /** The flow: session id, Community ID, addresses. */
  readonly flow: Flow;
  /** The `seq` of its last record. */
  seq: number;
  /** When its last datagram arrived, epoch ms. */
  lastSeenMs: number;
}

/** Limits for {@linkcode UdpFlowTable}. */
export interface UdpFlowLimits {
  /** Flows remembered at most. */
  maxFlows: number;
  /** A flow idle this long is forgotten, ms. */
  idleTimeoutMs: number;
  /** The sensor's name, carried on each flow. */
  sensorName: string;
}

/**
 * The flows seen recently, least recently seen first. A `Map` keeps insertion order, and every
 * datagram moves its flow to the end, so both idle expiry and eviction take from the front: each
 * costs O(1) per flow removed, never a scan of the table.
 */
export class UdpFlowTable {
  readonly #flows = new Map<string, UdpFlowEntry>();
  readonly #limits: UdpFlowLimits;

  /** @param limits The limits. */
  constructor(limits: UdpFlowLimits) {
    this.#limits = limits;
  }

  /** Flows remembered now. */
  get size(): number {
    return this.#flows.size;
  }

  /**
   * Finds the flow of a datagram, or starts one, and numbers the datagram's record.
   *
   * @param source The sender.
   * @param destination The original destination.
   * @param nowMs When the datagram arrived, epoch ms.
   * @returns The flow's entry, its `seq` already advanced, and how many flows were evicted to
   * make room (0 or 1).
   */
  touch(
    source: Endpoint,
    destination: Endpoint,
    nowMs: number,
  ): { entry: UdpFlowEntry; evicted: number } {
    const key = `${source.ip} ${source.port} ${destination.ip} ${destination.port}`;
    const found = this.#flows.get(key);
    let evicted = 0;
    if (found !== undefined) {
      this.#flows.delete(key);
      if (nowMs - found.lastSeenMs <= this.#limits.idleTimeoutMs) {
        found.seq++;
        found.lastSeenMs = nowMs;
        this.#flows.set(key, found);
        return { entry: found, evicted };
      }
    }
    while (this.#flows.size >= this.#limits.maxFlows) {
      const oldest = this.#flows.keys().next();
      if (oldest.done) break;
      this.#flows.delete(oldest.value);
      evicted++;
    }
    const entry: UdpFlowEntry = {
      flow: createFlow("udp", source, destination, this.#limits.sensorName),
      seq: 1,
      lastSeenMs: nowMs,
    };
    this.#flows.set(key, entry);
    return { entry, evicted };
  }

  /**
   * Forgets the flows idle past the timeout.
   *
   * @param nowMs The current time, epoch ms.
   * @returns How many were forgotten.
   */
  expire(nowMs: number): number {
    let expired = 0;
    for (const [key, entry] of this.#flows) {
      if (nowMs - entry.lastSeenMs <= this.#limits.idleTimeoutMs) break;
      this.#flows.delete(key);
      expired++;
    }
    return expired;
  }
}
