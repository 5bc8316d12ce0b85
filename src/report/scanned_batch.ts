/**
 * Records read by a worker, sent to the main thread as flat columns instead of one object per
 * record: each record's timestamp, its port and flags, and its strings as numbers into tables of
 * strings that both sides keep ({@linkcode BatchWriter} in the worker, {@linkcode BatchReader} on
 * the main thread). The columns take {@linkcode BATCH_RECORD_BYTES} per record, fewer than the
 * shortest record line, so they are written over the chunk's own buffer once its lines are read:
 * a batch allocates no buffer. A string is sent once, with the first batch that uses it; each
 * table is emptied when it passes its size ({@linkcode BATCH_TABLE_STRINGS_MAX}), so both sides
 * stay bounded. The main thread thus gets one string object per distinct value, as the byte
 * scanner's caches give on one thread, and its tables find them by the hash sent along.
 *
 * @module
 */
import type { ReportRecord } from "./record_fields.ts";
import { type RecordScanner, SOURCE_CACHE_SLOTS } from "./record_scanner.ts";
import { hashString, StringIndex } from "./string_hash.ts";

/** Slots remembered for the scanner's source cache (`RecordScanner.sourceSlot`). */
const SOURCE_SLOTS = SOURCE_CACHE_SLOTS;

/** Bits of a batch's port and flags column above the 16 bits of the destination port. */
const UDP = 1 << 16;
const SESSION_START = 1 << 17;
const SILENT = 1 << 18;
const TLS = 1 << 19;
const PORT_MASK = 0xffff;
/** String fields per record in a batch: source IP, first line, JA4, JA3, SYN, HASSH, greeting. */
export const BATCH_TEXT_FIELDS = 7;
/** A string field that is absent. */
const NO_TEXT = -1;
const FIRST_RECORDS = 1024;
/**
 * Strings remembered per field before hashing. With one (the last) per field, the bench file's
 * strings were hashed and looked up 490,000 times for 387,461 lines (half of a 1 GB file, as one
 * of two workers reads it), although its SYN fingerprints, JA4, JA3 and HASSH have a few values
 * each and its first lines a dozen frequent ones; with 64 per field, 184,446 times.
 */
const RECENT_PER_FIELD = 64;
const RECENT_SHIFT = 32 - Math.log2(RECENT_PER_FIELD);
/**
 * Bytes per record in a batch's buffer: a timestamp (8), the port and flags (4) and the string
 * numbers (4 each). The shortest line that is a record,
 * `{"timestamp":0,"source_ip":"a","destination_port":0}`, has 52 bytes, so a chunk's buffer always
 * holds its records' columns.
 */
export const BATCH_RECORD_BYTES = 12 + 4 * BATCH_TEXT_FIELDS;
/**
 * The string tables: source addresses, first lines, and fingerprints and greetings. Each is
 * emptied when it passes its size (checked between batches), apart from the others, so the many
 * first lines seen once do not push the sources out.
 */
const TABLES = 3;
/** The table of each string field. */
const FIELD_TABLE = [0, 1, 2, 2, 2, 2, 2] as const;
/** Strings in each table before it is emptied. */
export const BATCH_TABLE_STRINGS_MAX: readonly number[] = [1 << 16, 1 << 14, 1 << 14];
/**
 * Cells of the writer's table from dotted-quad source addresses (as numbers) to their numbers in
 * the source table: twice the source table's size, so it is at most half full.
 */
const V4_CELLS = 2 * (BATCH_TABLE_STRINGS_MAX[0] as number);
const V4_SHIFT = 32 - Math.log2(V4_CELLS);

/** Records as flat columns (structured-cloneable; the buffer may be transferred). */
export interface ScannedBatch {
  /** Records in the batch. */
  readonly count: number;
  /**
   * The columns, from byte 0: `count` timestamps (epoch seconds, float64); `count` ports and
   * flags (int32: the destination port in the low 16 bits, then UDP, session start, silent,
   * TLS); {@linkcode BATCH_TEXT_FIELDS} int32 per record: source IP, first line, JA4, JA3, SYN,
   * HASSH and greeting, each a number in its field's table or -1 when absent.
   */
  readonly buffer: ArrayBuffer;
  /** Bit t set: table t is emptied before its new strings are added. */
  readonly reset: number;
  /** Per table, the strings new to it, numbered from its current size on. */
  readonly strings: readonly (readonly string[])[];
  /** Per table, each new string's {@linkcode hashString}. */
  readonly hashes: readonly (readonly number[])[];
}

