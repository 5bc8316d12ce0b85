/**
 * Records read by a worker, sent to the main thread as a few flat arrays instead of one object per
 * record: each record's timestamp, its port and flags, and its strings as numbers into a table of
 * strings that both sides keep ({@linkcode BatchWriter} in the worker, {@linkcode BatchReader} on
 * the main thread). A string is sent once, with the first batch that uses it; the table is
 * emptied when it passes {@linkcode BATCH_STRINGS_MAX} strings, so both sides stay bounded. The
 * main thread thus gets one string object per distinct value, as the byte scanner's caches give
 * on one thread, and its maps find them without hashing them again.
 *
 * @module
 */
import type { ReportRecord } from "./record_fields.ts";
import { hashString } from "./string_hash.ts";

/** Bits of {@linkcode ScannedBatch.meta} above the 16 bits of the destination port. */
const UDP = 1 << 16;
const SESSION_START = 1 << 17;
const SILENT = 1 << 18;
const TLS = 1 << 19;
const PORT_MASK = 0xffff;
/** String fields per record in {@linkcode ScannedBatch.texts}, in this order. */
export const BATCH_TEXT_FIELDS = 7;
/** A string field that is absent. */
const NO_TEXT = -1;
const FIRST_RECORDS = 1024;
/** Strings in the shared table before it is emptied (checked between batches). */
export const BATCH_STRINGS_MAX = 1 << 14;
/**
 * Slots of the writer's direct-mapped index of strings already in the table. A string whose slot
 * was taken over by another is sent again under a new number: that costs a few bytes, never a
 * wrong count.
 */
export const BATCH_INDEX_SLOTS = 1 << 14;

/** Records as flat arrays (structured-cloneable; the typed arrays' buffers may be transferred). */
export interface ScannedBatch {
  /** Records in the batch. */
  readonly count: number;
  /** Each record's timestamp (epoch seconds). */
  readonly timestamps: Float64Array<ArrayBuffer>;
  /** Each record's destination port (low 16 bits) and flags (UDP, session start, silent, TLS). */
  readonly meta: Int32Array<ArrayBuffer>;
  /**
   * {@linkcode BATCH_TEXT_FIELDS} per record: source IP, first line, JA4, JA3, SYN, HASSH and
   * greeting, each an index into `strings` or -1 when absent.
   */
  readonly texts: Int32Array<ArrayBuffer>;
  /** Whether the table is emptied before `strings` are added. */
  readonly reset: boolean;
  /** Strings new to the table, numbered from its current size on. */
  readonly strings: readonly string[];
  /** Each new string's {@linkcode hashString}. */
  readonly hashes: Int32Array<ArrayBuffer>;
}

/** Collects records into a {@linkcode ScannedBatch}. */
export class BatchWriter {
  #count = 0;
  #timestamps = new Float64Array(FIRST_RECORDS);
  #meta = new Int32Array(FIRST_RECORDS);
  #texts = new Int32Array(FIRST_RECORDS * BATCH_TEXT_FIELDS);
  /** The strings new to the table since the last batch. */
  #strings: string[] = [];
  #stringHashes: number[] = [];
  /** Strings in the table since it was last emptied. */
  #tableSize = 0;
  /** A direct-mapped index of the table, by hash: a string, and its number. */
  readonly #indexTexts: (string | undefined)[] = new Array(BATCH_INDEX_SLOTS).fill(undefined);
  readonly #indexRefs = new Int32Array(BATCH_INDEX_SLOTS);
  #reset = false;
  /** Each field's last string and its number (a cheap check before the map). */
  readonly #lastText: (string | undefined)[] = new Array(BATCH_TEXT_FIELDS).fill(undefined);
  readonly #lastRef = new Int32Array(BATCH_TEXT_FIELDS);

