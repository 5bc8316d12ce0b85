/**
 * Reads the fields the report needs straight from a line's UTF-8 bytes, without decoding the line
 * and without `JSON.parse`, with exactly the answer of decoding the line (lossy UTF-8), parsing it
 * and {@linkcode readRecord}: the same record, and `null` for exactly the lines those reject.
 *
 * Hand-written because a measured benchmark justifies it: on a generated 200 MB records file
 * (318,217 lines held in memory, CPU time, best of 5 on the shared 2-vCPU machine) this scanner
 * takes 501 ms where decoding each line, `JSON.parse` and {@linkcode readRecord} take 766 ms; with
 * the reader and the aggregate, `spip report` went from 1.9-2.1x to 3.0-3.2x the speed of
 * `jq -r .destination_port | sort | uniq -c` on a 1 GB file (`deno task bench --scenario report`,
 * same runs; 1.6-2.0x to 1.9-2.9x on 200 MB). An earlier scanner without key templates and string
 * caches measured slower than `JSON.parse` (history: "report experiment: a byte-level record
 * scanner"); validating every byte in JavaScript costs about as much as V8's native parser, so
 * the gain comes from doing less per member and per record, not from faster byte loops.
 *
 * How it keeps `JSON.parse`'s answer:
 * - The whole line is checked against JSON's grammar while the top-level object is walked:
 *   strings without raw control bytes and with valid escapes, numbers in JSON's form only,
 *   literals, nested objects and arrays, JSON whitespace, nothing after the object. A byte order
 *   mark, invalid UTF-8 outside strings or any other byte is a syntax error, as it is for
 *   `JSON.parse` after lossy decoding (which turns bad bytes into U+FFFD, never into syntax).
 * - For each field the report reads the last occurrence counts, as `JSON.parse` keeps the last
 *   value of a repeated key.
 * - Values become strings only when read, decoded lossily like `TextDecoder` (invalid bytes inside
 *   a string are legal JSON and become U+FFFD; `\uXXXX` escapes give their code unit, lone
 *   surrogates too). Decoding a string in parts split at its escapes gives the same text as
 *   decoding the whole line, since UTF-8 decoding starts afresh at every ASCII byte.
 * - Numbers the report reads are plain integers computed from their digits, or else `Number()`
 *   of their text, which equals `JSON.parse`'s value for every text JSON's grammar allows.
 * - A line with an escaped key (`"source\u005fip"`) or values nested deeper than
 *   {@linkcode SCAN_MAX_DEPTH} is handed to `JSON.parse` and {@linkcode readRecord} whole.
 *
 * What it saves: strings the report never reads (`payload_hex` past its first bytes, `payload` past
 * its first line, `session_id`, ...) are only skipped, four bytes at a time; a key is recognised
 * by comparing its bytes four at a time with the key at the same position in a recent line
 * ({@linkcode KEY_TEMPLATE_MEMBERS}); strings it reads are made once per distinct byte span and
 * reused from bounded caches ({@linkcode ByteStringCache}), so the aggregate's maps see the same
 * string objects and hash each once; the SYN fingerprint and the protocol guess of a first line
 * are cached by the bytes they are made from.
 *
 * @module
 */
import { ByteStringCache, hashBytes } from "./byte_string_cache.ts";
import { GUESS_HEX_HEAD_CHARS, guessFromLine, guessHex, guessTls } from "./protocol_guess.ts";
import { KEY_MAX_CHARS, readRecord, type ReportRecord } from "./record_fields.ts";

/** Arrays and objects nested deeper than this inside a line are left to `JSON.parse`. */
export const SCAN_MAX_DEPTH = 64;
/** Distinct source addresses whose strings are kept. */
export const SOURCE_CACHE_SLOTS = 1 << 15;
/** Distinct short field values (fingerprints, first lines, labels) whose strings are kept. */
export const VALUE_CACHE_SLOTS = 1 << 11;
/** The longest short value (fingerprint, SNI, SYN field) kept, in bytes. */
const SHORT_VALUE_MAX_BYTES = 64;
/** The longest SYN fields' key kept (each field's kind, length and bytes), in bytes. */
const SYN_KEY_MAX_BYTES = 128;
/** The longest source address kept, in bytes (an IPv6 address has at most 45 characters). */
const SOURCE_MAX_BYTES = 48;
/** The longest first line kept, in bytes (as written, escapes included). */
const FIRST_LINE_MAX_BYTES = 256;
/** TLS labels kept before the table is emptied. */
const TLS_LABELS_MAX = 4096;

// Value kinds.
const ABSENT = 0;
const STRING = 1;
const NUMBER = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;
const OTHER = 6;

// String flags.
const ESCAPED = 1;
const NOT_ASCII = 2;

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
const SYN_DF = 18;
const HASSH = 19;
const GREETING = 20;
const FIELDS = FIELD_NAMES.length;
/** The SYN fields joined into the fingerprint, in order, with their labels (`syn_df` last). */
const SYN_LABELS = ["ttl", "win", "opts", "mss", "ws"] as const;

const FIELD_BYTES = FIELD_NAMES.map((name) => new TextEncoder().encode(name));
const KEY_MAX_BYTES = 16;
/** A key's field, by its length, first byte and last byte (unique among the fields read). */
const KEY_TABLE = new Int8Array((KEY_MAX_BYTES + 1) << 14).fill(-1);
function keyIndex(length: number, first: number, last: number): number {
  return (length << 14) | ((first & 127) << 7) | (last & 127);
}
for (let f = 0; f < FIELDS; f++) {
  const name = FIELD_BYTES[f] as Uint8Array;
  const index = keyIndex(name.length, name[0] as number, name[name.length - 1] as number);
  if (KEY_TABLE[index] !== -1) throw new Error(`Cannot index field keys: ${FIELD_NAMES[f]}`);
  KEY_TABLE[index] = f;
}

