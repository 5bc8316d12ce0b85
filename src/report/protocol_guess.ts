/**
 * A one-line label for what a session sent first: an HTTP request line, an SSH version, TLS with
 * its SNI, another printable first line, or the first bytes in hex.
 *
 * @module
 */

/** The longest label, in characters (the rest is cut and marked with "..."). */
export const GUESS_MAX_CHARS = 72;
/** Bytes shown in hex for a binary payload. */
export const GUESS_HEX_BYTES = 12;

const HTTP_REQUEST = /^[A-Z][A-Z_-]{1,15} \S{1,2048} (?:HTTP|RTSP|SIP)\/\d(?:\.\d)?$/;
const PRINTABLE = /^[\x20-\x7e\t]+$/;

function cut(text: string): string {
  return text.length <= GUESS_MAX_CHARS ? text : `${text.slice(0, GUESS_MAX_CHARS - 3)}...`;
}

function firstLine(payload: string): string {
  const end = payload.search(/\r?\n/);
  return end < 0 ? payload : payload.slice(0, end);
}

/** What the guess looks at: a record's payload and TLS fields. */
export interface GuessInput {
  /** The payload as lossy UTF-8. */
  readonly payload: string;
  /** The payload in hex. */
  readonly payloadHex: string;
  /** The SNI when the record is a ClientHello: a name, null for none, undefined when unknown. */
  readonly tlsSni: string | null | undefined;
  /** Whether the record carries a JA4 (so it is a ClientHello). */
  readonly isClientHello: boolean;
}

/** The characters of `payload_hex` a guess reads: the hex shown, and one to tell if more follow. */
export const GUESS_HEX_HEAD_CHARS = GUESS_HEX_BYTES * 2 + 1;

/**
 * The TLS part of a guess: a label when the record is a ClientHello, carries an SNI field, or its
 * payload starts like a TLS handshake record.
 *
 * @param hexHead The first {@linkcode GUESS_HEX_HEAD_CHARS} characters of `payload_hex` (or all).
 * @param tlsSni The SNI: a name, null for none, undefined when unknown.
 * @param isClientHello Whether the record carries a JA4.
 * @returns `TLS sni=...`, `TLS (no SNI)` or `TLS`; undefined when the payload is not TLS.
 */
export function guessTls(
  hexHead: string,
  tlsSni: string | null | undefined,
  isClientHello: boolean,
): string | undefined {
  if (isClientHello || tlsSni !== undefined || /^160301|^160302|^160303/.test(hexHead)) {
    if (typeof tlsSni === "string") return cut(`TLS sni=${tlsSni}`);
    return tlsSni === null ? "TLS (no SNI)" : "TLS";
  }
  return undefined;
}

/**
 * The label of a payload's first line when the line alone decides it (an SSH version, an HTTP
 * request line, or another printable line of at least three characters).
 *
 * @param line The payload's first line, without its line ending.
 * @returns The label, or undefined when the label is the payload's hex.
 */
export function guessFromLine(line: string): string | undefined {
  if (line.startsWith("SSH-")) return cut(line);
  if (HTTP_REQUEST.test(line)) return cut(line);
  if (line.length >= 3 && PRINTABLE.test(line)) return cut(line);
  return undefined;
}

/**
 * The label of a binary payload: its first bytes in hex.
 *
 * @param hexHead The first {@linkcode GUESS_HEX_HEAD_CHARS} characters of `payload_hex` (or all).
 * @returns `hex 16030100...`, or `(empty)`.
 */
export function guessHex(hexHead: string): string {
  if (hexHead === "") return "(empty)";
  const shown = hexHead.slice(0, GUESS_HEX_BYTES * 2);
  return `hex ${shown}${hexHead.length > shown.length ? "..." : ""}`;
}

/**
 * Guesses the protocol of a session's first payload.
 *
 * @param input The record's payload and TLS fields.
 * @returns A label such as `GET / HTTP/1.1`, `SSH-2.0-Go`, `TLS sni=example.com`,
 *   `TLS (no SNI)`, a printable first line, or `hex 16030100...`.
 */
export function guessProtocol(input: GuessInput): string {
  const hexHead = input.payloadHex.slice(0, GUESS_HEX_HEAD_CHARS);
  return guessTls(hexHead, input.tlsSni, input.isClientHello) ??
    guessFromLine(firstLine(input.payload)) ?? guessHex(hexHead);
}
