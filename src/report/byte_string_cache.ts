/**
 * Strings made from byte spans, remembered by those bytes: a direct-mapped table of a fixed number
 * of slots, each holding one span's bytes (up to a fixed length) and the string made from them.
 * Equal spans then give the very same string object, which is made and hashed once instead of
 * once per record, and compares by identity in the aggregate's maps. A new span takes its slot
 * over from whatever was there, so memory is bounded by `slots * maxBytes` bytes plus the strings.
 *
 * @module
 */
import { hashInteger } from "./string_hash.ts";

/**
 * A 32-bit hash of a byte span, to pick its slot: murmur3 (x86, 32-bit) with seed 0, four bytes
 * at a time. Callers hash only the short spans they may cache.
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let shift = 0; i < end; i++, shift += 8) k |= (bytes[i] as number) << shift;
  if (((end - start) & 3) !== 0) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  return hashInteger(h ^ (end - start));
}

/** A bounded, direct-mapped table from byte spans to strings. */
export class ByteStringCache<V extends string = string> {
  readonly #mask: number;
  readonly #maxBytes: number;
  /**
   * 32-bit words per slot: the span's length plus one (0: empty, so that a new table needs no
   * pass over its slots), its hash, then its bytes.
   */
  readonly #stride: number;
  /**
   * Every slot's length, hash and bytes (little-endian words, the last one padded with zeros),
   * side by side so that checking a slot reads one or two cache lines.
   */
  readonly #slots: Int32Array;
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
    this.#stride = 2 + Math.ceil(maxBytes / 4);
    // All zeros: every slot empty. (Marking them -1 took a pass over 32,768 slots per table in
    // each worker, run once and so never optimised: about 18 ms per worker at start.)
    this.#slots = new Int32Array(slots * this.#stride);
    this.#values = new Array<V | undefined>(slots).fill(undefined);
  }

  /**
   * The slot a hash picks: the string found or remembered for a span of that hash is the one of
   * this slot until another span takes the slot over.
   *
   * @param hash {@linkcode hashBytes} of a span.
   * @returns The slot, from 0.
   */
  slotOf(hash: number): number {
    return hash & this.#mask;
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
    const slots = this.#slots;
    const base = slot * this.#stride;
    const length = end - start;
    if (slots[base] !== length + 1 || slots[base + 1] !== hash) return undefined;
    const whole = length >> 2;
    for (let k = 0; k < whole; k++) {
      if (view.getInt32(start + 4 * k, true) !== slots[base + 2 + k]) return undefined;
    }
    if ((length & 3) !== 0 && tailWord(bytes, start + 4 * whole, end) !== slots[base + 2 + whole]) {
      return undefined;
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
    const slots = this.#slots;
    const base = slot * this.#stride;
    slots[base] = length + 1;
    slots[base + 1] = hash;
    const whole = length >> 2;
    for (let k = 0; k < whole; k++) {
      slots[base + 2 + k] = tailWord(bytes, start + 4 * k, start + 4 * k + 4);
    }
    if ((length & 3) !== 0) slots[base + 2 + whole] = tailWord(bytes, start + 4 * whole, end);
    this.#values[slot] = value;
  }
}

/** Up to four bytes as a little-endian 32-bit word, missing high bytes zero. */
function tailWord(bytes: Uint8Array, start: number, end: number): number {
  let word = 0;
  for (let i = end - 1; i >= start; i--) word = (word << 8) | (bytes[i] as number);
  return word;
}