/** The field a key's bytes name, or -1 for a key the report does not read. */
function fieldOf(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length > KEY_MAX_BYTES || length === 0) return -1;
  const f = KEY_TABLE[keyIndex(length, bytes[start] as number, bytes[end - 1] as number)] as number;
  if (f < 0) return -1;
  const name = FIELD_BYTES[f] as Uint8Array;
  for (let n = 0; n < length; n++) if (name[n] !== bytes[start + n]) return -1;
  return f;
}

/** Member positions (in order within the object) whose recent keys are remembered. */
export const KEY_TEMPLATE_MEMBERS = 64;
/** Keys remembered per member position. */
const KEY_TEMPLATES_PER_MEMBER = 4;
/** The longest key remembered, in bytes with its quotes and colon. */
const KEY_TEMPLATE_MAX_BYTES = 40;

/**
 * The bytes of a key already checked, quotes and colon included (`"timestamp":`): records from
 * one sensor repeat their keys in the same order, so a key is usually recognised by comparing four
 * bytes at a time against the key at the same position in an earlier line.
 */
class KeyTemplate {
  readonly words: Int32Array;
  readonly tail: Uint8Array;
  readonly length: number;
  readonly field: number;

  constructor(bytes: Uint8Array, start: number, end: number, field: number) {
    this.length = end - start;
    this.field = field;
    const whole = this.length >> 2;
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, this.length);
    this.words = Int32Array.from({ length: whole }, (_, k) => view.getInt32(4 * k, true));
    this.tail = bytes.slice(start + 4 * whole, end);
  }

  matches(view: DataView, bytes: Uint8Array, at: number, end: number): boolean {
    if (at + this.length > end) return false;
    const words = this.words;
    for (let k = 0; k < words.length; k++) {
      if (view.getInt32(at + 4 * k, true) !== words[k]) return false;
    }
    const tail = this.tail;
    const base = at + 4 * words.length;
    for (let k = 0; k < tail.length; k++) if (bytes[base + k] !== tail[k]) return false;
    return true;
  }
}

const QUOTE = 0x22;
const LINE_FEED = 0x0a;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** Decodes like the line reader: lossy, and a byte order mark is kept as U+FEFF. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** Hex digit values, or 255. */
const HEX_VALUE = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x61 + i] = 10 + i;
  HEX_VALUE[0x41 + i] = 10 + i;
}
/** What each byte after a backslash stands for (0: not a simple escape). */
const SIMPLE_ESCAPE = new Uint16Array(256);
SIMPLE_ESCAPE[0x22] = 0x22;
SIMPLE_ESCAPE[0x5c] = 0x5c;
SIMPLE_ESCAPE[0x2f] = 0x2f;
SIMPLE_ESCAPE[0x62] = 0x08;
SIMPLE_ESCAPE[0x66] = 0x0c;
SIMPLE_ESCAPE[0x6e] = 0x0a;
SIMPLE_ESCAPE[0x72] = 0x0d;
SIMPLE_ESCAPE[0x74] = 0x09;

/** The texts of small non-negative integers, made on first use. */
const INTEGER_TEXT: (string | undefined)[] = [];
const INTEGER_TEXT_MAX = 65535;
function numberText(value: number): string {
  if (Number.isInteger(value) && value >= 0 && value <= INTEGER_TEXT_MAX) {
    return INTEGER_TEXT[value] ??= String(value);
  }
  return String(value);
}

// Results of the skipping functions besides the index they return (module state: one line is
// scanned at a time, and nothing here awaits).
let stringFlags = 0;
let stringFirstEscape = -1;
/**
 * Whether a line feed is JSON whitespace (reading one line: {@linkcode RecordScanner.scan}) or
 * ends the line (reading from a line's start in a chunk of lines:
 * {@linkcode RecordScanner.scanLine}); each sets it before walking.
 */
let lineFeedIsSpace = true;

function skipWhitespace(bytes: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const b = bytes[i] as number;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && (b !== 0x0a || !lineFeedIsSpace)) break;
    i++;
  }
  return i;
}

/**
 * Skips a string's content, from the byte after its opening quote.
 *
 * @returns The index of the closing quote, or -1 when the string is not valid JSON or does not
 *   end. Sets `stringFlags` and `stringFirstEscape`.
 */
function skipString(
  bytes: Uint8Array,
  view: DataView,
  from: number,
  end: number,
): number {
  let flags = 0;
  let high = 0;
  let firstEscape = -1;
  let i = from;
  const last = end - 4;
  for (;;) {
    // Four bytes at a time while none is a quote, a backslash or below 0x20. Flipping bit 1 maps
    // the quote to 0x20 and keeps control bytes below 0x20 (and 0x20, 0x21 above), so one "some
    // byte below 0x21" test finds both; a second finds a backslash. Both tests are exact for
    // "some byte is" (checked against every byte value in tests), so a word that passes holds none.
    while (i <= last) {
      const x = view.getInt32(i, true);
      const y = x ^ 0x02020202;
      const e = x ^ 0x5c5c5c5c;
      if (((((y - 0x21212121) & ~y) | ((e - 0x01010101) & ~e)) & 0x80808080) !== 0) break;
      high |= x;
      i += 4;
    }
    // Then byte by byte up to the byte that stopped the words (within four), or to the end.
    let b = 0;
    for (;;) {
      if (i >= end) return -1;
      b = bytes[i] as number;
      if (b === QUOTE || b === BACKSLASH || b < 0x20) break;
      high |= b;
      i++;
    }
    if (b === QUOTE) break;
    if (b === BACKSLASH) {
      if (firstEscape < 0) firstEscape = i;
      flags |= ESCAPED;
      if (i + 1 >= end) return -1;
      const e = bytes[i + 1] as number;
      if (e === 0x75) {
        if (i + 5 >= end) return -1;
        if (
          ((HEX_VALUE[bytes[i + 2] as number] as number) |
            (HEX_VALUE[bytes[i + 3] as number] as number) |
            (HEX_VALUE[bytes[i + 4] as number] as number) |
            (HEX_VALUE[bytes[i + 5] as number] as number)) > 15
        ) return -1;
        i += 6;
      } else {
        if (SIMPLE_ESCAPE[e] === 0) return -1;
        i += 2;
      }
      continue;
    }
    return -1;
  }
  if ((high & 0x80808080) !== 0) flags |= NOT_ASCII;
  stringFlags = flags;
  stringFirstEscape = firstEscape;
  return i;
}

