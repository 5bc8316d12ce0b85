/**
 * The 32-bit hashes the report's tables use for their keys, so a key's hash can be computed once
 * (by the thread that read it) and handed along with it.
 *
 * @module
 */

/**
 * A 32-bit FNV-1a hash of a string's UTF-16 code units, finished with murmur3's mixer.
 *
 * @param text The string.
 * @returns The hash, a signed 32-bit integer.
 */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A 32-bit hash of an integer (murmur3's mixer).
 *
 * @param value The integer (taken modulo 2^32).
 * @returns The hash, a signed 32-bit integer.
 */
export function hashInteger(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The hash a table uses for a string or integer key.
 *
 * @param key The key.
 * @returns {@linkcode hashString} for a string, else {@linkcode hashInteger}.
 */
export function hashKey(key: unknown): number {
  return typeof key === "string" ? hashString(key) : hashInteger(Number(key));
}