/** Collects records into a {@linkcode ScannedBatch}. */
export class BatchWriter {
  #count = 0;
  #timestamps = new Float64Array(FIRST_RECORDS);
  #meta = new Int32Array(FIRST_RECORDS);
  #texts = new Int32Array(FIRST_RECORDS * BATCH_TEXT_FIELDS);
  /** Per table, the strings new to it since the last batch, and their hashes. */
  #strings: string[][] = [[], [], []];
  #stringHashes: number[][] = [[], [], []];
  /** The tables: every string sent since each was last emptied, by number. */
  readonly #tables = Array.from({ length: TABLES }, () => new StringIndex());
  #reset = 0;
  /** Per slot of the scanner's source cache: the string it last gave, and its number. */
  readonly #slotText: (string | undefined)[] = new Array(SOURCE_SLOTS).fill(undefined);
  readonly #slotRef = new Int32Array(SOURCE_SLOTS);
  /**
   * Per field, {@linkcode RECENT_PER_FIELD} strings seen lately and their numbers, by a slot
   * picked from the string's length and two of its characters (no hash over the whole string),
   * checked before hashing (a string object the scanner's caches gave again is equal at once).
   */
  readonly #recentText: (string | undefined)[] = new Array(BATCH_TEXT_FIELDS * RECENT_PER_FIELD)
    .fill(undefined);
  readonly #recentRef = new Int32Array(BATCH_TEXT_FIELDS * RECENT_PER_FIELD);
  /**
   * Dotted-quad sources in the source table, by address (open addressing, linear probing): each
   * cell's address, then its number in the table plus 1 (0: empty), side by side so that a probe
   * reads one cache line. A source the scanner gave as a number is found here without making or
   * hashing its text.
   */
  readonly #v4Cells = new Int32Array(2 * V4_CELLS);
  #v4Count = 0;

