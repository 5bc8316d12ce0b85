/**
 * Counting distinct keys (sources) in bounded memory: exactly, with a set, up to
 * {@linkcode DISTINCT_EXACT_KEYS} keys; past that the set is folded into a HyperLogLog sketch
 * (Flajolet et al. 2007) of 2^14 registers (16 KiB), whose standard error is 1.04 / sqrt(2^14),
 * about 0.8 %.
 *
 * @module
 */

import { hashString } from "./string_hash.ts";

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
 * The exact keys and each one's group bits: an open-addressing table (linear probing, at most half
 * full) of key numbers, found by the keys' {@linkcode hashString}, so a caller that knows a key's
 * hash spares its hashing and nothing is allocated per key but its place in the arrays.
 */
class KeyBits {
  keys: string[] = [];
  #hashes = new Int32Array(1024);
  #bits = new Int32Array(1024);
  /** Each cell: a key number plus 1, or 0 when empty. */
  #cells = new Int32Array(2048);

  get size(): number {
    return this.keys.length;
  }

  /** The group bits of a key (0: not seen). */
  get(key: string, hash: number): number {
    const i = this.#cell(key, hash);
    const cell = this.#cells[i] as number;
    return cell === 0 ? 0 : this.#bits[cell - 1] as number;
  }

  /** Sets the group bits of a key. */
  set(key: string, hash: number, bits: number): void {
    const i = this.#cell(key, hash);
    const cell = this.#cells[i] as number;
    if (cell !== 0) {
      this.#bits[cell - 1] = bits;
      return;
    }
    const n = this.keys.length;
    if (n === this.#hashes.length) {
      this.#grow();
      this.set(key, hash, bits);
      return;
    }
    this.keys.push(key);
    this.#hashes[n] = hash;
    this.#bits[n] = bits;
    this.#cells[i] = n + 1;
  }

  /** Each key's group bits, in the order of `keys`. */
  bits(): Int32Array {
    return this.#bits.subarray(0, this.keys.length);
  }

  /** Each key's hash, in the order of `keys`. */
  hashes(): Int32Array {
    return this.#hashes.subarray(0, this.keys.length);
  }

  /** The cell of a key, or the empty cell where it would go. */
  #cell(key: string, hash: number): number {
    const cells = this.#cells;
    const mask = cells.length - 1;
    for (let i = hash & mask;; i = (i + 1) & mask) {
      const cell = cells[i] as number;
      if (cell === 0) return i;
      if (this.#hashes[cell - 1] === hash && this.keys[cell - 1] === key) return i;
    }
  }

  #grow(): void {
    const size = 2 * this.#hashes.length;
    const hashes = new Int32Array(size);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    const bits = new Int32Array(size);
    bits.set(this.#bits);
    this.#bits = bits;
    const cells = new Int32Array(2 * size);
    const mask = cells.length - 1;
    for (let n = 0; n < this.keys.length; n++) {
      let i = (hashes[n] as number) & mask;
      while (cells[i] !== 0) i = (i + 1) & mask;
      cells[i] = n + 1;
    }
    this.#cells = cells;
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
      const bits = otherExact.bits();
      const hashes = otherExact.hashes();
      for (const [n, key] of otherExact.keys.entries()) {
        const h = hashes[n] ?? 0;
        this.#exact.set(key, h, this.#exact.get(key, h) | (bits[n] ?? 0));
      }
      if (this.#exact.size > this.#limit) this.#foldIntoSketches();
      return;
    }
    this.#foldIntoSketches();
    if (otherExact !== null) {
      const bits = otherExact.bits();
      for (const [n, h] of otherExact.hashes().entries()) this.#sketch(bits[n] ?? 0, h);
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
      keys: this.#exact === null ? null : [...this.#exact.keys],
      keyGroups: this.#exact === null ? null : Uint32Array.from(this.#exact.bits()),
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
      const exact = new KeyBits();
      for (const [i, key] of state.keys.entries()) exact.set(key, hashString(key), groups[i] ?? 0);
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
