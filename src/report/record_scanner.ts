/**
 * Reads the fields the report needs straight from a line's UTF-8 bytes, without `JSON.parse` and
 * without decoding the line to a string.
 *
 * An experiment, measured and then reverted (the next commit): on 100 MB of generated records
 * (159,038 lines, shared 2-vCPU machine) scanning, with this file's SWAR string skipping and
 * interning, took 0.86-1.6 s against 0.84-1.0 s for decoding each line and `JSON.parse` with
 * `readRecord` (same reader, same aggregate); validating alone cost about 3.5 ns a byte in
 * JavaScript here, as much as V8's native `JSON.parse` with its allocations.
 *
 * The scanner validates the whole line as JSON (the same grammar `JSON.parse` accepts: strings
 * without raw control characters and with valid escapes, numbers, literals, nested objects and
 * arrays, whitespace) while it walks the top-level object; values the report does not need
 * (such as `payload_hex` past its first bytes, `session_id`, `community_id`) are only skipped over.
 * Keys may come in any order and a repeated key counts its last value, as with `JSON.parse`.
 * Only short values that are kept become strings: ASCII ones through a {@linkcode StringInterner}.
 * When the line is anything the scanner does not handle itself (not an object, an escaped key,
 * nesting deeper than {@linkcode SCAN_MAX_DEPTH}, a malformed line), it answers
 * {@linkcode SCAN_FALLBACK} and the caller parses the line with `JSON.parse`: malformed lines are
 * thus counted as bad by exactly the same rule as before.
 *
 * @module
 */
import { guessProtocol } from "./protocol_guess.ts";
import { KEY_MAX_CHARS, type ReportRecord } from "./record_fields.ts";
import { StringInterner } from "./string_interner.ts";

/** The line is a record; the scanner's {@linkcode ScannedRecord} holds it. */
export const SCAN_RECORD = 0;
/** The line is valid JSON but not a record (as `readRecord` would say): a bad line. */
export const SCAN_NOT_RECORD = 1;
/** The scanner cannot tell: parse the line with `JSON.parse` and `readRecord`. */
export const SCAN_FALLBACK = 2;
/** What {@linkcode RecordScanner.scan} found. */
export type ScanResult = typeof SCAN_RECORD | typeof SCAN_NOT_RECORD | typeof SCAN_FALLBACK;

/** Nesting deeper than this inside a record falls back to `JSON.parse`. */
export const SCAN_MAX_DEPTH = 64;

// Value kinds.
const NONE = 0;
const STRING = 1;
const NUMBER = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;
const OTHER = 6;

// The fields read, by index.
const FIELD_NAMES = [
  "timestamp",
  "payload",
  "payload_hex",
  "source_ip",
  "destination_port",
  "transport",
  "seq",
  "silent",
  "tls",
  "tls_sni",
  "ja4",
  "ja3",
  "ja3_hash",
  "syn_ttl",
  "syn_window",
  "syn_options",
  "syn_mss",
  "syn_wscale",
  "syn_df",
  "hassh",
  "greeting",
] as const;
const TIMESTAMP = 0;
const PAYLOAD = 1;
const PAYLOAD_HEX = 2;
const SOURCE_IP = 3;
const DESTINATION_PORT = 4;
const TRANSPORT = 5;
const SEQ = 6;
const SILENT = 7;
const TLS = 8;
const TLS_SNI = 9;
const JA4 = 10;
const JA3 = 11;
const JA3_HASH = 12;
const SYN_TTL = 13;
const SYN_WINDOW = 14;
const SYN_OPTIONS = 15;
const SYN_MSS = 16;
const SYN_WSCALE = 17;
const SYN_DF = 18;
const HASSH = 19;
const GREETING = 20;
const FIELDS = FIELD_NAMES.length;

const FIELD_BYTES = FIELD_NAMES.map((name) => new TextEncoder().encode(name));
/** Field indexes by key length, then by first byte: candidates to compare. */
const FIELDS_BY_LENGTH: number[][] = [];
for (let f = 0; f < FIELDS; f++) {
  const length = FIELD_BYTES[f]?.length ?? 0;
  (FIELDS_BY_LENGTH[length] ??= []).push(f);
}

/** Hex characters of `payload_hex` the protocol guess needs: 12 bytes, and whether more follow. */
const HEX_PREFIX_CHARS = 25;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const utf8 = new TextDecoder();
const latin1 = new TextDecoder("latin1");