  /** Records collected since the last {@linkcode BatchWriter.take}. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds one record.
   *
   * @param record The record (not kept).
   */
  push(record: ReportRecord): void {
    const i = this.#count;
    if (i === this.#timestamps.length) this.#grow();
    this.#timestamps[i] = record.timestamp;
    this.#meta[i] = record.destinationPort | (record.transport === "udp" ? UDP : 0) |
      (record.sessionStart ? SESSION_START : 0) | (record.silent ? SILENT : 0) |
      (record.tls ? TLS : 0);
    const base = i * BATCH_TEXT_FIELDS;
    const texts = this.#texts;
    texts[base] = this.#ref(0, record.sourceIp);
    texts[base + 1] = this.#ref(1, record.firstLine);
    texts[base + 2] = this.#ref(2, record.ja4);
    texts[base + 3] = this.#ref(3, record.ja3);
    texts[base + 4] = this.#ref(4, record.syn);
    texts[base + 5] = this.#ref(5, record.hassh);
    texts[base + 6] = this.#ref(6, record.greeting);
    this.#count = i + 1;
  }

  /**
   * The records collected so far, in arrays of their own; the writer starts empty again.
   *
   * @returns The batch.
   */
  take(): ScannedBatch {
    const count = this.#count;
    const batch: ScannedBatch = {
      count,
      timestamps: this.#timestamps.slice(0, count),
      meta: this.#meta.slice(0, count),
      texts: this.#texts.slice(0, count * BATCH_TEXT_FIELDS),
      reset: this.#reset,
      strings: this.#strings,
      hashes: Int32Array.from(this.#stringHashes),
    };
    this.#count = 0;
    this.#strings = [];
    this.#stringHashes = [];
    this.#reset = this.#tableSize >= BATCH_STRINGS_MAX;
    if (this.#reset) {
      this.#tableSize = 0;
      this.#indexTexts.fill(undefined);
      this.#lastText.fill(undefined);
    }
    return batch;
  }

  #ref(field: number, value: string | undefined): number {
    if (value === undefined) return NO_TEXT;
    if (value === this.#lastText[field]) return this.#lastRef[field] as number;
    const hash = hashString(value);
    const slot = hash & (BATCH_INDEX_SLOTS - 1);
    let ref: number;
    if (this.#indexTexts[slot] === value) {
      ref = this.#indexRefs[slot] as number;
    } else {
      ref = this.#tableSize++;
      this.#strings.push(value);
      this.#stringHashes.push(hash);
      this.#indexTexts[slot] = value;
      this.#indexRefs[slot] = ref;
    }
    this.#lastText[field] = value;
    this.#lastRef[field] = ref;
    return ref;
  }

  #grow(): void {
    const size = 2 * this.#timestamps.length;
    const timestamps = new Float64Array(size);
    timestamps.set(this.#timestamps);
    this.#timestamps = timestamps;
    const meta = new Int32Array(size);
    meta.set(this.#meta);
    this.#meta = meta;
    const texts = new Int32Array(size * BATCH_TEXT_FIELDS);
    texts.set(this.#texts);
    this.#texts = texts;
  }
}

/** One record of a batch; the reader reuses a single one, filled in for each record. */
class BatchRecord implements ReportRecord {
  timestamp = 0;
  transport: "tcp" | "udp" = "tcp";
  sourceIp = "";
  destinationPort = 0;
  sessionStart = false;
  silent = false;
  tls = false;
  firstLine: string | undefined = undefined;
  ja4: string | undefined = undefined;
  ja3: string | undefined = undefined;
  syn: string | undefined = undefined;
  hassh: string | undefined = undefined;
  greeting: string | undefined = undefined;
}

/** The main thread's side of one worker's string table: reads that worker's batches, in order. */
export class BatchReader {
  readonly #table: string[] = [];
  readonly #tableHashes: number[] = [];
  readonly #record = new BatchRecord();
  /** The hashes of the record's strings, in the order of {@linkcode ScannedBatch.texts}. */
  readonly #hashes = new Int32Array(BATCH_TEXT_FIELDS);

  /**
   * Hands each record of a batch on, in order.
   *
   * @param batch The worker's next batch.
   * @param onRecord Called with each record and its strings' hashes (by field, in the order of
   *   {@linkcode ScannedBatch.texts}; 0 for an absent one); both are reused for the next record,
   *   so they must not be kept.
   * @throws {RangeError} When the batch is inconsistent (its arrays' lengths, a string number).
   */
  read(
    batch: ScannedBatch,
    onRecord: (record: ReportRecord, hashes: Int32Array) => void,
  ): void {
    const { count, timestamps, meta, texts } = batch;
    if (
      !Number.isInteger(count) || count < 0 || timestamps.length !== count ||
      meta.length !== count || texts.length !== count * BATCH_TEXT_FIELDS
    ) {
      throw new RangeError("Cannot read a batch of records: its arrays do not match its count");
    }
    if (batch.hashes.length !== batch.strings.length) {
      throw new RangeError("Cannot read a batch of records: its strings and hashes differ");
    }
    const table = this.#table;
    const tableHashes = this.#tableHashes;
    if (batch.reset) {
      table.length = 0;
      tableHashes.length = 0;
    }
    for (const value of batch.strings) table.push(value);
    for (const hash of batch.hashes) tableHashes.push(hash);
    const hashes = this.#hashes;
    const text = (field: number, ref: number): string | undefined => {
      if (ref === NO_TEXT) {
        hashes[field] = 0;
        return undefined;
      }
      const value = table[ref];
      if (value === undefined) {
        throw new RangeError(`Cannot read a batch of records: string ${ref} is unknown`);
      }
      hashes[field] = tableHashes[ref] as number;
      return value;
    };
    const record = this.#record;
    for (let i = 0; i < count; i++) {
      const flags = meta[i] as number;
      const base = i * BATCH_TEXT_FIELDS;
      const sourceIp = text(0, texts[base] as number);
      if (sourceIp === undefined) {
        throw new RangeError("Cannot read a batch of records: a record has no source");
      }
      record.timestamp = timestamps[i] as number;
      record.transport = (flags & UDP) !== 0 ? "udp" : "tcp";
      record.sourceIp = sourceIp;
      record.destinationPort = flags & PORT_MASK;
      record.sessionStart = (flags & SESSION_START) !== 0;
      record.silent = (flags & SILENT) !== 0;
      record.tls = (flags & TLS) !== 0;
      record.firstLine = text(1, texts[base + 1] as number);
      record.ja4 = text(2, texts[base + 2] as number);
      record.ja3 = text(3, texts[base + 3] as number);
      record.syn = text(4, texts[base + 4] as number);
      record.hassh = text(5, texts[base + 5] as number);
      record.greeting = text(6, texts[base + 6] as number);
      onRecord(record, hashes);
    }
  }
}
