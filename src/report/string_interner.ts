/**
 * Turns short ASCII byte spans into strings, handing out the same string object for the same
 * bytes while it stays in a fixed-size table. Repeated values (source addresses, fingerprints,
 * `tcp`) then cost no decode and no new string, and the maps that count them find their cached
 * hash. The table is a cache: a slot taken by other bytes is simply overwritten, so memory is
 * bounded by {@linkcode INTERN_SLOTS} strings of at most {@linkcode INTERN_MAX_BYTES} bytes.
 *
 * @module
 */

/** Slots in the table (a power of two). */
export const INTERN_SLOTS = 1 << 16;
/** The longest span interned, in bytes; longer spans are decoded each time. */
export const INTERN_MAX_BYTES = 256;

const MASK = INTERN_SLOTS - 1;
const latin1 = new TextDecoder("latin1");

/** A cache of strings made from ASCII byte spans. */
export class StringInterner {
  readonly #strings: (string | undefined)[] = new Array(INTERN_SLOTS).fill(undefined);
  readonly #hashes = new Int32Array(INTERN_SLOTS);

  /**
   * The string of an ASCII span (every byte below 0x80; the caller checks).
   *
   * @param bytes The buffer.
   * @param start The span's first byte.
   * @param end The byte after the span.
   * @returns The string, the same object as for earlier equal spans while it stays cached.
   */
  ascii(bytes: Uint8Array, start: number, end: number): string {
    const length = end - start;
    if (length > INTERN_MAX_BYTES) return latin1.decode(bytes.subarray(start, end));
    let h = 0x811c9dc5 ^ length;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
    h ^= h >>> 15;
    const slot = h & MASK;
    const known = this.#strings[slot];
    if (known !== undefined && this.#hashes[slot] === h && known.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (known.charCodeAt(i) !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return known;
    }
    const made = length <= 16
      ? String.fromCharCode(...bytes.subarray(start, end))
      : latin1.decode(bytes.subarray(start, end));
    this.#strings[slot] = made;
    this.#hashes[slot] = h;
    return made;
  }
}
