/**
 * Checks the sensor's records against what the load client sent: every session's token, the port
 * it dialled, and its bytes, record by record, without keeping the records.
 *
 * @module
 */
import { makePayload, parseToken, portFor } from "./payload.ts";

/** What the checker expects of a run. */
export interface CheckPlan {
  /** The run's id, carried in every payload. */
  readonly runId: string;
  /** Connections in the run. */
  readonly count: number;
  /** Bytes each connection sends. */
  readonly size: number;
  /** The lowest port dialled. */
  readonly portMin: number;
  /** The highest port dialled. */
  readonly portMax: number;
  /** The sensor's byte cap per session; bytes past it are not logged. */
  readonly maxBytes: number;
  /** Whether `destination_port` must be the port dialled (a sensor that reads SO_ORIGINAL_DST). */
  readonly checkPort: boolean;
  /** Whether every byte up to the cap must be logged; otherwise a prefix is enough. */
  readonly fullPayload: boolean;
}

/** The outcome of a check. */
export interface CheckResult {
  /** Lines read. */
  records: number;
  /** Lines that are not JSON records. */
  malformed: number;
  /** Sessions whose bytes carry no bench token (for example silent ones). */
  untokened: number;
  /** Sessions that carry a token of another run or an index out of range. */
  foreign: number;
  /** Connections the client completed that have no session at all. */
  lost: number;
  /** Sessions whose `destination_port` is not the port dialled. */
  wrongPort: number;
  /** Sessions whose bytes differ from those sent, or stop short of the cap. */
  wrongBytes: number;
  /** Sessions whose `truncated` marks do not match the byte cap. */
  wrongFlags: number;
  /** Records whose `seq` does not follow the previous one of their session. */
  wrongSeq: number;
  /** Connections logged in more than one session. */
  duplicates: number;
}

/**
 * A check with nothing found yet: every count 0. Checkers start from it and count up.
 *
 * @returns A fresh result.
 */
export function emptyCheckResult(): CheckResult {
  return {
    records: 0,
    malformed: 0,
    untokened: 0,
    foreign: 0,
    lost: 0,
    wrongPort: 0,
    wrongBytes: 0,
    wrongFlags: 0,
    wrongSeq: 0,
    duplicates: 0,
  };
}

interface Session {
  index: number;
  head: Uint8Array;
  offset: number;
  seq: number;
  expected: Uint8Array | null;
  portOk: boolean;
  bytesOk: boolean;
  truncated: boolean;
}

interface RecordFields {
  session_id?: unknown;
  seq?: unknown;
  payload_hex?: unknown;
  destination_port?: unknown;
  truncated?: unknown;
}

/** Feeds on record lines one at a time; {@linkcode RecordChecker.result} gives the verdict. */
export class RecordChecker {
  readonly #plan: CheckPlan;
  readonly #expectedLength: number;
  readonly #sessions = new Map<string, Session>();
  #records = 0;
  #malformed = 0;
  #wrongSeq = 0;

  /** @param plan What the run sent and what the sensor should log. */
  constructor(plan: CheckPlan) {
    this.#plan = plan;
    this.#expectedLength = Math.min(plan.size, plan.maxBytes);
  }

  /** Lines fed so far. */
  get records(): number {
    return this.#records;
  }

  /**
   * Checks one record line.
   *
   * @param line One JSON line, without its newline.
   */
  feed(line: string): void {
    if (line.length === 0) return;
    this.#records++;
    let fields: RecordFields;
    try {
      fields = JSON.parse(line) as RecordFields;
    } catch {
      this.#malformed++;
      return;
    }
    const { session_id: id, seq, payload_hex: payloadHex, destination_port: port } = fields;
    if (typeof id !== "string" || typeof payloadHex !== "string" || typeof port !== "number") {
      this.#malformed++;
      return;
    }
    let session = this.#sessions.get(id);
    if (session === undefined) {
      session = {
        index: -1,
        head: new Uint8Array(0),
        offset: 0,
        seq: 0,
        expected: null,
        portOk: true,
        bytesOk: true,
        truncated: false,
      };
      this.#sessions.set(id, session);
    }
    const seqNumber = typeof seq === "number" ? seq : session.seq + 1;
    if (seqNumber !== session.seq + 1) this.#wrongSeq++;
    session.seq = seqNumber;
    if (fields.truncated === true) session.truncated = true;
    const bytes = Uint8Array.fromHex(payloadHex);
    if (session.index === -1) this.#identify(session, bytes, port);
    else this.#compare(session, bytes);
  }

  #identify(session: Session, bytes: Uint8Array, port: number): void {
    const head = new Uint8Array(session.head.length + bytes.length);
    head.set(session.head);
    head.set(bytes, session.head.length);
    const token = parseToken(head);
    if (token === null) {
      session.head = head.length > 256 ? head.subarray(0, 256) : head;
      return;
    }
    const plan = this.#plan;
    if (token.runId !== plan.runId || token.index >= plan.count) {
      session.index = -2;
      return;
    }
    session.index = token.index;
    session.head = new Uint8Array(0);
    session.expected = makePayload(plan.runId, token.index, plan.size)
      .subarray(0, this.#expectedLength);
    session.portOk = !plan.checkPort || port === portFor(token.index, plan.portMin, plan.portMax);
    this.#compare(session, head);
  }

  #compare(session: Session, bytes: Uint8Array): void {
    if (session.index < 0 || session.expected === null) return;
    const expected = session.expected;
    if (session.offset + bytes.length > expected.length) session.bytesOk = false;
    else {
      for (let k = 0; k < bytes.length; k++) {
        if (bytes[k] !== expected[session.offset + k]) {
          session.bytesOk = false;
          break;
        }
      }
    }
    session.offset += bytes.length;
  }

  /**
   * The verdict.
   *
   * @param completed Whether the client completed connection `i` (sent its bytes).
   * @returns The counts.
   */
  result(completed: (index: number) => boolean): CheckResult {
    const plan = this.#plan;
    const seen = new Uint8Array(plan.count);
    const out: CheckResult = {
      records: this.#records,
      malformed: this.#malformed,
      untokened: 0,
      foreign: 0,
      lost: 0,
      wrongPort: 0,
      wrongBytes: 0,
      wrongFlags: 0,
      wrongSeq: this.#wrongSeq,
      duplicates: 0,
    };
    const shouldTruncate = plan.fullPayload && plan.size > plan.maxBytes;
    for (const session of this.#sessions.values()) {
      if (session.index === -1) {
        out.untokened++;
        continue;
      }
      if (session.index === -2) {
        out.foreign++;
        continue;
      }
      const complete = plan.fullPayload
        ? session.offset === this.#expectedLength
        : session.offset > 0;
      if (!session.portOk) out.wrongPort++;
      if (!session.bytesOk || !complete) out.wrongBytes++;
      if (plan.fullPayload && session.truncated !== shouldTruncate) out.wrongFlags++;
      if (seen[session.index] === 1) out.duplicates++;
      seen[session.index] = 1;
    }
    for (let i = 0; i < plan.count; i++) {
      if (completed(i) && seen[i] === 0) out.lost++;
    }
    return out;
  }
}
