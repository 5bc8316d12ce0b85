/**
 * The record written straight as UTF-8 bytes into an output buffer: the same bytes as
 * `TextEncoder.encode(encodeRecord(...))`, without the strings in between. The payload's lossy
 * UTF-8 text is made from its bytes (WHATWG UTF-8 decoding with replacement, then JSON
 * escaping), its hex from a table, and the rest from the flow; one record costs no string the
 * size of the record, no `JSON.stringify` of it and no `encodeInto`.
 *
 * Hand-written because a measured benchmark justified it: 5.3-6.5 us a record through
 * `encodeRecord` and the writer's `encodeInto`, 3.3-3.6 us this way; scenario 1 of
 * `deno task bench` at 60,000 connections went from a median of 39 to 35 us per connection.
 * `tests/record/record_bytes_test.ts` holds it to `encodeRecord`'s bytes.
 *
 * @module
 */
import type { Flow, RecordMarks } from "./record.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The JSON escape of each ASCII byte below 0x20 and of `"` and `\`, as JSON.stringify writes it:
 * byte b's escape is `ESCAPE_LENGTHS[b]` bytes from `ESCAPE_BYTES[6 * b]`; length 0 for a byte
 * written as it is.
 */
const ESCAPE_BYTES = new Uint8Array(128 * 6);
const ESCAPE_LENGTHS = new Uint8Array(128);
for (let byte = 0; byte < 128; byte++) {
  if (byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH) continue;
  const escape = JSON.stringify(String.fromCharCode(byte)).slice(1, -1);
  ESCAPE_LENGTHS[byte] = escape.length;
  for (let i = 0; i < escape.length; i++) ESCAPE_BYTES[byte * 6 + i] = escape.charCodeAt(i);
}

/** Two lowercase hex digits per byte value, as ASCII codes: `HEX[2 * b]`, `HEX[2 * b + 1]`. */
const HEX = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const digits = b.toString(16).padStart(2, "0");
  HEX[2 * b] = digits.charCodeAt(0);
  HEX[2 * b + 1] = digits.charCodeAt(1);
}

const textEncoder = new TextEncoder();

/** Standard field names, which an extra field never replaces. */
const STANDARD_FIELDS: ReadonlySet<string> = new Set([
  "timestamp",
  "payload",
  "payload_hex",
  "source_ip",
  "source_port",
  "destination_ip",
  "destination_port",
  "session_id",
  "transport",
  "sensor_name",
  "seq",
  "timestamp_ms",
  "community_id",
  "silent",
  "truncated",
]);

/** `,"key":` for the extra field names seen so far: there are a few dozen. */
const memberPrefixes = new Map<string, string>();
/** The most extra field names whose prefix is kept. */
const MEMBER_PREFIXES_MAX = 256;

/** Bytes of the record besides its payload and strings: names, punctuation and numbers. */
const FIXED_BYTES = 512;

/**
 * The most bytes {@linkcode writeRecord} writes for a record, without the newline.
 *
 * @param flow The session's flow.
 * @param payloadBytes The payload's length.
 * @param members The extra fields, as {@linkcode extraMembers} gave them.
 * @returns The bound.
 */
export function recordBytesBound(flow: Flow, payloadBytes: number, members: string): number {
  // An escaped control byte takes 6 bytes (\u00XX), its hex 2. A UTF-16 unit of a string takes
  // at most 6 bytes once escaped and encoded, 3 once encoded.
  const strings = flow.sourceIp.length + flow.destinationIp.length + flow.sessionId.length +
    flow.transport.length + flow.sensorName.length + flow.communityId.length;
  return FIXED_BYTES + payloadBytes * 8 + strings * 6 + members.length * 3;
}

/**
 * Writes `text` as the contents of a JSON string, between quotes already written: ASCII quickly,
 * anything else through JSON.stringify's escaping.
 */
function writeStringContents(into: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === QUOTE || c === BACKSLASH) {
      // Rare (an address or id is ASCII): JSON.stringify's escaping, without its quotes.
      const rest = JSON.stringify(text.slice(i)).slice(1, -1);
      return at + textEncoder.encodeInto(rest, into.subarray(at)).written;
    }
    into[at++] = c;
  }
  return at;
}

/** Writes text as UTF-8 (`encodeInto`, a builtin: as fast cold as warm). */
function writeText(into: Uint8Array, at: number, text: string): number {
  if (text.length === 0) return at;
  return at + textEncoder.encodeInto(text, into.subarray(at)).written;
}

/** Writes ASCII text as it is (names and punctuation). */
function writeAscii(into: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) into[at++] = text.charCodeAt(i);
  return at;
}

/** ASCII text as bytes, for the record's fixed parts. */
function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Copies a fixed part (`set`, a builtin: no per-byte loop to warm up). */
function writeBytes(into: Uint8Array, at: number, bytes: Uint8Array): number {
  into.set(bytes, at);
  return at + bytes.length;
}

// The record's fixed parts, between its values.
const OPEN_TIMESTAMP = asciiBytes('{"timestamp":');
const THEN_PAYLOAD = asciiBytes(',"payload":"');
const THEN_PAYLOAD_HEX = asciiBytes('","payload_hex":"');
const THEN_SOURCE_IP = asciiBytes('","source_ip":"');
const THEN_SOURCE_PORT = asciiBytes('","source_port":');
const THEN_DESTINATION_IP = asciiBytes(',"destination_ip":"');
const THEN_DESTINATION_PORT = asciiBytes('","destination_port":');
const THEN_SESSION_ID = asciiBytes(',"session_id":"');
const THEN_TIMESTAMP_MS = asciiBytes(',"timestamp_ms":');
const THEN_COMMUNITY_ID = asciiBytes(',"community_id":"');
const THEN_MARKS_NEITHER = asciiBytes('","silent":false,"truncated":false');
const THEN_MARKS_TRUNCATED = asciiBytes('","silent":false,"truncated":true');
const THEN_MARKS_SILENT = asciiBytes('","silent":true,"truncated":false');
const THEN_MARKS_BOTH = asciiBytes('","silent":true,"truncated":true');

/** `","silent":S,"truncated":T`: the community id's closing quote and the marks. */
function marksPart(marks: RecordMarks): Uint8Array {
  if (marks.silent) return marks.truncated ? THEN_MARKS_BOTH : THEN_MARKS_SILENT;
  return marks.truncated ? THEN_MARKS_TRUNCATED : THEN_MARKS_NEITHER;
}