/**
 * Skips a number (JSON's grammar).
 *
 * @returns The index after it, or -1.
 */
function skipNumber(bytes: Uint8Array, from: number, end: number): number {
  let i = from;
  if (bytes[i] === 0x2d) i++;
  if (i >= end) return -1;
  const b = bytes[i] as number;
  if (b === 0x30) i++;
  else if (b >= 0x31 && b <= 0x39) i = skipDigits(bytes, i + 1, end, true);
  else return -1;
  if (i < end && bytes[i] === 0x2e) {
    i = skipDigits(bytes, i + 1, end, false);
    if (i < 0) return -1;
  }
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
    i = skipDigits(bytes, i, end, false);
  }
  return i;
}

/** The longest plain integer computed from its digits (larger ones go through `Number()`). */
const PLAIN_INTEGER_MAX_DIGITS = 15;

/** The value of a number already checked by {@linkcode skipNumber}. */
function numberValue(bytes: Uint8Array, start: number, end: number): number {
  if (end - start <= PLAIN_INTEGER_MAX_DIGITS) {
    let value = 0;
    let i = start;
    while (i < end) {
      const digit = (bytes[i] as number) - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      i++;
    }
    // A plain integer (a leading minus sign, fraction or exponent stops the loop at once or later).
    if (i === end) return value;
  }
  return Number(utf8.decode(bytes.subarray(start, end)));
}

/** Skips digits: one or more, or any number when `maybeNone`; -1 when one is needed but missing. */
function skipDigits(bytes: Uint8Array, from: number, end: number, maybeNone: boolean): number {
  let i = from;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < 0x30 || b > 0x39) break;
    i++;
  }
  return i === from && !maybeNone ? -1 : i;
}

/** Skips `true`, `false` or `null` at `from`; -1 when the bytes are not that literal. */
function skipLiteral(bytes: Uint8Array, from: number, end: number): number {
  const b = bytes[from];
  if (b === 0x74) {
    return from + 4 <= end && bytes[from + 1] === 0x72 && bytes[from + 2] === 0x75 &&
        bytes[from + 3] === 0x65
      ? from + 4
      : -1;
  }
  if (b === 0x66) {
    return from + 5 <= end && bytes[from + 1] === 0x61 && bytes[from + 2] === 0x6c &&
        bytes[from + 3] === 0x73 && bytes[from + 4] === 0x65
      ? from + 5
      : -1;
  }
  if (b === 0x6e) {
    return from + 4 <= end && bytes[from + 1] === 0x75 && bytes[from + 2] === 0x6c &&
        bytes[from + 3] === 0x6c
      ? from + 4
      : -1;
  }
  return -1;
}

/** Returned by {@linkcode skipValue} for nesting too deep to follow here. */
const TOO_DEEP = -2;

/**
 * Skips any JSON value at `from`.
 *
 * @returns The index after it, -1 when it is not valid JSON, or {@linkcode TOO_DEEP}.
 */
function skipValue(
  bytes: Uint8Array,
  view: DataView,
  from: number,
  end: number,
  depth: number,
): number {
  if (from >= end) return -1;
  const b = bytes[from] as number;
  if (b === QUOTE) {
    const close = skipString(bytes, view, from + 1, end);
    return close < 0 ? -1 : close + 1;
  }
  if (b === 0x2d || (b >= 0x30 && b <= 0x39)) return skipNumber(bytes, from, end);
  if (b !== OPEN_BRACE && b !== OPEN_BRACKET) return skipLiteral(bytes, from, end);
  if (depth >= SCAN_MAX_DEPTH) return TOO_DEEP;
  const object = b === OPEN_BRACE;
  const close = object ? CLOSE_BRACE : CLOSE_BRACKET;
  let i = skipWhitespace(bytes, from + 1, end);
  if (i < end && bytes[i] === close) return i + 1;
  for (;;) {
    if (object) {
      if (i >= end || bytes[i] !== QUOTE) return -1;
      const keyEnd = skipString(bytes, view, i + 1, end);
      if (keyEnd < 0) return -1;
      i = skipWhitespace(bytes, keyEnd + 1, end);
      if (i >= end || bytes[i] !== COLON) return -1;
      i = skipWhitespace(bytes, i + 1, end);
    }
    const after = skipValue(bytes, view, i, end, depth + 1);
    if (after < 0) return after;
    i = skipWhitespace(bytes, after, end);
    if (i >= end) return -1;
    const c = bytes[i];
    if (c === close) return i + 1;
    if (c !== COMMA) return -1;
    i = skipWhitespace(bytes, i + 1, end);
  }
}

