/**
 * Session ids: UUIDv7 (RFC 9562) from `@std/uuid/v7`, so that ids sort by the time their session
 * began.
 *
 * @module
 */
import { generateUuidV7 } from "../std.ts";

/** The largest time a UUIDv7 holds: its first 48 bits, in epoch milliseconds. */
const MAX_UUID_V7_TIME_MS = 0xffff_ffff_ffff;

/**
 * Makes a new session id: a UUIDv7 whose first 48 bits are the time in epoch milliseconds,
 * followed by the version, 12 random bits, the variant and 62 random bits.
 *
 * @param timeMs When the session began, epoch milliseconds; now by default.
 * @returns The id as lowercase hyphenated text.
 * @throws {RangeError} When the time is not an integer from 0 to 2^48 - 1.
 */
export function newSessionId(timeMs: number = Date.now()): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > MAX_UUID_V7_TIME_MS) {
    throw new RangeError(`Cannot make a session id for time ${timeMs}: not a 48-bit integer`);
  }
  return generateUuidV7(timeMs);
}