/** Hex digit values, or 255. */
const HEX_VALUE = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x61 + i] = 10 + i;
  HEX_VALUE[0x41 + i] = 10 + i;
}
/** Characters allowed after a backslash, other than `u`. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

/** The strings of small integers, made once. */
const SMALL_INTEGER_TEXT: string[] = [];
const SMALL_INTEGER_MAX = 65535;

function integerText(value: number): string {
  if (Number.isInteger(value) && value >= 0 && value <= SMALL_INTEGER_MAX) {
    return SMALL_INTEGER_TEXT[value] ??= String(value);
  }
  return String(value);
}

/** A copy of a cut string that does not keep the long original alive. */
function detachedCut(text: string): string {
  return text.length > KEY_MAX_CHARS ? text.slice(0, KEY_MAX_CHARS).split("").join("") : text;
}

/** The record the scanner fills, reused from line to line: read it before the next scan. */
export class ScannedRecord implements ReportRecord {
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

/** Scans records lines; one instance reuses its tables for every line. */
export class RecordScanner {
  /** The record of the last line that scanned as {@linkcode SCAN_RECORD}. */
  readonly record: ScannedRecord = new ScannedRecord();
  readonly #interner = new StringInterner();
  readonly #kind = new Uint8Array(FIELDS);
  /** Strings: the first content byte; numbers: the first byte. */
  readonly #start = new Int32Array(FIELDS);
  /** Strings: the closing quote; numbers: the byte after. */
  readonly #end = new Int32Array(FIELDS);
  /** Strings: 1 when escaped, 2 when not ASCII (bits). Numbers: 1 when not a plain integer. */
  readonly #flags = new Uint8Array(FIELDS);
  /** Numbers: the value of a plain integer. */
  readonly #number = new Float64Array(FIELDS);
  /** `payload`: the byte after its first escape that stands for a newline, or -1. */
  #payloadNewlineEnd = -1;
  #bytes: Uint8Array = new Uint8Array(0);
  /** The same bytes as 32-bit words (native byte order), when the buffer is 4-byte aligned. */
  #words: Int32Array | null = null;
  #end_ = 0;
  // Set by #string and #numberAt.
  #stringFlags = 0;
  #newlineEnd = -1;
  #plainInteger = 0;

  /**
   * Scans one line.
   *
   * @param bytes The buffer.
   * @param start The line's first byte.
   * @param end The byte after the line (its newline excluded).
   * @returns {@linkcode SCAN_RECORD} (then read {@linkcode record}), {@linkcode SCAN_NOT_RECORD},
   *   or {@linkcode SCAN_FALLBACK}.
   */
  scan(bytes: Uint8Array, start: number, end: number): ScanResult {
    if (bytes !== this.#bytes) {
      this.#bytes = bytes;
      this.#words = bytes.byteOffset % 4 === 0
        ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2)
        : null;
    }
    this.#end_ = end;
    this.#kind.fill(NONE);
    if (!this.#object(start)) return SCAN_FALLBACK;
    return this.#fill();
  }

  #whitespace(at: number): number {
    const bytes = this.#bytes;
    const end = this.#end_;
    let i = at;
    while (i < end) {
      const b = bytes[i] as number;
      if (b !== 0x20 && b !== 0x09 && b !== 0x0d) break;
      i++;
    }
    return i;
  }