/**
 * Decodes a string's content (valid JSON, as {@linkcode skipString} checked): the bytes between
 * escapes lossily, each escape as its code unit.
 */
function decodeString(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  let segment = start;
  let i = start;
  while (i < end) {
    if (bytes[i] !== BACKSLASH) {
      i++;
      continue;
    }
    if (segment < i) out += utf8.decode(bytes.subarray(segment, i));
    const e = bytes[i + 1] as number;
    if (e === 0x75) {
      out += String.fromCharCode(
        ((HEX_VALUE[bytes[i + 2] as number] as number) << 12) |
          ((HEX_VALUE[bytes[i + 3] as number] as number) << 8) |
          ((HEX_VALUE[bytes[i + 4] as number] as number) << 4) |
          (HEX_VALUE[bytes[i + 5] as number] as number),
      );
      i += 6;
    } else {
      out += String.fromCharCode(SIMPLE_ESCAPE[e] as number);
      i += 2;
    }
    segment = i;
  }
  if (segment < end) out += utf8.decode(bytes.subarray(segment, end));
  return out;
}

/**
 * Where the first escape standing for a newline (`\n`, `\u000a`) starts in a string's content,
 * looking from its first escape; `end` when there is none.
 */
function newlineEscape(bytes: Uint8Array, firstEscape: number, end: number): number {
  let i = firstEscape;
  while (i < end) {
    if (bytes[i] !== BACKSLASH) {
      i++;
      continue;
    }
    const e = bytes[i + 1];
    if (e === 0x6e) return i;
    if (e === 0x75) {
      if (
        bytes[i + 2] === 0x30 && bytes[i + 3] === 0x30 && bytes[i + 4] === 0x30 &&
        (bytes[i + 5] === 0x61 || bytes[i + 5] === 0x41)
      ) return i;
      i += 6;
    } else {
      i += 2;
    }
  }
  return end;
}

/**
 * Whether a payload's first line, as written in JSON (`bytes[start .. end)`, its newline escape
 * excluded), is certainly one {@linkcode guessFromLine} gives no label: it starts with a character
 * other than `A`-`Z` (so it is neither an SSH version nor an HTTP request line) and holds a
 * character that is not printable ASCII (so it is not a printable line either). A trailing `\r`
 * before the newline does not count, as the line is read without it. Found on the bytes, without
 * decoding the line: binary payloads are told at their first bytes. False means "maybe".
 */
function lineCannotLabel(bytes: Uint8Array, start: number, end: number, ended: boolean): boolean {
  if (start >= end) return true;
  const first = bytes[start] as number;
  if (first === BACKSLASH || (first >= 0x41 && first <= 0x5a)) return false;
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    if (b !== BACKSLASH) {
      // Not ASCII (or U+FFFD for bad bytes), or DEL; JSON holds no raw control bytes.
      if (b >= 0x7f) return true;
      i++;
      continue;
    }
    const e = bytes[i + 1] as number;
    if (e === 0x75) {
      const code = ((HEX_VALUE[bytes[i + 2] as number] as number) << 12) |
        ((HEX_VALUE[bytes[i + 3] as number] as number) << 8) |
        ((HEX_VALUE[bytes[i + 4] as number] as number) << 4) |
        (HEX_VALUE[bytes[i + 5] as number] as number);
      if (
        code > 0x7e || (code < 0x20 && code !== 0x09 && !(code === 0x0d && ended && i + 6 === end))
      ) {
        return true;
      }
      i += 6;
    } else {
      // \t and the escaped quote, backslash and slash are printable; \b, \f, \n are not, nor
      // is \r unless it ends the line.
      if (e === 0x62 || e === 0x66 || e === 0x6e || (e === 0x72 && !(ended && i + 2 === end))) {
        return true;
      }
      i += 2;
    }
  }
  return false;
}

/** A line's answer from `JSON.parse` and {@linkcode readRecord}, for lines left to them. */
function parseLine(bytes: Uint8Array, start: number, end: number): ReportRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes.subarray(start, end)));
  } catch {
    return null;
  }
  return readRecord(value);
}

/**
 * The IPv4 address that a source's bytes spell as a plain dotted quad (`198.51.100.7`: four
 * decimal numbers of 0 to 255 without leading zeros), as a number from 0 to 2^32 - 1; -1 for any
 * other text. A plain dotted quad is the only such text of its address, so the number stands for
 * the string exactly.
 *
 * @param bytes The buffer.
 * @param start The text's first byte.
 * @param end The byte after it.
 * @returns The address, or -1.
 */
export function dottedQuadValue(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 7 || end - start > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      continue;
    }
    const digit = b - 0x30;
    if (digit < 0 || digit > 9 || (digits === 1 && octet === 0)) return -1;
    octet = octet * 10 + digit;
    if (octet > 255) return -1;
    digits++;
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1;
}

/** How a {@linkcode RecordScanner} is made. */
export interface RecordScannerOptions {
  /**
   * Leave a plain dotted-quad source address as a number, not a string: the record's `sourceIp`
   * is then `""`, {@linkcode RecordScanner.sourceV4} gives the address, and
   * {@linkcode RecordScanner.sourceText} makes its text while the line's bytes are still there.
   * For a reader that numbers sources and needs a source's text only the first time it sees it
   * (a worker's `BatchWriter`). Default false: every record carries its source's text.
   */
  readonly deferSourceV4?: boolean;
  /**
   * Give every record in one object that the scanner fills again for each line, instead of a new
   * object per line: for a reader that is done with a record before it reads the next line (a
   * worker's `BatchWriter`). It spares the young generation about 140 bytes a line, more than
   * half of what a worker allocates, and with them most of its scavenges. Default false: each
   * record is a new object, which the caller may keep.
   */
  readonly reuseRecord?: boolean;
}