/** `","transport":T,"sensor_name":N,"seq":` for the last transport and sensor name seen. */
let flowPart = { transport: "", sensorName: "", bytes: new Uint8Array(0) };

/** The part between the session id and the seq: the same for every record of a sensor. */
function transportAndName(transport: string, sensorName: string): Uint8Array {
  const part = flowPart;
  if (part.transport === transport && part.sensorName === sensorName) return part.bytes;
  const text = `","transport":${JSON.stringify(transport)},"sensor_name":${
    JSON.stringify(sensorName)
  },"seq":`;
  flowPart = { transport, sensorName, bytes: textEncoder.encode(text) };
  return flowPart.bytes;
}

/** Writes a number as JSON.stringify does: as `String` does for a finite one, else `null`. */
function writeNumber(into: Uint8Array, at: number, value: number): number {
  return writeAscii(into, at, Number.isFinite(value) ? String(value) : "null");
}

/** U+FFFD as UTF-8. */
function writeReplacement(into: Uint8Array, at: number): number {
  into[at] = 0xef;
  into[at + 1] = 0xbf;
  into[at + 2] = 0xbd;
  return at + 3;
}

/**
 * Writes bytes as the contents of a JSON string holding their lossy UTF-8 text: each valid
 * sequence as it is, each invalid one as U+FFFD under the WHATWG decoder's rules (the maximal
 * subpart of an invalid sequence is one error), then escaped as JSON.stringify escapes.
 */
