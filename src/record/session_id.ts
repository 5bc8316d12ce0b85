/**
 * Session ids: UUIDv7 (RFC 9562), so that ids sort by the time their session began.
 *
 * Every connection gets one, so they are made without `BigInt` and with random bytes taken from a
 * pool that one `crypto.getRandomValues` call refills every 409 ids, instead of one call per id.
 *
 * @module
 */

/** Random bytes each id takes: its 74 random bits, rounded up. */
const RANDOM_BYTES_PER_ID = 10;
/** Ids made between two refills of the pool. */
const IDS_PER_REFILL = 409;
const POOL_BYTES = IDS_PER_REFILL * RANDOM_BYTES_PER_ID;

const pool = new Uint8Array(POOL_BYTES);
let taken = POOL_BYTES;

const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

function hexByte(byte: number): string {
  return HEX[byte] ?? "00";
}

/**
 * Makes a new session id: a UUIDv7 whose first 48 bits are the time in epoch milliseconds,
 * followed by the version, 12 random bits, the variant and 62 random bits.
 *
 * @param timeMs When the session began, epoch milliseconds; now by default.
 * @returns The id as lowercase hyphenated text.
 * @throws {RangeError} When the time is not an integer from 0 to 2^48 - 1.
 */
export function newSessionId(timeMs: number = Date.now()): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > 0xffff_ffff_ffff) {
    throw new RangeError(`Cannot make a session id for time ${timeMs}: not a 48-bit integer`);
  }
  if (taken + RANDOM_BYTES_PER_ID > POOL_BYTES) {
    crypto.getRandomValues(pool);
    taken = 0;
  }
  const r = taken;
  taken += RANDOM_BYTES_PER_ID;
  const byte = (i: number): string => hexByte(pool[r + i] ?? 0);
  const time = timeMs.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8)}-` +
    `${hexByte(0x70 | ((pool[r] ?? 0) & 0x0f))}${byte(1)}-` +
    `${hexByte(0x80 | ((pool[r + 2] ?? 0) & 0x3f))}${byte(3)}-` +
    `${byte(4)}${byte(5)}${byte(6)}${byte(7)}${byte(8)}${byte(9)}`;
}