/** A record's fields, written again for each line by a scanner that reuses its record. */
type MutableRecord = { -readonly [K in keyof ReportRecord]: ReportRecord[K] };

/** A record object, all fields present, for the scanner to fill in. */
function newRecord(): MutableRecord {
  return {
    timestamp: 0,
    transport: "tcp",
    sourceIp: "",
    destinationPort: 0,
    sessionStart: false,
    silent: false,
    tls: false,
    firstLine: undefined,
    ja4: undefined,
    ja3: undefined,
    syn: undefined,
    hassh: undefined,
    greeting: undefined,
  };
}

/** What walking the top-level object found. */
const WALKED = 0;
const BAD = 1;
const PARSE = 2;

/** Reads records from lines' bytes; one instance keeps its caches across lines. */
export class RecordScanner {
  readonly #kinds = new Uint8Array(FIELDS);
  /** Strings: the first content byte; numbers: the first byte. */
  readonly #starts = new Int32Array(FIELDS);
  /** Strings: the closing quote; numbers: the byte after. */
  readonly #ends = new Int32Array(FIELDS);
  /** Strings: {@linkcode ESCAPED} and {@linkcode NOT_ASCII}. */
  readonly #flags = new Uint8Array(FIELDS);
  /** Strings: the first backslash, or -1. Numbers: their value. */
  readonly #numbers = new Float64Array(FIELDS);
  readonly #sources = new ByteStringCache(SOURCE_CACHE_SLOTS, SOURCE_MAX_BYTES);
  readonly #values = new ByteStringCache(VALUE_CACHE_SLOTS, SHORT_VALUE_MAX_BYTES);
  readonly #hexHeads = new ByteStringCache(VALUE_CACHE_SLOTS, GUESS_HEX_HEAD_CHARS);
  readonly #syns = new ByteStringCache(VALUE_CACHE_SLOTS, SYN_KEY_MAX_BYTES);
  /** Labels of first lines that end with a newline, by the line's bytes ("" : the hex decides). */
  readonly #endedLines = new ByteStringCache(VALUE_CACHE_SLOTS, FIRST_LINE_MAX_BYTES);
  /** The same for payloads without a newline. */
  readonly #wholeLines = new ByteStringCache(VALUE_CACHE_SLOTS, FIRST_LINE_MAX_BYTES);
  readonly #tlsLabels = new Map<string, string>();
  readonly #synKey = new Uint8Array(8 * (SHORT_VALUE_MAX_BYTES + 2));
  readonly #synKeyView = new DataView(this.#synKey.buffer);
  readonly #templates: (KeyTemplate | undefined)[] = new Array(
    KEY_TEMPLATE_MEMBERS * KEY_TEMPLATES_PER_MEMBER,
  ).fill(undefined);
  readonly #templateNext = new Uint8Array(KEY_TEMPLATE_MEMBERS);
  #bytes: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #sourceSlot = -1;
  #sourceV4 = -1;
  readonly #deferSourceV4: boolean;
  /** The record given for every line when the scanner reuses it; null when it does not. */
  readonly #reused: MutableRecord | null;
  #lineEnd = 0;

  /**
   * Makes a scanner with empty caches.
   *
   * @param options Whether a dotted-quad source stays a number, and whether the record object is
   * reused.
   */
  constructor(options: RecordScannerOptions = {}) {
    this.#deferSourceV4 = options.deferSourceV4 ?? false;
    this.#reused = options.reuseRecord === true ? newRecord() : null;
  }

  /**
   * The last record's source address as a number when the scanner defers dotted-quad sources
   * (`deferSourceV4`) and it is one ({@linkcode dottedQuadValue}), else -1.
   */
  get sourceV4(): number {
    return this.#sourceV4;
  }

  /**
   * The last record's source address as text (what `sourceIp` holds when the scanner does not
   * defer it), made from the line's bytes: valid only until the buffer is reused.
   */
  sourceText(): string {
    return decodeString(
      this.#bytes,
      this.#starts[SOURCE_IP] as number,
      this.#ends[SOURCE_IP] as number,
    );
  }

  /**
   * The source address cache's slot that gave the last record's `sourceIp` (-1: the string was
   * made apart, not cached). The same slot gives the same string object until another address
   * takes the slot over, so a caller can remember per slot what it did with that string.
   */
  get sourceSlot(): number {
    return this.#sourceSlot;
  }

  /**
   * Reads one line.
   *
   * @param bytes The buffer holding the line.
   * @param start The line's first byte.
   * @param end The byte after the line (its line ending excluded).
   * @returns The record, or null when the line is not JSON or not a record (as `JSON.parse` and
   *   {@linkcode readRecord} would say).
   */
  scan(bytes: Uint8Array, start: number, end: number): ReportRecord | null {
    this.#begin(bytes, true);
    const walked = this.#walk(bytes, start, end);
    if (walked === BAD) return null;
    if (walked === PARSE) return parseLine(bytes, start, end);
    return this.#record(bytes);
  }

  /** Where the line read by the last {@linkcode RecordScanner.scanLine} ends. */
  get lineEnd(): number {
    return this.#lineEnd;
  }

  /**
   * Reads the line that starts at `start` and ends at the first line feed after it, or at `end`:
   * finds that line end while walking the line's object, so the line's bytes are gone over once
   * instead of being searched for the line feed first (`Uint8Array.indexOf`: about 0.3 s of a
   * worker's CPU on the 1 GB bench file). The answer is {@linkcode RecordScanner.scan}'s for
   * that line: a line feed is never inside a valid line's strings, keys, numbers or literals, so
   * the walk either fails before it, as it does at the line's end, or ends on it; only a line that
   * is not read to its end (bad, or left to `JSON.parse`) is searched for its line feed.
   *
   * @param bytes The buffer holding the line.
   * @param start The line's first byte.
   * @param end Where the last line ends, if it has no line feed.
   * @returns The record, or null; {@linkcode RecordScanner.lineEnd} gives the line's end (its
   *   line feed, or `end`).
   */
  scanLine(bytes: Uint8Array, start: number, end: number): ReportRecord | null {
    this.#begin(bytes, false);
    const walked = this.#walk(bytes, start, end);
    if (walked === WALKED) return this.#record(bytes);
    const lineFeed = bytes.indexOf(LINE_FEED, start);
    this.#lineEnd = lineFeed < 0 || lineFeed > end ? end : lineFeed;
    return walked === BAD ? null : parseLine(bytes, start, this.#lineEnd);
  }

  /**
   * Starts reading a line of `bytes`: a view of a new buffer, no field seen yet, and whether a
   * line feed is whitespace ({@linkcode RecordScanner.scan}) or the line's end.
   */
  #begin(bytes: Uint8Array, lineFeedSpace: boolean): void {
    if (bytes !== this.#bytes) {
      this.#bytes = bytes;
      this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    this.#kinds.fill(ABSENT);
    lineFeedIsSpace = lineFeedSpace;
  }

  /** Walks the top-level object, noting where each field read is. */
  #walk(bytes: Uint8Array, start: number, end: number): number {
    const view = this.#view;
    const kinds = this.#kinds;
    let i = skipWhitespace(bytes, start, end);
    if (i >= end || bytes[i] !== OPEN_BRACE) {
      // Valid JSON other than an object is not a record either.
      return BAD;
    }
    i = skipWhitespace(bytes, i + 1, end);
    if (i < end && bytes[i] === CLOSE_BRACE) {
      return this.#walked(bytes, i + 1, end);
    }
    const templates = this.#templates;
    let member = 0;
    for (;;) {
      let field = -1;
      let matched = false;
      if (member < KEY_TEMPLATE_MEMBERS) {
        const base = member * KEY_TEMPLATES_PER_MEMBER;
        for (let t = 0; t < KEY_TEMPLATES_PER_MEMBER; t++) {
          const template = templates[base + t];
          if (template === undefined) break;
          if (template.matches(view, bytes, i, end)) {
            field = template.field;
            i += template.length;
            matched = true;
            break;
          }
        }
      }
      if (!matched) {
        if (i >= end || bytes[i] !== QUOTE) return BAD;
        const keyStart = i + 1;
        const k = skipString(bytes, view, keyStart, end);
        if (k < 0) return BAD;
        // An escaped key may spell a field's name: JSON.parse decides such lines.
        if (stringFirstEscape >= 0) return PARSE;
        field = fieldOf(bytes, keyStart, k);
        if (bytes[k + 1] === COLON && k + 1 < end) {
          if (member < KEY_TEMPLATE_MEMBERS && k + 2 - i <= KEY_TEMPLATE_MAX_BYTES) {
            this.#remember(member, bytes, i, k + 2, field);
          }
          i = k + 2;
        } else {
          i = skipWhitespace(bytes, k + 1, end);
          if (i >= end || bytes[i] !== COLON) return BAD;
          i++;
        }
      }
      member++;
      if (i >= end) return BAD;
      let b = bytes[i] as number;
      if (b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a) {
        i = skipWhitespace(bytes, i, end);
        if (i >= end) return BAD;
        b = bytes[i] as number;
      }
      if (b === QUOTE) {
        const close = skipString(bytes, view, i + 1, end);
        if (close < 0) return BAD;
        if (field >= 0) {
          kinds[field] = STRING;
          this.#starts[field] = i + 1;
          this.#ends[field] = close;
          this.#flags[field] = stringFlags;
          this.#numbers[field] = stringFirstEscape;
        }
        i = close + 1;
      } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
        const after = skipNumber(bytes, i, end);
        if (after < 0) return BAD;
        if (field >= 0) {
          kinds[field] = NUMBER;
          this.#starts[field] = i;
          this.#ends[field] = after;
          this.#numbers[field] = numberValue(bytes, i, after);
        }
        i = after;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        const after = skipValue(bytes, view, i, end, 1);
        if (after === TOO_DEEP) return PARSE;
        if (after < 0) return BAD;
        if (field >= 0) kinds[field] = OTHER;
        i = after;
      } else {
        const after = skipLiteral(bytes, i, end);
        if (after < 0) return BAD;
        if (field >= 0) kinds[field] = b === 0x74 ? TRUE : b === 0x66 ? FALSE : NULL;
        i = after;
      }
      if (i >= end) return BAD;
      let c = bytes[i];
      if (c !== COMMA && c !== CLOSE_BRACE) {
        i = skipWhitespace(bytes, i, end);
        if (i >= end) return BAD;
        c = bytes[i];
      }
      if (c === COMMA) {
        i++;
        if (bytes[i] !== QUOTE) i = skipWhitespace(bytes, i, end);
        continue;
      }
      if (c !== CLOSE_BRACE) return BAD;
      return this.#walked(bytes, i + 1, end);
    }
  }

  /**
   * The end of a walk after the object's closing brace: only whitespace up to the line's end.
   * Notes where the line ends (`end`, or the line feed that ends it when reading a chunk).
   */
  #walked(bytes: Uint8Array, from: number, end: number): number {
    const after = skipWhitespace(bytes, from, end);
    if (after !== end && bytes[after] !== LINE_FEED) return BAD;
    this.#lineEnd = after;
    return WALKED;
  }

  /** Remembers a key seen at a member position, in place of the oldest one there. */
  #remember(member: number, bytes: Uint8Array, start: number, end: number, field: number): void {
    const next = this.#templateNext[member] as number;
    this.#templates[member * KEY_TEMPLATES_PER_MEMBER + next] = new KeyTemplate(
      bytes,
      start,
      end,
      field,
    );
    this.#templateNext[member] = (next + 1) % KEY_TEMPLATES_PER_MEMBER;
  }

  /** The record from the fields the walk noted, or null when it is not one. */
  #record(bytes: Uint8Array): ReportRecord | null {
    const kinds = this.#kinds;
    const numbers = this.#numbers;
    if (kinds[TIMESTAMP] !== NUMBER) return null;
    const timestamp = numbers[TIMESTAMP] as number;
    if (!Number.isFinite(timestamp) || timestamp < 0) return null;
    if (kinds[SOURCE_IP] !== STRING || this.#starts[SOURCE_IP] === this.#ends[SOURCE_IP]) {
      return null;
    }
    if (kinds[DESTINATION_PORT] !== NUMBER) return null;
    const port = numbers[DESTINATION_PORT] as number;
    if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
    const seq = kinds[SEQ];
    const sessionStart = seq === ABSENT || (seq === NUMBER && numbers[SEQ] === 1);
    const silent = kinds[SILENT] === TRUE;
    const ja4 = this.#text(bytes, JA4);
    const firstLine = sessionStart && !silent && kinds[PAYLOAD] === STRING &&
        kinds[PAYLOAD_HEX] === STRING
      ? this.#guess(bytes, ja4 !== undefined)
      : undefined;
    const record = this.#reused ?? newRecord();
    record.timestamp = Math.floor(timestamp);
    record.transport = kinds[TRANSPORT] === STRING && this.#isUdp(bytes) ? "udp" : "tcp";
    record.sourceIp = this.#sourceIp(bytes);
    record.destinationPort = port;
    record.sessionStart = sessionStart;
    record.silent = silent;
    record.tls = kinds[TLS] === TRUE;
    record.firstLine = firstLine;
    record.ja4 = ja4;
    record.ja3 = this.#text(bytes, JA3_HASH) ?? this.#text(bytes, JA3);
    record.syn = sessionStart ? this.#syn(bytes) : undefined;
    record.hassh = this.#text(bytes, HASSH);
    record.greeting = sessionStart ? this.#text(bytes, GREETING) : undefined;
    return record;
  }

  #isUdp(bytes: Uint8Array): boolean {
    const start = this.#starts[TRANSPORT] as number;
    const end = this.#ends[TRANSPORT] as number;
    if ((this.#flags[TRANSPORT] as number) === 0) {
      return end - start === 3 && bytes[start] === 0x75 && bytes[start + 1] === 0x64 &&
        bytes[start + 2] === 0x70;
    }
    return decodeString(bytes, start, end) === "udp";
  }

  /** The source address, noting the cache slot it came from. */
  #sourceIp(bytes: Uint8Array): string {
    const start = this.#starts[SOURCE_IP] as number;
    const end = this.#ends[SOURCE_IP] as number;
    this.#sourceSlot = -1;
    this.#sourceV4 = -1;
    if (end - start > SOURCE_MAX_BYTES) return this.#string(bytes, SOURCE_IP, this.#sources);
    if (((this.#flags[SOURCE_IP] as number) & ESCAPED) !== 0) {
      return decodeString(bytes, start, end);
    }
    if (this.#deferSourceV4) {
      const v4 = dottedQuadValue(bytes, start, end);
      if (v4 >= 0) {
        this.#sourceV4 = v4;
        return "";
      }
    }
    const hash = hashBytes(bytes, start, end);
    const cache = this.#sources;
    let text = cache.get(this.#view, bytes, start, end, hash);
    if (text === undefined) {
      text = utf8.decode(bytes.subarray(start, end));
      cache.set(bytes, start, end, hash, text);
    }
    this.#sourceSlot = cache.slotOf(hash);
    return text;
  }

  /** A string field's text, from a cache when it is short and has no escapes. */
  #string(bytes: Uint8Array, field: number, cache: ByteStringCache): string {
    const start = this.#starts[field] as number;
    const end = this.#ends[field] as number;
    if (((this.#flags[field] as number) & ESCAPED) !== 0 || end - start > SHORT_VALUE_MAX_BYTES) {
      return decodeString(bytes, start, end);
    }
    const hash = hashBytes(bytes, start, end);
    let text = cache.get(this.#view, bytes, start, end, hash);
    if (text === undefined) {
      text = utf8.decode(bytes.subarray(start, end));
      cache.set(bytes, start, end, hash, text);
    }
    return text;
  }

  /** A field as `readRecord`'s `text()` reads it. */
  #text(bytes: Uint8Array, field: number): string | undefined {
    switch (this.#kinds[field]) {
      case STRING: {
        const text = this.#string(bytes, field, this.#values);
        return text.length > KEY_MAX_CHARS ? text.slice(0, KEY_MAX_CHARS) : text;
      }
      case NUMBER:
        return numberText(this.#numbers[field] as number);
      case TRUE:
        return "true";
      case FALSE:
        return "false";
      default:
        return undefined;
    }
  }

  /** The SYN fingerprint, from a cache keyed by the six fields' kinds and bytes. */
  #syn(bytes: Uint8Array): string | undefined {
    const kinds = this.#kinds;
    const key = this.#synKey;
    let length = 0;
    let present = false;
    for (let f = SYN_TTL; f <= SYN_DF; f++) {
      const kind = kinds[f] as number;
      key[length++] = kind;
      if (kind === ABSENT) continue;
      present = true;
      if (kind !== STRING && kind !== NUMBER) continue;
      const start = this.#starts[f] as number;
      const end = this.#ends[f] as number;
      if (end - start > SHORT_VALUE_MAX_BYTES) return this.#synText(bytes);
      key[length++] = end - start;
      for (let b = start; b < end; b++) key[length++] = bytes[b] as number;
    }
    if (!present) return undefined;
    const hash = hashBytes(key, 0, length);
    let text = this.#syns.get(this.#synKeyView, key, 0, length, hash);
    if (text === undefined) {
      text = this.#synText(bytes);
      if (text !== undefined) this.#syns.set(key, 0, length, hash, text);
    }
    return text;
  }

  /** The SYN fingerprint, built as `readRecord` builds it. */
  #synText(bytes: Uint8Array): string | undefined {
    let out = "";
    for (let n = 0; n < SYN_LABELS.length; n++) {
      const value = this.#text(bytes, SYN_TTL + n);
      if (value !== undefined) out += `${out === "" ? "" : " "}${SYN_LABELS[n]}=${value}`;
    }
    const df = this.#kinds[SYN_DF];
    if (df === TRUE || df === FALSE) {
      out += `${out === "" ? "" : " "}${df === TRUE ? "df" : "no-df"}`;
    }
    return out === "" ? undefined : out;
  }

  /** The first `GUESS_HEX_HEAD_CHARS` characters of `payload_hex`. */
  #hexHead(bytes: Uint8Array): string {
    const start = this.#starts[PAYLOAD_HEX] as number;
    const end = this.#ends[PAYLOAD_HEX] as number;
    if (this.#flags[PAYLOAD_HEX] !== 0) {
      return decodeString(bytes, start, end).slice(0, GUESS_HEX_HEAD_CHARS);
    }
    const headEnd = Math.min(end, start + GUESS_HEX_HEAD_CHARS);
    const hash = hashBytes(bytes, start, headEnd);
    let head = this.#hexHeads.get(this.#view, bytes, start, headEnd, hash);
    if (head === undefined) {
      head = utf8.decode(bytes.subarray(start, headEnd));
      this.#hexHeads.set(bytes, start, headEnd, hash, head);
    }
    return head;
  }

  /** The protocol guess of a session's first payload, as `guessProtocol` makes it. */
  #guess(bytes: Uint8Array, isClientHello: boolean): string {
    const sniKind = this.#kinds[TLS_SNI];
    const sni = sniKind === STRING
      ? this.#string(bytes, TLS_SNI, this.#values)
      : sniKind === NULL
      ? null
      : undefined;
    if (typeof sni === "string") {
      let label = this.#tlsLabels.get(sni);
      if (label === undefined) {
        label = guessTls("", sni, true) as string;
        if (this.#tlsLabels.size >= TLS_LABELS_MAX) this.#tlsLabels.clear();
        this.#tlsLabels.set(sni, label);
      }
      return label;
    }
    if (isClientHello || sni === null) return guessTls("", sni, isClientHello) as string;
    if (this.#flags[PAYLOAD_HEX] !== 0) {
      // Escapes or other than ASCII in the hex: decode it to tell.
      const tls = guessTls(this.#hexHead(bytes), undefined, false);
      if (tls !== undefined) return tls;
    } else if (this.#startsLikeTls(bytes)) {
      return guessTls("160301", undefined, false) as string;
    }
    const start = this.#starts[PAYLOAD] as number;
    const end = this.#ends[PAYLOAD] as number;
    const firstEscape = this.#numbers[PAYLOAD] as number;
    const lineEnd = firstEscape < 0 ? end : newlineEscape(bytes, firstEscape, end);
    const ended = lineEnd < end;
    if (lineCannotLabel(bytes, start, lineEnd, ended)) return guessHex(this.#hexHead(bytes));
    if (lineEnd - start > FIRST_LINE_MAX_BYTES) {
      return guessFromLine(this.#line(bytes, start, lineEnd, firstEscape, ended)) ??
        guessHex(this.#hexHead(bytes));
    }
    const cache = ended ? this.#endedLines : this.#wholeLines;
    const hash = hashBytes(bytes, start, lineEnd);
    let label = cache.get(this.#view, bytes, start, lineEnd, hash);
    if (label === undefined) {
      label = guessFromLine(this.#line(bytes, start, lineEnd, firstEscape, ended)) ?? "";
      cache.set(bytes, start, lineEnd, hash, label);
    }
    return label === "" ? guessHex(this.#hexHead(bytes)) : label;
  }

  /** Whether `payload_hex` (plain ASCII) starts with `160301`, `160302` or `160303`. */
  #startsLikeTls(bytes: Uint8Array): boolean {
    const start = this.#starts[PAYLOAD_HEX] as number;
    if ((this.#ends[PAYLOAD_HEX] as number) - start < 6) return false;
    const last = bytes[start + 5];
    return bytes[start] === 0x31 && bytes[start + 1] === 0x36 && bytes[start + 2] === 0x30 &&
      bytes[start + 3] === 0x33 && bytes[start + 4] === 0x30 &&
      (last === 0x31 || last === 0x32 || last === 0x33);
  }

  /** The payload's first line, decoded, without its line ending. */
  #line(
    bytes: Uint8Array,
    start: number,
    end: number,
    firstEscape: number,
    ended: boolean,
  ): string {
    const line = firstEscape < 0 || firstEscape >= end
      ? utf8.decode(bytes.subarray(start, end))
      : decodeString(bytes, start, end);
    return ended && line.endsWith("\r") ? line.slice(0, -1) : line;
  }
}
