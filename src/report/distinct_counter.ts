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

/** A {@linkcode DistinctCounter} as plain data (structured-cloneable). */
export interface DistinctCounterState {
  /** How many groups. */
  readonly groups: number;
  /** Keys counted exactly before the sketches take over. */
  readonly limit: number;
  /** The exact keys, or null once the sketches took over. */
  readonly keys: readonly string[] | null;
  /** Each exact key's group bits. */
  readonly keyGroups: Uint32Array<ArrayBuffer> | null;
  /** One sketch per group and one for all, or null while exact. */
  readonly sketches: readonly Uint8Array[] | null;
}

/**
 * Counts distinct strings in bounded memory, overall and per group (such as per transport), with
 * one table lookup per key: each key remembers the groups it was seen in.
 */
export class DistinctCounter {
  #exact: Map<string, number> | null = new Map();
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
   */
  add(key: string, group = 0): void {
    const bit = 1 << group;
    if (key === this.#lastKey && bit === this.#lastBit) return;
    this.#lastKey = key;
    this.#lastBit = bit;
    if (this.#exact !== null) {
      const seen = this.#exact.get(key) ?? 0;
      if ((seen & bit) !== 0) return;
      this.#exact.set(key, seen | bit);
      if (this.#exact.size > this.#limit) this.#foldIntoSketches();
      return;
    }
    this.#sketch(key, bit);
  }

  /** Past the limit: every known key goes into the sketches, and the exact set is dropped. */
  #foldIntoSketches(): void {
    const exact = this.#exact;
    if (exact === null) return;
    this.#sketches = Array.from({ length: this.#groups + 1 }, () => new Uint8Array(REGISTERS));
    for (const [known, groups] of exact) this.#sketch(known, groups);
    this.#exact = null;
  }

  /**
   * Adds another counter's keys to this one: the union of the exact sets while it stays within
   * the limit, else the register-wise maximum of the sketches, which is the sketch of the union.
   * Either way the result is what one counter fed every key would hold.
   *
   * @param other A counter with the same groups (left unchanged).
   * @throws {RangeError} When the groups differ.
   */
  merge(other: DistinctCounter): void {
    if (other.#groups !== this.#groups) {
      throw new RangeError(
        `Cannot merge distinct counts: ${other.#groups} groups into ${this.#groups}`,
      );
    }
    const otherExact = other.#exact;
    if (this.#exact !== null && otherExact !== null) {
      for (const [key, groups] of otherExact) {
        this.#exact.set(key, (this.#exact.get(key) ?? 0) | groups);
      }
      if (this.#exact.size > this.#limit) this.#foldIntoSketches();
      return;
    }
    this.#foldIntoSketches();
    if (otherExact !== null) {
      for (const [key, groups] of otherExact) this.#sketch(key, groups);
      return;
    }
    const mine = this.#sketches ?? [];
    for (const [g, registers] of (other.#sketches ?? []).entries()) {
      const into = mine[g];
      if (into === undefined) continue;
      for (let i = 0; i < REGISTERS; i++) {
        const value = registers[i] ?? 0;
        if (value > (into[i] ?? 0)) into[i] = value;
      }
    }
  }

  /**
   * The counter as plain data, for sending to another thread.
   *
   * @returns The state; {@linkcode DistinctCounter.fromState} rebuilds the counter.
   */
  toState(): DistinctCounterState {
    return {
      groups: this.#groups,
      limit: this.#limit,
      keys: this.#exact === null ? null : [...this.#exact.keys()],
      keyGroups: this.#exact === null ? null : Uint32Array.from(this.#exact.values()),
      sketches: this.#sketches === null ? null : this.#sketches.map((r) => r.slice()),
    };
  }

  /**
   * Rebuilds a counter from {@linkcode DistinctCounter.toState}.
   *
   * @param state The state.
   * @returns The counter.
   * @throws {RangeError} When the state does not describe a counter.
   */
  static fromState(state: DistinctCounterState): DistinctCounter {
    const counter = new DistinctCounter(state.groups, state.limit);
    if (state.keys !== null) {
      const groups = state.keyGroups;
      if (groups === null || groups.length !== state.keys.length) {
        throw new RangeError("Cannot rebuild a distinct counter: its keys are malformed");
      }
      const exact = new Map<string, number>();
      for (const [i, key] of state.keys.entries()) exact.set(key, groups[i] ?? 0);
      counter.#exact = exact;
      return counter;
    }
    const sketches = state.sketches ?? [];
    if (
      sketches.length !== state.groups + 1 || sketches.some((r) => r.length !== REGISTERS)
    ) {
      throw new RangeError("Cannot rebuild a distinct counter: its sketches are malformed");
    }
    counter.#exact = null;
    counter.#sketches = sketches.map((r) => r.slice());
    return counter;
  }

  #sketch(key: string, groups: number): void {
    const sketches = this.#sketches ?? [];
    const h = hash32(key);
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
      for (const groups of this.#exact.values()) if ((groups & bit) !== 0) n++;
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