function writeLossyText(into: Uint8Array, at: number, bytes: Uint8Array): number {
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      const escapeLength = ESCAPE_LENGTHS[lead] ?? 0;
      if (escapeLength === 0) {
        into[at++] = lead;
      } else {
        for (let k = 0; k < escapeLength; k++) into[at++] = ESCAPE_BYTES[lead * 6 + k] ?? 0;
      }
      i++;
      continue;
    }
    let needed: number, lower = 0x80, upper = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      needed = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      needed = 2;
      if (lead === 0xe0) lower = 0xa0;
      else if (lead === 0xed) upper = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      needed = 3;
      if (lead === 0xf0) lower = 0x90;
      else if (lead === 0xf4) upper = 0x8f;
    } else {
      at = writeReplacement(into, at);
      i++;
      continue;
    }
    let seen = 0;
    let j = i + 1;
    while (seen < needed && j < length) {
      const byte = bytes[j] ?? 0;
      if (byte < lower || byte > upper) break;
      lower = 0x80;
      upper = 0xbf;
      seen++;
      j++;
    }
    if (seen === needed) {
      for (let k = i; k < j; k++) into[at++] = bytes[k] ?? 0;
    } else {
      // The bytes read so far are one error; the byte that broke the sequence starts anew.
      at = writeReplacement(into, at);
    }
    i = j;
  }
  return at;
}

function writeHex(into: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const b = (bytes[i] ?? 0) * 2;
    into[at++] = HEX[b] ?? 0;
    into[at++] = HEX[b + 1] ?? 0;
  }
  return at;
}

/**
 * The extra fields as JSON object members (`,"key":value...`), in the order `encodeRecord`
 * writes them.
 *
 * @param extra The extra fields.
 * @returns The members, "" for none; null when only `encodeRecord` itself writes them right: a
 * key that JavaScript orders first (an array index) or that objects inherit (such as
 * `toString`).
 */
export function extraMembers(extra: Readonly<Record<string, unknown>>): string | null {
  let text = "";
  for (const key of Object.keys(extra)) {
    if (STANDARD_FIELDS.has(key)) continue;
    let prefix = memberPrefixes.get(key);
    if (prefix === undefined) {
      const first = key.charCodeAt(0);
      if ((first >= 0x30 && first <= 0x39) || key in Object.prototype) return null;
      prefix = `,${JSON.stringify(key)}:`;
      if (memberPrefixes.size < MEMBER_PREFIXES_MAX) memberPrefixes.set(key, prefix);
    }
    const value = extra[key];
    if (typeof value === "number" && Number.isFinite(value)) {
      text += prefix + String(value);
    } else if (typeof value === "boolean") {
      text += value ? `${prefix}true` : `${prefix}false`;
    } else {
      const json = JSON.stringify(value);
      if (json !== undefined) text += prefix + json;
    }
  }
  return text;
}

/** `,"key":` as bytes for the extra field names seen so far; null for a standard field's. */
const memberPrefixBytes = new Map<string, Uint8Array | null>();

/** The most bytes a finite number takes as JSON (`-1.7976931348623157e+308` is 24). */
const NUMBER_MAX_BYTES = 25;

const TRUE_BYTES = asciiBytes("true");
const FALSE_BYTES = asciiBytes("false");

/**
 * `,"key":` as bytes; null for a standard field (left out); undefined for a key only
 * `encodeRecord` itself writes right (see {@linkcode extraMembers}).
 */
function prefixBytes(key: string): Uint8Array | null | undefined {
  const known = memberPrefixBytes.get(key);
  if (known !== undefined) return known;
  let prefix: Uint8Array | null = null;
  if (!STANDARD_FIELDS.has(key)) {
    const first = key.charCodeAt(0);
    if ((first >= 0x30 && first <= 0x39) || key in Object.prototype) return undefined;
    prefix = textEncoder.encode(`,${JSON.stringify(key)}:`);
  }
  if (memberPrefixBytes.size < MEMBER_PREFIXES_MAX) memberPrefixBytes.set(key, prefix);
  return prefix;
}

/**
 * The most bytes {@linkcode writeRecord} writes for these extra fields when it is given them
 * as they are (numbers, booleans and strings, as the SYN fields are), instead of as
 * {@linkcode extraMembers} text: no string is made for them.
 *
 * @param extra The extra fields.
 * @returns The bound, or -1 when they must go as {@linkcode extraMembers} text: a value that
 * is an object, null or a bigint, or a key that `encodeRecord` alone writes right.
 */
