/**
 * Strings made from byte spans, remembered by those bytes: a direct-mapped table of a fixed number
 * of slots, each holding one span's bytes (up to a fixed length) and the string made from them.
 * Equal spans then give the very same string object, which is made and hashed once instead of
 * once per record, and compares by identity in the aggregate's maps. A new span takes its slot
 * over from whatever was there, so memory is bounded by `slots * maxBytes` bytes plus the strings.
 *
 * @module
 */

/** Spans up to this long are hashed whole; longer ones by samples. */
const HASHED_WHOLE_BYTES = 12;

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24);
}

/**
 * A quick 32-bit hash of a byte span to pick its slot: its length and its bytes when short, else
 * its length and four bytes each at its start, middle and end (the cache compares every byte
 * anyway, so spans that share those samples only share a slot).
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  let h = Math.imul(length + 1, 0x9e3779b1);
  if (length <= HASHED_WHOLE_BYTES) {
    for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  } else {
    const middle = start + (length >> 1) - 2;
    h = Math.imul(h ^ word(bytes, start), 0x01000193);
    h = Math.imul(h ^ word(bytes, middle), 0x01000193);
    h = Math.imul(h ^ word(bytes, end - 4), 0x01000193);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** A bounded, direct-mapped table from byte spans to strings. */
export class ByteStringCache<V extends string = string> {
  readonly #mask: number;
  readonly #maxBytes: number;
  readonly #store: Uint8Array;
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
    this.#lengths = new Int32Array(slots).fill(-1);
    this.#hashes = new Int32Array(slots);
    this.#values = new Array<V | undefined>(slots).fill(undefined);
  }

  /**
   * The string remembered for a span.
   *
   * @param bytes The buffer.
   * @param start The span's first byte.
   * @param end The byte after the span.
   * @param hash {@linkcode hashBytes} of the span.
   * @returns The string, or undefined when the span is not remembered.
   */
  get(bytes: Uint8Array, start: number, end: number, hash: number): V | undefined {
    const slot = hash & this.#mask;
    const length = end - start;
    if (this.#lengths[slot] !== length || this.#hashes[slot] !== hash) return undefined;
    const store = this.#store;
    const base = slot * this.#maxBytes;
    for (let i = 0; i < length; i++) {
      if (store[base + i] !== bytes[start + i]) return undefined;
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