  /** Records collected since the last {@linkcode BatchWriter.take}. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds one record.
   *
   * @param record The record (not kept).
   * @param scanner The scanner that just read it, if any: a source it left as a number
   *   (`RecordScanner.sourceV4`) is numbered by that address, its text made only when it is new
   *   to the table; another source is found by the slot of the scanner's source cache
   *   (`RecordScanner.sourceSlot`) and the string's identity. Either way without hashing it.
   */
  push(record: ReportRecord, scanner?: RecordScanner): void {
    const i = this.#count;
    if (i === this.#timestamps.length) this.#grow();
    this.#timestamps[i] = record.timestamp;
    this.#meta[i] = record.destinationPort | (record.transport === "udp" ? UDP : 0) |
      (record.sessionStart ? SESSION_START : 0) | (record.silent ? SILENT : 0) |
      (record.tls ? TLS : 0);
    const base = i * BATCH_TEXT_FIELDS;
    const texts = this.#texts;
    const v4 = scanner === undefined ? -1 : scanner.sourceV4;
    texts[base] = v4 >= 0
      ? this.#v4Ref(v4, scanner as RecordScanner)
      : this.#sourceRef(record.sourceIp, scanner === undefined ? -1 : scanner.sourceSlot);
    texts[base + 1] = this.#ref(1, record.firstLine);
    texts[base + 2] = this.#ref(2, record.ja4);
    texts[base + 3] = this.#ref(3, record.ja3);
    texts[base + 4] = this.#ref(4, record.syn);
    texts[base + 5] = this.#ref(5, record.hassh);
    texts[base + 6] = this.#ref(6, record.greeting);
    this.#count = i + 1;
  }

  /**
   * The records collected so far, as a batch; the writer starts empty again.
   *
   * @param into A buffer no longer needed (the chunk the records were read from), used for the
   *   columns when it is large enough (it always is for the records of its own lines); else a new
   *   one is made.
   * @returns The batch.
   */
  take(into: ArrayBuffer): ScannedBatch {
    const count = this.#count;
    const buffer = into.byteLength >= count * BATCH_RECORD_BYTES
      ? into
      : new ArrayBuffer(count * BATCH_RECORD_BYTES);
    new Float64Array(buffer, 0, count).set(this.#timestamps.subarray(0, count));
    new Int32Array(buffer, 8 * count, count).set(this.#meta.subarray(0, count));
    new Int32Array(buffer, 12 * count, count * BATCH_TEXT_FIELDS).set(
      this.#texts.subarray(0, count * BATCH_TEXT_FIELDS),
    );
    const batch: ScannedBatch = {
      count,
      buffer,
      reset: this.#reset,
      strings: this.#strings,
      hashes: this.#stringHashes,
    };
    this.#count = 0;
    this.#strings = [[], [], []];
    this.#stringHashes = [[], [], []];
    this.#reset = 0;
    for (const [t, table] of this.#tables.entries()) {
      if (table.size < (BATCH_TABLE_STRINGS_MAX[t] ?? 0)) continue;
      this.#reset |= 1 << t;
      table.clear();
      if (t === 0) {
        this.#slotText.fill(undefined);
        this.#v4Cells.fill(0);
        this.#v4Count = 0;
      }
      for (const [field, fieldTable] of FIELD_TABLE.entries()) {
        if (fieldTable === t) {
          this.#recentText.fill(
            undefined,
            field * RECENT_PER_FIELD,
            (field + 1) * RECENT_PER_FIELD,
          );
        }
      }
    }
    return batch;
  }

  /** The number of a dotted-quad source, by its address; its text is made when it is new. */
  #v4Ref(v4: number, scanner: RecordScanner): number {
    const key = v4 | 0;
    const cells = this.#v4Cells;
    const mask = V4_CELLS - 1;
    let i = Math.imul(key, 0x9e3779b1) >>> V4_SHIFT;
    for (;; i = (i + 1) & mask) {
      const ref = cells[2 * i + 1] as number;
      if (ref === 0) break;
      if (cells[2 * i] === key) return ref - 1;
    }
    const ref = this.#ref(0, scanner.sourceText());
    // At most half full (a batch may pass the source table's size before it is emptied).
    if (this.#v4Count < V4_CELLS >> 1) {
      cells[2 * i] = key;
      cells[2 * i + 1] = ref + 1;
      this.#v4Count++;
    }
    return ref;
  }

  /** The number of a source address, by the scanner's cache slot when it has one. */
  #sourceRef(value: string, slot: number): number {
    if (slot < 0 || slot >= SOURCE_SLOTS) return this.#ref(0, value);
    if (this.#slotText[slot] === value) return this.#slotRef[slot] as number;
    const ref = this.#ref(0, value);
    this.#slotText[slot] = value;
    this.#slotRef[slot] = ref;
    return ref;
  }

  #ref(field: number, value: string | undefined): number {
    if (value === undefined) return NO_TEXT;
    const length = value.length;
    const recent = this.#recentText;
    const k = field * RECENT_PER_FIELD +
      ((Math.imul(length, 0x9e3779b1) ^ Math.imul(value.charCodeAt(length >> 1), 0x85ebca6b) ^
        value.charCodeAt(length - 1)) >>> RECENT_SHIFT);
    if (recent[k] === value) return this.#recentRef[k] as number;
    const hash = hashString(value);
    const t = FIELD_TABLE[field] ?? 0;
    const table = this.#tables[t] as StringIndex;
    const size = table.size;
    const ref = table.add(value, hash);
    if (ref === size) {
      this.#strings[t]?.push(value);
      this.#stringHashes[t]?.push(hash);
    }
    recent[k] = value;
    this.#recentRef[k] = ref;
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
  /**
   * Each table's strings and their hashes, by number, the first `#sizes[t]` in use. Emptying a
   * table only sets its size to 0 and the arrays keep their room, so they are not grown again from
   * nothing (with copies that live long enough to be promoted) after each reset.
   */
  readonly #tables: string[][] = Array.from({ length: TABLES }, () => []);
  #tableHashes: Int32Array[] = Array.from({ length: TABLES }, () => new Int32Array(1024));
  readonly #sizes = new Int32Array(TABLES);
  readonly #record = new BatchRecord();
  /** The hashes of the record's strings, in the order of {@linkcode BATCH_TEXT_FIELDS}. */
  readonly #hashes = new Int32Array(BATCH_TEXT_FIELDS);
  /** Per source in the table: the group bits {@linkcode BatchReader.firstSight} has seen. */
  #sourceBits = new Uint8Array(1024);
  /** Per source in the table: what the caller noted with {@linkcode BatchReader.sourceNote}. */
  #sourceNotes = new Int32Array(1024);
  /** The current record's source number. */
  #sourceRef = 0;

  /**
   * Whether the current record's source is seen with this group bit for the first time since its
   * string came (as this reader's table holds each distinct string once, a later sight adds
   * nothing to a set of sources, so the caller may skip it); notes it as seen.
   *
   * @param bit The group's bit (1 or 2).
   * @returns True the first time.
   */
  firstSight(bit: number): boolean {
    const seen = this.#sourceBits[this.#sourceRef] as number;
    if ((seen & bit) !== 0) return false;
    this.#sourceBits[this.#sourceRef] = seen | bit;
    return true;
  }

  /**
   * A number the caller keeps for the current record's source (such as its number in a table of
   * its own), valid once set after the source's {@linkcode BatchReader.firstSight} said true: it
   * is kept for as long as the reader's string for that source, so it is set again whenever
   * `firstSight` says true again.
   */
  get sourceNote(): number {
    return this.#sourceNotes[this.#sourceRef] as number;
  }

  set sourceNote(value: number) {
    this.#sourceNotes[this.#sourceRef] = value;
  }

  /**
   * Hands each record of a batch on, in order.
   *
   * @param batch The worker's next batch.
   * @param onRecord Called with each record and its strings' hashes (by field, in the order of
   *   {@linkcode BATCH_TEXT_FIELDS}; 0 for an absent one); both are reused for the next record,
   *   so they must not be kept.
   * @throws {RangeError} When the batch is inconsistent (its arrays' lengths, a string number).
   */
  read(
    batch: ScannedBatch,
    onRecord: (record: ReportRecord, hashes: Int32Array) => void,
  ): void {
    const { count, buffer } = batch;
    if (!Number.isInteger(count) || count < 0 || buffer.byteLength < count * BATCH_RECORD_BYTES) {
      throw new RangeError("Cannot read a batch of records: its buffer does not hold its count");
    }
    const timestamps = new Float64Array(buffer, 0, count);
    const meta = new Int32Array(buffer, 8 * count, count);
    const texts = new Int32Array(buffer, 12 * count, count * BATCH_TEXT_FIELDS);
    if (
      batch.strings.length !== TABLES || batch.hashes.length !== TABLES ||
      batch.strings.some((strings, t) => strings.length !== batch.hashes[t]?.length)
    ) {
      throw new RangeError("Cannot read a batch of records: its strings and hashes differ");
    }
    const sizes = this.#sizes;
    for (let t = 0; t < TABLES; t++) {
      const table = this.#tables[t] as string[];
      if ((batch.reset & (1 << t)) !== 0) {
        sizes[t] = 0;
        if (t === 0) this.#sourceBits.fill(0);
      }
      const strings = batch.strings[t] ?? [];
      const newHashes = batch.hashes[t] ?? [];
      let size = sizes[t] as number;
      let tableHashes = this.#tableHashes[t] as Int32Array;
      if (size + strings.length > tableHashes.length) {
        let room = tableHashes.length;
        while (room < size + strings.length) room *= 2;
        const grown = new Int32Array(room);
        grown.set(tableHashes.subarray(0, size));
        this.#tableHashes[t] = tableHashes = grown;
      }
      for (let k = 0; k < strings.length; k++) {
        if (size < table.length) table[size] = strings[k] as string;
        else table.push(strings[k] as string);
        tableHashes[size] = newHashes[k] as number;
        size++;
      }
      sizes[t] = size;
    }
    const sources = sizes[0] as number;
    if (sources > this.#sourceBits.length) {
      let size = this.#sourceBits.length;
      while (size < sources) size *= 2;
      const bits = new Uint8Array(size);
      bits.set(this.#sourceBits);
      this.#sourceBits = bits;
      const notes = new Int32Array(size);
      notes.set(this.#sourceNotes);
      this.#sourceNotes = notes;
    }
    const hashes = this.#hashes;
    const tables = this.#tables;
    const allHashes = this.#tableHashes;
    const text = (field: number, ref: number): string | undefined => {
      if (ref === NO_TEXT) {
        hashes[field] = 0;
        return undefined;
      }
      const t = FIELD_TABLE[field] ?? 0;
      const value = ref < (sizes[t] as number) ? tables[t]?.[ref] : undefined;
      if (value === undefined) {
        throw new RangeError(`Cannot read a batch of records: string ${ref} is unknown`);
      }
      hashes[field] = allHashes[t]?.[ref] as number;
      return value;
    };
    const record = this.#record;
    for (let i = 0; i < count; i++) {
      const flags = meta[i] as number;
      const base = i * BATCH_TEXT_FIELDS;
      const sourceRef = texts[base] as number;
      const sourceIp = text(0, sourceRef);
      if (sourceIp === undefined) {
        throw new RangeError("Cannot read a batch of records: a record has no source");
      }
      this.#sourceRef = sourceRef;
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
