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

/**
 * Guesses the protocol of a session's first payload.
 *
 * @param input The record's payload and TLS fields.
 * @returns A label such as `GET / HTTP/1.1`, `SSH-2.0-Go`, `TLS sni=example.com`,
 *   `TLS (no SNI)`, a printable first line, or `hex 16030100...`.
 */
export function guessProtocol(input: GuessInput): string {
  const hex = input.payloadHex;
  if (input.isClientHello || input.tlsSni !== undefined || /^160301|^160302|^160303/.test(hex)) {
    if (typeof input.tlsSni === "string") return cut(`TLS sni=${input.tlsSni}`);
    return input.tlsSni === null ? "TLS (no SNI)" : "TLS";
  }
  const line = firstLine(input.payload);
  if (line.startsWith("SSH-")) return cut(line);
  if (HTTP_REQUEST.test(line)) return cut(line);
  if (line.length >= 3 && PRINTABLE.test(line)) return cut(line);
  if (hex === "") return "(empty)";
  const shown = hex.slice(0, GUESS_HEX_BYTES * 2);
  return `hex ${shown}${hex.length > shown.length ? "..." : ""}`;
}