  /** Walks the top-level object; false when the line needs `JSON.parse`. */
  #object(from: number): boolean {
    const bytes = this.#bytes;
    const end = this.#end_;
    let i = this.#whitespace(from);
    if (bytes[i] !== 0x7b) return false;
    i = this.#whitespace(i + 1);
    if (bytes[i] === 0x7d) return this.#whitespace(i + 1) === end;
    for (;;) {
      if (bytes[i] !== QUOTE) return false;
      const keyStart = i + 1;
      let k = keyStart;
      for (;;) {
        if (k >= end) return false;
        const b = bytes[k] as number;
        if (b === QUOTE) break;
        if (b === BACKSLASH || b < 0x20) return false;
        k++;
      }
      const field = this.#field(keyStart, k);
      i = this.#whitespace(k + 1);
      if (bytes[i] !== 0x3a) return false;
      i = this.#whitespace(i + 1);
      const b = bytes[i];
      let next: number;
      if (b === QUOTE) {
        next = this.#string(i + 1, field === PAYLOAD);
        if (next < 0) return false;
        if (field >= 0) {
          this.#kind[field] = STRING;
          this.#start[field] = i + 1;
          this.#end[field] = next;
          this.#flags[field] = this.#stringFlags;
          if (field === PAYLOAD) this.#payloadNewlineEnd = this.#newlineEnd;
        }
        next++;
      } else if (b === 0x2d || (b !== undefined && b >= 0x30 && b <= 0x39)) {
        next = this.#numberAt(i);
        if (next < 0) return false;
        if (field >= 0) {
          this.#kind[field] = NUMBER;
          this.#start[field] = i;
          this.#end[field] = next;
          this.#flags[field] = this.#plainInteger >= 0 ? 0 : 1;
          this.#number[field] = this.#plainInteger;
        }
      } else {
        next = this.#value(i, 1);
        if (next < 0) return false;
        if (field >= 0) {
          this.#kind[field] = b === 0x74 ? TRUE : b === 0x66 ? FALSE : b === 0x6e ? NULL : OTHER;
        }
      }
      i = this.#whitespace(next);
      if (bytes[i] === 0x2c) {
        i = this.#whitespace(i + 1);
        continue;
      }
      if (bytes[i] !== 0x7d) return false;
      return this.#whitespace(i + 1) === end;
    }
  }

  /** The field of a key, or -1 for a key the report does not read. */
  #field(start: number, end: number): number {
    const candidates = FIELDS_BY_LENGTH[end - start];
    if (candidates === undefined) return -1;
    const bytes = this.#bytes;
    for (const f of candidates) {
      const name = FIELD_BYTES[f] as Uint8Array;
      let i = 0;
      while (i < name.length && name[i] === bytes[start + i]) i++;
      if (i === name.length) return f;
    }
    return -1;
  }

  /**
   * Skips a string's content from `from` (after the opening quote).
   *
   * @returns The closing quote's index, or -1 when the string is not valid JSON or unterminated.
   *   Sets #stringFlags, and #newlineEnd when `findNewline`.
   */
  #string(from: number, findNewline: boolean): number {
    const bytes = this.#bytes;
    const words = this.#words;
    const end = this.#end_;
    const lastWord = end >> 2;
    let flags = 0;
    let high = 0;
    let newlineEnd = -1;
    let i = from;
    for (;;) {
      if ((i & 3) === 0 && words !== null) {
        // Four bytes at a time while none is a quote, a backslash or below 0x20 (SWAR tests).
        let w = i >> 2;
        while (w < lastWord) {
          const x = words[w] as number;
          const q = x ^ 0x22222222;
          const e = x ^ 0x5c5c5c5c;
          if (
            (((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((e - 0x01010101) & ~e)) &
            0x80808080
          ) break;
          high |= x;
          w++;
        }
        i = w << 2;
      }
      if (i >= end) return -1;
      const b = bytes[i] as number;
      if (b === QUOTE) break;
      if (b < 0x20) return -1;
      if (b === BACKSLASH) {
        flags |= 1;
        const e = bytes[i + 1] as number;
        if (e === 0x75) {
          if (i + 5 >= end) return -1;
          const h0 = HEX_VALUE[bytes[i + 2] as number] as number;
          const h1 = HEX_VALUE[bytes[i + 3] as number] as number;
          const h2 = HEX_VALUE[bytes[i + 4] as number] as number;
          const h3 = HEX_VALUE[bytes[i + 5] as number] as number;
          if ((h0 | h1 | h2 | h3) > 15) return -1;
          if (
            findNewline && newlineEnd < 0 && h0 === 0 && h1 === 0 && h2 === 0 && h3 === 10
          ) newlineEnd = i + 6;
          i += 6;
          continue;
        }
        if (SIMPLE_ESCAPE[e] !== 1) return -1;
        if (findNewline && newlineEnd < 0 && e === 0x6e) newlineEnd = i + 2;
        i += 2;
        continue;
      }
      if (b >= 0x80) flags |= 2;
      i++;
    }
    if ((high & 0x80808080) !== 0) flags |= 2;
    this.#stringFlags = flags;
    this.#newlineEnd = newlineEnd;
    return i;
  }

  /**
   * Skips a number at `from` (JSON's grammar).
   *
   * @returns The byte after it, or -1. Sets #plainInteger to its value when it is a plain
   *   integer of at most 15 digits, else to -1.
   */
  #numberAt(from: number): number {
    const bytes = this.#bytes;
    let i = from;
    let plain = true;
    if (bytes[i] === 0x2d) {
      plain = false;
      i++;
    }
    let value = 0;
    let b = bytes[i] as number;
    if (b === 0x30) {
      i++;
    } else if (b >= 0x31 && b <= 0x39) {
      while (b >= 0x30 && b <= 0x39) {
        value = value * 10 + (b - 0x30);
        b = bytes[++i] as number;
      }
    } else {
      return -1;
    }
    if (i - from > 15) plain = false;
    if (bytes[i] === 0x2e) {
      plain = false;
      i++;
      b = bytes[i] as number;
      if (!(b >= 0x30 && b <= 0x39)) return -1;
      while (b >= 0x30 && b <= 0x39) b = bytes[++i] as number;
    }
    b = bytes[i] as number;
    if (b === 0x65 || b === 0x45) {
      plain = false;
      i++;
      b = bytes[i] as number;
      if (b === 0x2b || b === 0x2d) b = bytes[++i] as number;
      if (!(b >= 0x30 && b <= 0x39)) return -1;
      while (b >= 0x30 && b <= 0x39) b = bytes[++i] as number;
    }
    if (i > this.#end_) return -1;
    this.#plainInteger = plain ? value : -1;
    return i;
  }

  /** Skips any value at `from` (literals, objects, arrays). Returns the byte after, or -1. */
  #value(from: number, depth: number): number {
    const bytes = this.#bytes;
    const b = bytes[from];
    if (b === QUOTE) {
      const close = this.#string(from + 1, false);
      return close < 0 ? -1 : close + 1;
    }
    if (b === 0x2d || (b !== undefined && b >= 0x30 && b <= 0x39)) return this.#numberAt(from);
    if (b === 0x74) return this.#literal(from, "true");
    if (b === 0x66) return this.#literal(from, "false");
    if (b === 0x6e) return this.#literal(from, "null");
    if (depth > SCAN_MAX_DEPTH) return -1;
    if (b === 0x5b) {
      let i = this.#whitespace(from + 1);
      if (bytes[i] === 0x5d) return i + 1;
      for (;;) {
        i = this.#value(i, depth + 1);
        if (i < 0) return -1;
        i = this.#whitespace(i);
        if (bytes[i] === 0x5d) return i + 1;
        if (bytes[i] !== 0x2c) return -1;
        i = this.#whitespace(i + 1);
      }
    }
    if (b === 0x7b) {
      let i = this.#whitespace(from + 1);
      if (bytes[i] === 0x7d) return i + 1;
      for (;;) {
        if (bytes[i] !== QUOTE) return -1;
        i = this.#string(i + 1, false);
        if (i < 0) return -1;
        i = this.#whitespace(i + 1);
        if (bytes[i] !== 0x3a) return -1;
        i = this.#value(this.#whitespace(i + 1), depth + 1);
        if (i < 0) return -1;
        i = this.#whitespace(i);
        if (bytes[i] === 0x7d) return i + 1;
        if (bytes[i] !== 0x2c) return -1;
        i = this.#whitespace(i + 1);
      }
    }
    return -1;
  }

  #literal(from: number, word: string): number {
    const bytes = this.#bytes;
    for (let i = 0; i < word.length; i++) {
      if (bytes[from + i] !== word.charCodeAt(i)) return -1;
    }
    const next = from + word.length;
    return next > this.#end_ ? -1 : next;
  }

  /** A number field's value (its kind is NUMBER). */
  #numberValue(field: number): number {
    if (this.#flags[field] === 0) return this.#number[field] as number;
    return Number(latin1.decode(this.#bytes.subarray(this.#start[field], this.#end[field])));
  }

  /** A string field's whole value (its kind is STRING). */
  #stringValue(field: number): string {
    const start = this.#start[field] as number;
    const end = this.#end[field] as number;
    const flags = this.#flags[field] as number;
    if (flags === 0) return this.#interner.ascii(this.#bytes, start, end);
    return this.#decodeString(start, end, flags);
  }

  #decodeString(start: number, end: number, flags: number): string {
    const text = utf8.decode(this.#bytes.subarray(start, end));
    return (flags & 1) === 0 ? text : JSON.parse(`"${text}"`) as string;
  }

  /** As readRecord's `text()`: a string cut to KEY_MAX_CHARS, a number or boolean as text. */
  #text(field: number): string | undefined {
    switch (this.#kind[field]) {
      case STRING: {
        const start = this.#start[field] as number;
        const end = this.#end[field] as number;
        if (this.#flags[field] === 0) {
          return this.#interner.ascii(this.#bytes, start, Math.min(end, start + KEY_MAX_CHARS));
        }
        return detachedCut(this.#decodeString(start, end, this.#flags[field] as number));
      }
      case NUMBER:
        return integerText(this.#numberValue(field));
      case TRUE:
        return "true";
      case FALSE:
        return "false";
      default:
        return undefined;
    }
  }

  /** Fills the record from the fields found, as readRecord does from a parsed line. */
  #fill(): ScanResult {
    const kind = this.#kind;
    if (
      kind[TIMESTAMP] !== NUMBER || kind[SOURCE_IP] !== STRING || kind[DESTINATION_PORT] !== NUMBER
    ) return SCAN_NOT_RECORD;
    const timestamp = this.#numberValue(TIMESTAMP);
    if (!Number.isFinite(timestamp) || timestamp < 0) return SCAN_NOT_RECORD;
    if (this.#start[SOURCE_IP] === this.#end[SOURCE_IP]) return SCAN_NOT_RECORD;
    const port = this.#numberValue(DESTINATION_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return SCAN_NOT_RECORD;
    const record = this.record;
    record.timestamp = Math.floor(timestamp);
    record.sourceIp = this.#stringValue(SOURCE_IP);
    record.destinationPort = port;
    const seqKind = kind[SEQ];
    const sessionStart = seqKind === NONE || (seqKind === NUMBER && this.#numberValue(SEQ) === 1);
    record.sessionStart = sessionStart;
    const silent = kind[SILENT] === TRUE;
    record.silent = silent;
    record.tls = kind[TLS] === TRUE;
    record.transport = kind[TRANSPORT] === STRING && this.#isUdp() ? "udp" : "tcp";
    const ja4 = this.#text(JA4);
    record.ja4 = ja4;
    record.firstLine = sessionStart && !silent && kind[PAYLOAD] === STRING &&
        kind[PAYLOAD_HEX] === STRING
      ? this.#guess(ja4 !== undefined)
      : undefined;
    record.ja3 = this.#text(JA3_HASH) ?? this.#text(JA3);
    record.syn = sessionStart ? this.#syn() : undefined;
    record.hassh = this.#text(HASSH);
    record.greeting = sessionStart ? this.#text(GREETING) : undefined;
    return SCAN_RECORD;
  }

  #isUdp(): boolean {
    const start = this.#start[TRANSPORT] as number;
    const end = this.#end[TRANSPORT] as number;
    const bytes = this.#bytes;
    if (this.#flags[TRANSPORT] !== 0) return this.#stringValue(TRANSPORT) === "udp";
    return end - start === 3 && bytes[start] === 0x75 && bytes[start + 1] === 0x64 &&
      bytes[start + 2] === 0x70;
  }

  #guess(isClientHello: boolean): string {
    const sniKind = this.#kind[TLS_SNI];
    const tlsSni = sniKind === STRING
      ? this.#stringValue(TLS_SNI)
      : sniKind === NULL
      ? null
      : undefined;
    // The guess reads the payload's first line only, and the hex's first 12 bytes and whether
    // more follow: decode just those.
    const hexStart = this.#start[PAYLOAD_HEX] as number;
    const hexEnd = this.#end[PAYLOAD_HEX] as number;
    const payloadHex = this.#flags[PAYLOAD_HEX] === 0
      ? this.#interner.ascii(this.#bytes, hexStart, Math.min(hexEnd, hexStart + HEX_PREFIX_CHARS))
      : this.#stringValue(PAYLOAD_HEX);
    const start = this.#start[PAYLOAD] as number;
    const flags = this.#flags[PAYLOAD] as number;
    const end = this.#payloadNewlineEnd >= 0
      ? this.#payloadNewlineEnd
      : this.#end[PAYLOAD] as number;
    const payload = flags === 0
      ? this.#interner.ascii(this.#bytes, start, end)
      : this.#decodeString(start, end, flags);
    return guessProtocol({ payload, payloadHex, tlsSni, isClientHello });
  }

  #syn(): string | undefined {
    let out = "";
    const ttl = this.#text(SYN_TTL);
    if (ttl !== undefined) out = `ttl=${ttl}`;
    const window = this.#text(SYN_WINDOW);
    if (window !== undefined) out += `${out === "" ? "" : " "}win=${window}`;
    const options = this.#text(SYN_OPTIONS);
    if (options !== undefined) out += `${out === "" ? "" : " "}opts=${options}`;
    const mss = this.#text(SYN_MSS);
    if (mss !== undefined) out += `${out === "" ? "" : " "}mss=${mss}`;
    const wscale = this.#text(SYN_WSCALE);
    if (wscale !== undefined) out += `${out === "" ? "" : " "}ws=${wscale}`;
    const df = this.#kind[SYN_DF];
    if (df === TRUE || df === FALSE) {
      out += `${out === "" ? "" : " "}${df === TRUE ? "df" : "no-df"}`;
    }
    return out === "" ? undefined : out;
  }
}