export function membersBytesBound(extra: Readonly<Record<string, unknown>>): number {
  let bound = 0;
  for (const key of Object.keys(extra)) {
    const prefix = prefixBytes(key);
    if (prefix === null) continue;
    if (prefix === undefined) return -1;
    const value = extra[key];
    switch (typeof value) {
      case "number":
        bound += prefix.length + NUMBER_MAX_BYTES;
        break;
      case "boolean":
        bound += prefix.length + FALSE_BYTES.length;
        break;
      case "string":
        // Each UTF-16 unit takes at most 6 bytes escaped (\uXXXX), 3 encoded; and the quotes.
        bound += prefix.length + value.length * 6 + 2;
        break;
      case "undefined":
      case "function":
      case "symbol":
        // JSON leaves such a member out.
        break;
      default:
        return -1;
    }
  }
  return bound;
}

/** Writes the extra fields that {@linkcode membersBytesBound} accepted, as JSON members. */
function writeMembers(
  into: Uint8Array,
  at: number,
  extra: Readonly<Record<string, unknown>>,
): number {
  for (const key of Object.keys(extra)) {
    const prefix = prefixBytes(key);
    if (prefix === null || prefix === undefined) continue;
    const value = extra[key];
    if (typeof value === "number") {
      at = writeBytes(into, at, prefix);
      at = writeNumber(into, at, value);
    } else if (typeof value === "boolean") {
      at = writeBytes(into, at, prefix);
      at = writeBytes(into, at, value ? TRUE_BYTES : FALSE_BYTES);
    } else if (typeof value === "string") {
      at = writeBytes(into, at, prefix);
      into[at++] = QUOTE;
      at = writeStringContents(into, at, value);
      into[at++] = QUOTE;
    }
  }
  return at;
}

/**
 * Writes one record as UTF-8 JSON, without the newline: byte for byte what
 * `new TextEncoder().encode(encodeRecord(flow, seq, payload, timeMs, marks, extra))` gives.
 *
 * @param into Where it goes; it must have {@linkcode recordBytesBound} bytes of room from `at`.
 * @param at Where it starts.
 * @param flow The session's flow.
 * @param seq The record's number within its session, from 1.
 * @param payload The bytes this record carries.
 * @param timeMs When the bytes arrived, in epoch milliseconds.
 * @param marks Whether the record is silent or truncated.
 * @param members The extra fields: as {@linkcode extraMembers} text (not null), or the fields
 * themselves when {@linkcode membersBytesBound} accepted them (its bound is then added to
 * {@linkcode recordBytesBound}'s for no members).
 * @returns Where the record ends.
 */
export function writeRecord(
  into: Uint8Array,
  at: number,
  flow: Flow,
  seq: number,
  payload: Uint8Array,
  timeMs: number,
  marks: RecordMarks,
  members: string | Readonly<Record<string, unknown>>,
): number {
  at = writeBytes(into, at, OPEN_TIMESTAMP);
  at = writeNumber(into, at, Math.floor(timeMs / 1000));
  at = writeBytes(into, at, THEN_PAYLOAD);
  at = writeLossyText(into, at, payload);
  at = writeBytes(into, at, THEN_PAYLOAD_HEX);
  at = writeHex(into, at, payload);
  at = writeBytes(into, at, THEN_SOURCE_IP);
  at = writeStringContents(into, at, flow.sourceIp);
  at = writeBytes(into, at, THEN_SOURCE_PORT);
  at = writeNumber(into, at, flow.sourcePort);
  at = writeBytes(into, at, THEN_DESTINATION_IP);
  at = writeStringContents(into, at, flow.destinationIp);
  at = writeBytes(into, at, THEN_DESTINATION_PORT);
  at = writeNumber(into, at, flow.destinationPort);
  at = writeBytes(into, at, THEN_SESSION_ID);
  at = writeStringContents(into, at, flow.sessionId);
  at = writeBytes(into, at, transportAndName(flow.transport, flow.sensorName));
  at = writeNumber(into, at, seq);
  at = writeBytes(into, at, THEN_TIMESTAMP_MS);
  at = writeNumber(into, at, timeMs);
  at = writeBytes(into, at, THEN_COMMUNITY_ID);
  at = writeStringContents(into, at, flow.communityId);
  at = writeBytes(into, at, marksPart(marks));
  at = typeof members === "string" ? writeText(into, at, members) : writeMembers(into, at, members);
  into[at++] = 0x7d; // }
  return at;
}
