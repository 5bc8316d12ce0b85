/**
 * The bench's payloads: each connection sends bytes that carry a unique token, so that every
 * record the sensor writes can be traced back to the connection, the port it dialled and the
 * exact bytes it sent.
 *
 * @module
 */

/** Every payload starts with this marker, then the run id and the connection's index. */
const MARKER = "SPIPBENCH";
const HEADER = /^SPIPBENCH ([0-9a-f]+) (\d+) /;
const ascii = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** The token a payload carries. */
export interface Token {
  /** The run the payload belongs to. */
  readonly runId: string;
  /** The connection's index within the run, from 0. */
  readonly index: number;
}

/**
 * The token text of connection `index`: `SPIPBENCH <runId> <index> `, the header every payload
 * starts with.
 *
 * @param runId The run's id.
 * @param index The connection's index.
 * @returns The text.
 */
export function tokenText(runId: string, index: number): string {
  return `${MARKER} ${runId} ${index} `;
}

/**
 * Builds connection `index`'s payload: the header `SPIPBENCH <runId> <index> ` followed by bytes
 * that depend on the index and the offset (binary, not only ASCII), cut or padded to `size`.
 *
 * @param runId The run's id, lowercase hex.
 * @param index The connection's index.
 * @param size The payload's length in bytes; at least the header's length.
 * @returns The payload.
 * @throws {RangeError} When `size` is too small for the header.
 */
export function makePayload(runId: string, index: number, size: number): Uint8Array {
  const header = ascii.encode(tokenText(runId, index));
  if (size < header.length) {
    throw new RangeError(
      `Cannot build a payload of ${size} bytes: the header needs ${header.length}`,
    );
  }
  const bytes = new Uint8Array(size);
  bytes.set(header);
  for (let k = header.length; k < size; k++) bytes[k] = (index * 7 + k * 13) & 0xff;
  return bytes;
}

/**
 * Reads the token at the start of a payload.
 *
 * @param bytes The first bytes of a session, at least the header.
 * @returns The token, or `null` when the bytes do not start with a bench header.
 */
export function parseToken(bytes: Uint8Array): Token | null {
  const match = HEADER.exec(latin1.decode(bytes.subarray(0, 64)));
  if (match === null) return null;
  return { runId: match[1] ?? "", index: Number(match[2]) };
}

const ANYWHERE = /SPIPBENCH ([0-9a-f]+) (\d+) /;

/**
 * Finds a token anywhere in a text (a decrypted HTTP request carries it in a header).
 *
 * @param text The text.
 * @returns The token, or `null` when there is none.
 */
export function findToken(text: string): Token | null {
  const match = ANYWHERE.exec(text);
  if (match === null) return null;
  return { runId: match[1] ?? "", index: Number(match[2]) };
}

/**
 * The port connection `index` dials: the ports `min..max` in turn.
 *
 * @param index The connection's index.
 * @param min The lowest port.
 * @param max The highest port.
 * @returns The port.
 */
export function portFor(index: number, min: number, max: number): number {
  return min + (index % (max - min + 1));
}

/**
 * A fresh run id: 8 random lowercase hex digits.
 *
 * @returns The id.
 */
export function newRunId(): string {
  return crypto.getRandomValues(new Uint8Array(4)).toHex();
}
