/**
 * Counting distinct keys (sources) in bounded memory: exactly, with a set, up to
 * {@linkcode DISTINCT_EXACT_KEYS} keys; past that the set is folded into a HyperLogLog sketch
 * (Flajolet et al. 2007) of 2^14 registers (16 KiB), whose standard error is 1.04 / sqrt(2^14),
 * about 0.8 %.
 *
 * @module
 */

/** Keys counted exactly before switching to the sketch. */
export const DISTINCT_EXACT_KEYS = 100_000;

const PRECISION_BITS = 14;
const REGISTERS = 1 << PRECISION_BITS;
/** The sketch's relative standard error. */
export const DISTINCT_RELATIVE_ERROR: number = 1.04 / Math.sqrt(REGISTERS);

/** A 32-bit FNV-1a hash of a string's UTF-16 code units, finished with murmur3's mixer. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The count of distinct keys and whether it is exact. */
export interface DistinctCount {
  /** Distinct keys seen (an estimate when not exact). */
  readonly count: number;
  /** True while fewer than {@linkcode DISTINCT_EXACT_KEYS} keys were seen. */
  readonly exact: boolean;
}

/** Counts distinct strings in bounded memory. */
export class DistinctCounter {
  #exact: Set<string> | null = new Set();
  #registers: Uint8Array | null = null;
  readonly #limit: number;

  /**
   * Creates an empty counter.
   *
   * @param exactLimit Keys counted exactly before the sketch takes over.
   */
  constructor(exactLimit: number = DISTINCT_EXACT_KEYS) {
    this.#limit = exactLimit;
  }

  /**
   * Counts a key.
   *
   * @param key The key.
   */
  add(key: string): void {
    if (this.#exact !== null) {
      this.#exact.add(key);
      if (this.#exact.size <= this.#limit) return;
      const registers = new Uint8Array(REGISTERS);
      for (const seen of this.#exact) addToSketch(registers, seen);
      this.#registers = registers;
      this.#exact = null;
      return;
    }
    if (this.#registers !== null) addToSketch(this.#registers, key);
  }

  /** The count so far. */
  count(): DistinctCount {
    if (this.#exact !== null) return { count: this.#exact.size, exact: true };
    return { count: estimate(this.#registers ?? new Uint8Array(REGISTERS)), exact: false };
  }
}

function addToSketch(registers: Uint8Array, key: string): void {
  const h = hash32(key);
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
