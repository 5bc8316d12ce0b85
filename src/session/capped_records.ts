/**
 * A session's records under its byte cap: numbering, the cap, and the truncated mark.
 *
 * @module
 */
import { encodeRecord, type Flow } from "../record/record.ts";
import {
  extraMembers,
  membersBytesBound,
  recordBytesBound,
  writeRecord,
} from "../record/record_bytes.ts";
import type { RecordWriter } from "../output/record_writer.ts";
import type { Stats } from "../output/stats.ts";

/**
 * The largest record bound written straight into the output, bytes; a larger one (a read of
 * more than about 60 KiB) is encoded as a string first, so that no chunk is sized for the
 * worst case of a huge read.
 */
const DIRECT_RECORD_MAX_BYTES = 512 * 1024;

/** Extra fields for one record, after the standard ones. */
export type ExtraFields = Readonly<Record<string, unknown>>;

/** What the records of one session need. */
export interface CappedRecordsOptions {
  /** The session's flow, shared by its records. */
  readonly flow: Flow;
  /** Bytes logged per session at most. */
  readonly maxBytes: number;
  /** Where records go. */
  readonly writer: RecordWriter;
  /** Counters. */
  readonly stats: Stats;
  /** Count, but write nothing. */
  readonly quiet: boolean;
  /** Fields for the first record only (seq 1), before its own extra fields. */
  readonly firstFields?: ExtraFields | undefined;
}

/**
 * Turns a session's reads into records: one per read, numbered from 1, until `maxBytes` are
 * logged. Bytes past the cap are counted, not logged, and the last logged record is marked
 * truncated. A read that fills the cap exactly is held: whether it is the truncated last one
 * depends on whether more comes, so it is written by the next read or by
 * {@linkcode CappedRecords.flush}, the one place a held record leaves.
 */
export class CappedRecords {
  readonly #options: CappedRecordsOptions;
  #seq = 0;
  #logged = 0;
  #truncated = false;
  #held: { bytes: Uint8Array; timeMs: number; extra: ExtraFields | undefined } | null = null;

  /** @param options What the records need. */
  constructor(options: CappedRecordsOptions) {
    this.#options = options;
  }

  /** Records written so far. */
  get count(): number {
    return this.#seq;
  }

  /**
   * Logs one read.
   *
   * @param bytes What was read; copied when it must be kept.
   * @param timeMs When it was read, epoch ms.
   * @param extra Fields for its record.
   */
  take(bytes: Uint8Array, timeMs: number, extra?: ExtraFields): void {
    const { maxBytes, stats, quiet } = this.#options;
    if (quiet) return;
    if (this.#held !== null) {
      // The cap was reached exactly, and more came: the held record was the last, truncated.
      this.#truncated = true;
      this.flush();
    }
    const room = maxBytes - this.#logged;
    if (room <= 0) {
      stats.bytesOverCap += bytes.length;
      return;
    }
    if (bytes.length < room) {
      this.#logged += bytes.length;
      this.emit(bytes, timeMs, extra);
    } else if (bytes.length === room) {
      this.#logged = maxBytes;
      this.#held = { bytes: bytes.slice(), timeMs, extra };
    } else {
      this.#logged = maxBytes;
      this.#truncated = true;
      stats.bytesOverCap += bytes.length - room;
      this.emit(bytes.subarray(0, room), timeMs, extra);
    }
  }

  /** Writes the held record, if any. */
  flush(): void {
    const held = this.#held;
    if (held === null) return;
    this.#held = null;
    this.emit(held.bytes, held.timeMs, held.extra);
  }

  /**
   * Writes one record outside the cap (a silent record, a TLS failure).
   *
   * @param bytes The payload.
   * @param timeMs When, epoch ms.
   * @param extra Fields for the record.
   * @param silent Whether it is the silent record of a session that sent nothing.
   */
  emit(bytes: Uint8Array, timeMs: number, extra?: ExtraFields, silent = false): void {
    const { flow, writer, stats, quiet } = this.#options;
    if (quiet) return;
    this.#seq++;
    if (this.#truncated) stats.sessionsTruncated++;
    stats.bytesLogged += bytes.length;
    const first = this.#seq === 1 ? this.#options.firstFields : undefined;
    const fields = first === undefined
      ? extra
      : extra === undefined
      ? first
      : { ...first, ...extra };
    const marks = { silent, truncated: this.#truncated };
    // Extra fields of numbers, booleans and strings (the SYN fields) are written as they are;
    // others as extraMembers text, or, when only encodeRecord writes them right, through it.
    let members: string | ExtraFields = "";
    let bound = recordBytesBound(flow, bytes.length, "");
    if (fields !== undefined) {
      const direct = membersBytesBound(fields);
      if (direct >= 0) {
        members = fields;
        bound += direct;
      } else {
        const text = extraMembers(fields);
        members = text ?? "";
        bound = text === null ? Infinity : recordBytesBound(flow, bytes.length, text);
      }
    }
    if (bound > DIRECT_RECORD_MAX_BYTES) {
      writer.push(encodeRecord(flow, this.#seq, bytes, timeMs, marks, fields));
      return;
    }
    // Written straight into the output: the same bytes, without the record as a string.
    const into = writer.reserve(bound);
    if (into === null) return;
    writer.commit(
      writeRecord(into, writer.reservedAt, flow, this.#seq, bytes, timeMs, marks, members),
    );
  }
}
