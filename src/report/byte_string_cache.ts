/**
 * Strings made from byte spans, remembered by those bytes: a direct-mapped table of a fixed number
 * of slots, each holding one span's bytes (up to a fixed length) and the string made from them.
 * Equal spans then give the very same string object, which is made and hashed once instead of
 * once per record, and compares by identity in the aggregate's maps. A new span takes its slot
 * over from whatever was there, so memory is bounded by `slots * maxBytes` bytes plus the strings.
 *
 * @module
 */

/**
 * A 32-bit hash of a byte span (FNV-1a over every byte, then murmur3's mixer), to pick its slot.
 * Callers hash only the short spans they may cache.
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A bounded, direct-mapped table from byte spans to strings. */
export class ByteStringCache<V extends string = string> {
  readonly #mask: number;
  readonly #maxBytes: number;
  readonly #store: Uint8Array;
  readonly #storeView: DataView;
  /** Each slot's span length, -1 when empty. */
  readonly #lengths: Int32Array;
  readonly #hashes: Int32Array;
  readonly #values: (V | undefined)[];

  /**
   * Creates an empty table.
   *
   * @param slots How many spans are remembered (a power of two).
   * @param maxBytes The longest span remembered; longer ones are never found.
   */
  constructor(slots: number, maxBytes: number) {
    if (!Number.isInteger(Math.log2(slots))) {
      throw new RangeError(`Cannot make a string cache: ${slots} slots is not a power of two`);
    }
    this.#mask = slots - 1;
    this.#maxBytes = maxBytes;
    this.#store = new Uint8Array(slots * maxBytes);
    this.#storeView = new DataView(this.#store.buffer);
    this.#lengths = new Int32Array(slots).fill(-1);
    this.#hashes = new Int32Array(slots);
    this.#values = new Array<V | undefined>(slots).fill(undefined);
  }

  /**
   * The string remembered for a span.
   *
   * @param view The buffer, as a view of the same bytes as `bytes` (compared four bytes at once).
   * @param bytes The buffer.
   * @param start The span's first byte.
   * @param end The byte after the span.
   * @param hash {@linkcode hashBytes} of the span.
   * @returns The string, or undefined when the span is not remembered.
   */
  get(view: DataView, bytes: Uint8Array, start: number, end: number, hash: number): V | undefined {
    const slot = hash & this.#mask;
    const length = end - start;
    if (this.#lengths[slot] !== length || this.#hashes[slot] !== hash) return undefined;
    const store = this.#storeView;
    const base = slot * this.#maxBytes;
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      if (store.getInt32(base + i) !== view.getInt32(start + i)) return undefined;
    }
    for (; i < length; i++) {
      if (this.#store[base + i] !== bytes[start + i]) return undefined;
    }
    return this.#values[slot];
  }

  /**
   * Remembers the string of a span (nothing when the span is longer than the table's limit).
   *
   * @param bytes The buffer.
   * @param start The span's first byte.
   * @param end The byte after the span.
   * @param hash {@linkcode hashBytes} of the span.
   * @param value The string.
   */
  set(bytes: Uint8Array, start: number, end: number, hash: number, value: V): void {
    const length = end - start;
    if (length > this.#maxBytes) return;
    const slot = hash & this.#mask;
    this.#store.set(bytes.subarray(start, end), slot * this.#maxBytes);
    this.#lengths[slot] = length;
    this.#hashes[slot] = hash;
    this.#values[slot] = value;
  }
}
