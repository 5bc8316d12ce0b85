/**
 * Checks the sensor's UDP records against what the UDP client sent: every datagram's token must
 * appear in exactly one record with `transport: "udp"`, the destination address and port it was
 * sent to, and its bytes.
 *
 * @module
 */
import { makePayload, parseToken } from "./payload.ts";
import { type CheckResult, emptyCheckResult } from "./record_check.ts";
import { udpDestination } from "./udp_client.ts";

/** What the UDP check expects of a run. */
export interface UdpCheckPlan {
  /** The run's id, carried in every datagram. */
  readonly runId: string;
  /** Datagrams in the run. */
  readonly count: number;
  /** Bytes per datagram. */
  readonly size: number;
}

interface UdpRecordFields {
  transport?: unknown;
  payload_hex?: unknown;
  destination_ip?: unknown;
  destination_port?: unknown;
  timestamp_ms?: unknown;
}

/** Feeds on record lines one at a time; {@linkcode UdpRecordChecker.result} gives the verdict. */
export class UdpRecordChecker {
  readonly #plan: UdpCheckPlan;
  readonly #seen: Uint8Array;
  readonly #out: CheckResult = emptyCheckResult();
  #notUdp = 0;
  #firstMs = Infinity;
  #lastMs = -Infinity;

  /** @param plan What the run sent. */
  constructor(plan: UdpCheckPlan) {
    this.#plan = plan;
    this.#seen = new Uint8Array(plan.count);
  }

  /** Lines fed so far. */
  get records(): number {
    return this.#out.records;
  }

  /**
   * Checks one record line.
   *
   * @param line One JSON line, without its newline.
   */
  feed(line: string): void {
    if (line.length === 0) return;
    const out = this.#out;
    out.records++;
    let fields: UdpRecordFields;
    try {
      fields = JSON.parse(line) as UdpRecordFields;
    } catch {
      out.malformed++;
      return;
    }
    const { payload_hex: hex, destination_ip: ip, destination_port: port } = fields;
    if (typeof hex !== "string" || typeof ip !== "string" || typeof port !== "number") {
      out.malformed++;
      return;
    }
    if (fields.transport !== "udp") {
      this.#notUdp++;
      return;
    }
    if (typeof fields.timestamp_ms === "number") {
      this.#firstMs = Math.min(this.#firstMs, fields.timestamp_ms);
      this.#lastMs = Math.max(this.#lastMs, fields.timestamp_ms);
    }
    const bytes = Uint8Array.fromHex(hex);
    const token = parseToken(bytes);
    if (token === null) {
      out.untokened++;
      return;
    }
    if (token.runId !== this.#plan.runId || token.index >= this.#plan.count) {
      out.foreign++;
      return;
    }
    const to = udpDestination(token.index);
    // The wrong address counts as a wrong port: both mean the original destination was lost.
    if (ip !== to.ip || port !== to.port) out.wrongPort++;
    const expected = makePayload(this.#plan.runId, token.index, this.#plan.size);
    if (bytes.length !== expected.length || bytes.some((b, k) => b !== expected[k])) {
      out.wrongBytes++;
    }
    if (this.#seen[token.index] === 1) out.duplicates++;
    this.#seen[token.index] = 1;
  }

  /**
   * The verdict.
   *
   * @param completed Whether the client sent datagram `i`.
   * @returns The counts, in the shape of the TCP check; the records that were not UDP, and the
   *   span of the records' `timestamp_ms` (first to last UDP record, in ms; 0 for fewer than 2).
   */
  result(
    completed: (index: number) => boolean,
  ): { check: CheckResult; detail: { notUdp: number; spanMs: number } } {
    const check = { ...this.#out };
    for (let i = 0; i < this.#plan.count; i++) {
      if (completed(i) && this.#seen[i] === 0) check.lost++;
    }
    const spanMs = this.#lastMs > this.#firstMs ? this.#lastMs - this.#firstMs : 0;
    return { check, detail: { notUdp: this.#notUdp, spanMs } };
  }
}
