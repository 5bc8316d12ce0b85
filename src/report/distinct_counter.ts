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

  /** The number of a key, added (with group bits 0) when it is new. */
  number(key: string, hash: number): number {
    const index = this.#index;
    const size = index.size;
    const n = index.add(key, hash);
    if (n === size) {
      if (n >= this.#bits.length) {
        const grown = new Int32Array(2 * this.#bits.length);
        grown.set(this.#bits);
        this.#bits = grown;
      }
      this.#bits[n] = 0;
    }
    return n;
  }

  /** The group bits of a key by its number. */
  bitsOf(n: number): number {
    return this.#bits[n] as number;
  }

  /** Sets the group bits of a key by its number. */
  setBits(n: number, bits: number): void {
    this.#bits[n] = bits;
  }

  /** The keys, by number. */
  keys(): readonly string[] {
    return this.#index.keys;
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
 *
 * While it counts exactly, each key has a number (0, 1, ... in the order keys first came), which
 * {@linkcode DistinctCounter.add} returns, so that a caller can keep more per key in arrays by
 * that number (sessions per source, say) without a table of its own; `onFold` tells it when the
 * numbers end.
 */
export class DistinctCounter {
  #exact: KeyBits | null = new KeyBits();
  /** One sketch per group, and the last one for all groups together. */
  #sketches: Uint8Array[] | null = null;
  readonly #limit: number;
  readonly #groups: number;
  readonly #onFold: ((keys: readonly string[]) => void) | undefined;
  /** The last key added, its group bit and its number: adding them again changes nothing. */
  #lastKey: string | undefined = undefined;
  #lastBit = 0;
  #lastNumber = -1;
  /** While exact: keys seen per group, kept as keys come so that counting needs no pass. */
  readonly #groupCounts: Int32Array;

  /**
   * Creates an empty counter.
   *
   * @param groups How many groups keys are counted in (at most 30).
   * @param exactLimit Keys counted exactly before the sketches take over.
   * @param onFold Called once, with the keys by number, when the exact set is about to be
   * dropped for the sketches (by the {@linkcode DistinctCounter.add} of one key past the limit,
   * which then returns -1).
   */
  constructor(
    groups = 1,
    exactLimit: number = DISTINCT_EXACT_KEYS,
    onFold?: (keys: readonly string[]) => void,
  ) {
    this.#groups = groups;
    this.#groupCounts = new Int32Array(groups);
    this.#limit = exactLimit;
    this.#onFold = onFold;
  }

  /** Whether it still counts exactly (and keys have numbers). */
  get exact(): boolean {
    return this.#exact !== null;
  }

  /** The keys by number while it counts exactly; empty once the sketches count. */
  keys(): readonly string[] {
    return this.#exact?.keys() ?? [];
  }

  /**
   * Counts a key.
   *
   * @param key The key.
   * @param group Its group, from 0.
   * @param hash The key's {@linkcode hashString}, when known (else computed when needed).
   * @returns The key's number while the count is exact; -1 once the sketches count.
   */
  add(key: string, group = 0, hash?: number): number {
    const bit = 1 << group;
    if (key === this.#lastKey && bit === this.#lastBit) return this.#lastNumber;
    this.#lastKey = key;
    this.#lastBit = bit;
    const h = hash ?? hashString(key);
    const exact = this.#exact;
    if (exact !== null) {
      // One probe: the key is added if new (then its bits are 0).
      let n = exact.number(key, h);
      const seen = exact.bitsOf(n);
      if ((seen & bit) === 0) {
        exact.setBits(n, seen | bit);
        this.#groupCounts[group] = (this.#groupCounts[group] as number) + 1;
        if (exact.size > this.#limit) {
          this.#foldIntoSketches();
          n = -1;
        }
      }
      this.#lastNumber = n;
      return n;
    }
    this.#lastNumber = -1;
    this.#sketch(bit, h);
    return -1;
  }

  /** Past the limit: every known key goes into the sketches, and the exact set is dropped. */
  #foldIntoSketches(): void {
    const exact = this.#exact;
    if (exact === null) return;
    this.#onFold?.(exact.keys());
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
      return { count: this.#groupCounts[group] ?? 0, exact: true };
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
