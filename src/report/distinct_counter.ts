/**
 * Counting distinct keys (sources) in bounded memory: exactly, with a set, up to
 * {@linkcode DISTINCT_EXACT_KEYS} keys; past that the set is folded into a HyperLogLog sketch
 * (Flajolet et al. 2007) of 2^14 registers (16 KiB), whose standard error is 1.04 / sqrt(2^14),
 * about 0.8 %.
 *
 * @module
 */

import { hashString, StringIndex } from "./string_hash.ts";

/** Keys counted exactly before switching to the sketch. */
export const DISTINCT_EXACT_KEYS = 100_000;

const PRECISION_BITS = 14;
const REGISTERS = 1 << PRECISION_BITS;
/** The sketch's relative standard error. */
export const DISTINCT_RELATIVE_ERROR: number = 1.04 / Math.sqrt(REGISTERS);

/** The count of distinct keys and whether it is exact. */
export interface DistinctCount {
  /** Distinct keys seen (an estimate when not exact). */
  readonly count: number;
  /** True while fewer than {@linkcode DISTINCT_EXACT_KEYS} keys were seen. */
  readonly exact: boolean;
}

/**
 * The exact keys and each one's group bits: the keys in a {@linkcode StringIndex} (found by their
 * {@linkcode hashString}, so a caller that knows a key's hash spares its hashing, and nothing is
 * allocated per key but its place in the arrays), the bits by key number.
 */
class KeyBits {
  readonly #index = new StringIndex();
  #bits = new Int32Array(1024);

  get size(): number {
    return this.#index.size;
  }

  /** The group bits of a key (0: not seen). */
  get(key: string, hash: number): number {
    const n = this.#index.find(key, hash);
    return n < 0 ? 0 : this.#bits[n] as number;
  }

  /** Sets the group bits of a key. */
  set(key: string, hash: number, bits: number): void {
    const n = this.#index.add(key, hash);
    if (n >= this.#bits.length) {
      const grown = new Int32Array(2 * this.#bits.length);
      grown.set(this.#bits);
      this.#bits = grown;
    }
    this.#bits[n] = bits;
  }

  /** Each key's group bits, by key number. */
  bits(): Int32Array {
    return this.#bits.subarray(0, this.#index.size);
  }

  /** Each key's hash, by key number. */
  hashes(): Int32Array {
    return this.#index.hashes();
  }
}

/**
 * Counts distinct strings in bounded memory, overall and per group (such as per transport), with
 * one table lookup per key: each key remembers the groups it was seen in.
 */
export class DistinctCounter {
  #exact: KeyBits | null = new KeyBits();
  /** One sketch per group, and the last one for all groups together. */
  #sketches: Uint8Array[] | null = null;
  readonly #limit: number;
  readonly #groups: number;
  /** The last key added and its group bit: adding them again changes nothing. */
  #lastKey: string | undefined = undefined;
  #lastBit = 0;

  /**
   * Creates an empty counter.
   *
   * @param groups How many groups keys are counted in (at most 30).
   * @param exactLimit Keys counted exactly before the sketches take over.
   */
  constructor(groups = 1, exactLimit: number = DISTINCT_EXACT_KEYS) {
    this.#groups = groups;
    this.#limit = exactLimit;
  }

  /**
   * Counts a key.
   *
   * @param key The key.
   * @param group Its group, from 0.
   * @param hash The key's {@linkcode hashString}, when known (else computed when needed).
   */
  add(key: string, group = 0, hash?: number): void {
    const bit = 1 << group;
    if (key === this.#lastKey && bit === this.#lastBit) return;
    this.#lastKey = key;
    this.#lastBit = bit;
    const h = hash ?? hashString(key);
    if (this.#exact !== null) {
      const seen = this.#exact.get(key, h);
      if ((seen & bit) !== 0) return;
      this.#exact.set(key, h, seen | bit);
      if (this.#exact.size > this.#limit) this.#foldIntoSketches();
      return;
    }
    this.#sketch(bit, h);
  }

  /** Past the limit: every known key goes into the sketches, and the exact set is dropped. */
  #foldIntoSketches(): void {
    const exact = this.#exact;
    if (exact === null) return;
    this.#sketches = Array.from({ length: this.#groups + 1 }, () => new Uint8Array(REGISTERS));
    const bits = exact.bits();
    for (const [n, h] of exact.hashes().entries()) this.#sketch(bits[n] ?? 0, h);
    this.#exact = null;
  }

  #sketch(groups: number, hash: number): void {
    const sketches = this.#sketches ?? [];
    const h = hash >>> 0;
    addToSketch(sketches[this.#groups] ?? new Uint8Array(REGISTERS), h);
    for (let g = 0; g < this.#groups; g++) {
      if ((groups & (1 << g)) !== 0) addToSketch(sketches[g] ?? new Uint8Array(REGISTERS), h);
    }
  }

  /**
   * The count so far.
   *
   * @param group One group, or undefined for all.
   * @returns The count, and whether it is exact.
   */
  count(group?: number): DistinctCount {
    if (this.#exact !== null) {
      if (group === undefined) return { count: this.#exact.size, exact: true };
      const bit = 1 << group;
      let n = 0;
      for (const groups of this.#exact.bits()) if ((groups & bit) !== 0) n++;
      return { count: n, exact: true };
    }
    const sketch = this.#sketches?.[group ?? this.#groups] ?? new Uint8Array(REGISTERS);
    return { count: estimate(sketch), exact: false };
  }
}

function addToSketch(registers: Uint8Array, h: number): void {
  const index = h >>> (32 - PRECISION_BITS);
  const rest = (h << PRECISION_BITS) >>> 0;
  const rank = rest === 0 ? 32 - PRECISION_BITS + 1 : Math.clz32(rest) + 1;
  if (rank > (registers[index] ?? 0)) registers[index] = rank;
}

function estimate(registers: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (const value of registers) {
    sum += 2 ** -value;
    if (value === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / REGISTERS);
  const raw = (alpha * REGISTERS * REGISTERS) / sum;
  if (raw <= 2.5 * REGISTERS && zeros > 0) {
    return Math.round(REGISTERS * Math.log(REGISTERS / zeros));
  }
  const two32 = 2 ** 32;
  if (raw > two32 / 30) return Math.round(-two32 * Math.log(1 - raw / two32));
  return Math.round(raw);
}
