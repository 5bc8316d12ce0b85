/**
 * Bounded top-N counting with the Space-Saving algorithm (Metwally, Agrawal, El Abbadi, 2005).
 *
 * A table of at most `capacity` keys is kept. A key already in the table has its count raised.
 * A new key fills a free slot; when the table is full it takes the slot of the key with the
 * smallest count, inheriting that count as its possible error. So memory is bounded by the
 * capacity, whatever the input, and for every key reported:
 *
 * - `count - error <= true count <= count`;
 * - every key whose true count exceeds `total / capacity` is in the table.
 *
 * While no key was ever evicted every count is exact (error 0). The smallest count is found with
 * a binary min-heap over the slots, so each offer costs O(log capacity) at worst.
 *
 * Keys are found through an open-addressing table of slot numbers (linear probing, at most half
 * full, deletion by shifting back), all in typed arrays made once: an eviction rewrites a few
 * numbers instead of deleting from and adding to a `Map`, so a table that evicts all the time
 * makes no garbage. A caller that already knows a key's hash ({@linkcode hashKey}) passes it.
 *
 * @module
 */
import { firstInOrder } from "./first_in_order.ts";
import { hashKey } from "./string_hash.ts";
import type { TopList } from "./summary.ts";

/** One counted key. */
export interface CountedKey<K> {
  /** The key. */
  readonly key: K;
  /** Its count: an upper bound of the true count. */
  readonly count: number;
  /** How much of the count may be inherited from evicted keys (0: exact). */
  readonly error: number;
}

/** A bounded top-N counter. */
export class SpaceSaving<K> {
  /** The most keys the table holds. */
  readonly capacity: number;
  /** Open addressing: each cell holds a slot number plus 1, or 0 when empty. */
  readonly #cells: Int32Array;
  readonly #cellMask: number;
  /** Each slot's key hash. */
  readonly #hashes: Int32Array;
  readonly #keys: K[] = [];
  readonly #counts: Float64Array;
  readonly #errors: Float64Array;
  /** Heap of slots, smallest count first. */
  readonly #heap: Int32Array;
  /** Each slot's index in the heap. */
  readonly #position: Int32Array;
  #total = 0;
  #evictions = 0;

  /**
   * Creates an empty counter.
   *
   * @param capacity The most keys kept (at least 1).
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot count top keys: capacity ${capacity} is not a positive integer`);
    }
    this.capacity = capacity;
    let cells = 2;
    while (cells < 2 * capacity) cells *= 2;
    this.#cells = new Int32Array(cells);
    this.#cellMask = cells - 1;
    this.#hashes = new Int32Array(capacity);
    this.#counts = new Float64Array(capacity);
    this.#errors = new Float64Array(capacity);
    this.#heap = new Int32Array(capacity);
    this.#position = new Int32Array(capacity);
  }

  /**
   * A table that starts from exact counts: the keys that fit, as if each had been offered its
   * count, with the rest counted as evicted (so `floor`, the most a key not in the table may have
   * occurred, is the smallest count kept once any key was left out).
   *
   * @param capacity The most keys kept.
   * @param entries Distinct keys and their exact counts (positive), highest first: the first
   *   `capacity` are kept.
   * @param total The sum of every count, those left out included.
   * @returns The table.
   */
  static fromCounts<K>(
    capacity: number,
    entries: readonly { readonly key: K; readonly count: number }[],
    total: number,
  ): SpaceSaving<K> {
    const table = new SpaceSaving<K>(capacity);
    const kept = entries.slice(0, capacity);
    table.#load(kept.map((e) => ({ key: e.key, count: e.count, error: 0 })));
    table.#total = total;
    table.#evictions = entries.length - kept.length;
    return table;
  }

  /** The sum of all weights offered. */
  get total(): number {
    return this.#total;
  }

  /** How many times a key was evicted to make room (0: every count is exact). */
  get evictions(): number {
    return this.#evictions;
  }

  /** Keys in the table. */
  get size(): number {
    return this.#keys.length;
  }

  /**
   * Counts one occurrence (or `weight` occurrences) of a key.
   *
   * @param key The key.
   * @param weight How many occurrences (positive).
   * @param error Error carried in with the weight (used when merging summaries).
   * @param hash The key's {@linkcode hashKey}, when the caller knows it.
   */
  offer(key: K, weight = 1, error = 0, hash: number = hashKey(key)): void {
    this.#total += weight;
    const slot = this.#find(key, hash);
    if (slot >= 0) {
      this.#counts[slot] = (this.#counts[slot] as number) + weight;
      if (error !== 0) this.#errors[slot] = (this.#errors[slot] as number) + error;
      this.#siftDown(this.#position[slot] as number);
      return;
    }
    const size = this.#keys.length;
    if (size < this.capacity) {
      this.#keys.push(key);
      this.#link(size, hash);
      this.#counts[size] = weight;
      this.#errors[size] = error;
      this.#heap[size] = size;
      this.#position[size] = size;
      this.#siftUp(size);
      return;
    }
    const smallest = this.#heap[0] ?? 0;
    this.#unlink(smallest);
    this.#keys[smallest] = key;
    this.#link(smallest, hash);
    const inherited = this.#counts[smallest] ?? 0;
    this.#errors[smallest] = inherited + error;
    this.#counts[smallest] = inherited + weight;
    this.#evictions++;
    this.#siftDown(0);
  }

  /** The slot of a key, or -1. */
  #find(key: K, hash: number): number {
    const cells = this.#cells;
    const mask = this.#cellMask;
    const hashes = this.#hashes;
    const keys = this.#keys;
    for (let i = hash & mask;; i = (i + 1) & mask) {
      const cell = cells[i] as number;
      if (cell === 0) return -1;
      const slot = cell - 1;
      if (hashes[slot] === hash && keys[slot] === key) return slot;
    }
  }

  /** Enters a slot (its key already set) in the cells. */
  #link(slot: number, hash: number): void {
    const cells = this.#cells;
    const mask = this.#cellMask;
    this.#hashes[slot] = hash;
    let i = hash & mask;
    while (cells[i] !== 0) i = (i + 1) & mask;
    cells[i] = slot + 1;
  }

  /** Removes a slot from the cells, shifting back the cells after it that probed past it. */
  #unlink(slot: number): void {
    const cells = this.#cells;
    const mask = this.#cellMask;
    const hashes = this.#hashes;
    let hole = (hashes[slot] as number) & mask;
    while (cells[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let i = (hole + 1) & mask;; i = (i + 1) & mask) {
      const cell = cells[i] as number;
      if (cell === 0) break;
      const home = (hashes[cell - 1] as number) & mask;
      // The cell may move into the hole unless its home lies cyclically in (hole, i].
      const stays = hole <= i ? home > hole && home <= i : home > hole || home <= i;
      if (!stays) {
        cells[hole] = cell;
        hole = i;
      }
    }
    cells[hole] = 0;
  }

  /**
   * The count of one key.
   *
   * @param key The key.
   * @returns Its count and error; a key not in the table may have occurred up to the smallest
   *   count in the table (0 when no key was evicted).
   */
  get(key: K): CountedKey<K> {
    const slot = this.#find(key, hashKey(key));
    if (slot >= 0) {
      return { key, count: this.#counts[slot] ?? 0, error: this.#errors[slot] ?? 0 };
    }
    const floor = this.floor;
    return { key, count: floor, error: floor };
  }

  /**
   * The keys with the highest counts.
   *
   * @param n How many at most.
   * @returns Highest count first; ties in the order keys compare as text.
   */
  top(n: number): CountedKey<K>[] {
    const counts = this.#counts;
    const keys = this.#keys;
    const slots = Array.from(keys, (_, slot) => slot);
    return firstInOrder(
      slots,
      n,
      (a, b) =>
        (counts[b] as number) - (counts[a] as number) ||
        String(keys[a]).localeCompare(String(keys[b])),
    ).map((slot) => ({
      key: keys[slot] as K,
      count: counts[slot] as number,
      error: this.#errors[slot] as number,
    }));
  }

  /** Every key in the table, in no order. */
  entries(): CountedKey<K>[] {
    return this.#keys.map((key, slot) => ({
      key,
      count: this.#counts[slot] ?? 0,
      error: this.#errors[slot] ?? 0,
    }));
  }

  /**
   * Adds another summary's counts to this one (mergeable summaries, Agarwal et al. 2012): a key
   * missing from a summary that evicted keys may have occurred up to that summary's smallest
   * count, which is added to its count and its error. Of the combined keys the `capacity` with
   * the highest counts are kept; every dropped key's combined count is at most the smallest kept
   * one, so `floor` still bounds every key not in the table, and `count - error <= true count <=
   * count` holds for every kept key. Each dropped key counts as an eviction, so the result is
   * exact only when both summaries were exact and their keys fit together.
   *
   * @param other The other summary (left unchanged).
   */
  merge(other: SpaceSaving<K>): void {
    const floor = this.floor;
    const otherFloor = other.floor;
    const size = this.#keys.length;
    const keys: K[] = [...this.#keys];
    const counts: number[] = [];
    const errors: number[] = [];
    for (let slot = 0; slot < size; slot++) {
      counts.push((this.#counts[slot] ?? 0) + otherFloor);
      errors.push((this.#errors[slot] ?? 0) + otherFloor);
    }
    for (const [otherSlot, key] of other.#keys.entries()) {
      const count = other.#counts[otherSlot] ?? 0;
      const error = other.#errors[otherSlot] ?? 0;
      const slot = this.#find(key, other.#hashes[otherSlot] as number);
      if (slot < 0) {
        keys.push(key);
        counts.push(count + floor);
        errors.push(error + floor);
      } else {
        counts[slot] = (counts[slot] ?? 0) + count - otherFloor;
        errors[slot] = (errors[slot] ?? 0) + error - otherFloor;
      }
    }
    let order = keys.map((_, i) => i);
    let dropped = 0;
    if (keys.length > this.capacity) {
      order.sort((x, y) => (counts[y] ?? 0) - (counts[x] ?? 0));
      dropped = keys.length - this.capacity;
      order = order.slice(0, this.capacity);
    }
    this.#load(
      order.map((i) => ({ key: keys[i] as K, count: counts[i] ?? 0, error: errors[i] ?? 0 })),
    );
    this.#total += other.total;
    this.#evictions += other.evictions + dropped;
  }

  /** Replaces the table's keys (at most `capacity`, distinct) and rebuilds the heap. */
  #load(entries: CountedKey<K>[]): void {
    this.#cells.fill(0);
    this.#keys.length = 0;
    for (const [slot, e] of entries.entries()) {
      this.#keys.push(e.key);
      this.#link(slot, hashKey(e.key));
      this.#counts[slot] = e.count;
      this.#errors[slot] = e.error;
      this.#heap[slot] = slot;
      this.#position[slot] = slot;
    }
    for (let i = (entries.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  /** The most a key not in the table may have occurred: the smallest count once a key was evicted, else 0. */
  get floor(): number {
    return this.#evictions === 0 ? 0 : this.#counts[this.#heap[0] ?? 0] ?? 0;
  }

  /** Moves a slot up the heap while its count is smaller than its parent's. */
  #siftUp(index: number): void {
    const heap = this.#heap;
    const counts = this.#counts;
    const position = this.#position;
    const slot = heap[index] as number;
    const count = counts[slot] as number;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentSlot = heap[parent] as number;
      if (!(count < (counts[parentSlot] as number))) break;
      heap[i] = parentSlot;
      position[parentSlot] = i;
      i = parent;
    }
    heap[i] = slot;
    position[slot] = i;
  }

  /** Moves a slot down the heap while a child's count is smaller (the smaller child first). */
  #siftDown(index: number): void {
    const heap = this.#heap;
    const counts = this.#counts;
    const position = this.#position;
    const size = this.#keys.length;
    const slot = heap[index] as number;
    const count = counts[slot] as number;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      let child = left;
      let childSlot = heap[left] as number;
      let childCount = counts[childSlot] as number;
      const right = left + 1;
      if (right < size) {
        const rightSlot = heap[right] as number;
        const rightCount = counts[rightSlot] as number;
        if (rightCount < childCount) {
          child = right;
          childSlot = rightSlot;
          childCount = rightCount;
        }
      }
      if (!(childCount < count)) break;
      heap[i] = childSlot;
      position[childSlot] = i;
      i = child;
    }
    heap[i] = slot;
    position[slot] = i;
  }
}

/**
 * A table's top keys as the summary lists them.
 *
 * @param table The table.
 * @param n How many at most.
 * @returns The list: exact while the table never evicted a key.
 */
export function topList(table: SpaceSaving<string>, n: number): TopList {
  return {
    entries: table.top(n).map((e) => ({ label: e.key, count: e.count, error: e.error })),
    total: table.total,
    exact: table.evictions === 0,
    capacity: table.capacity,
  };
}
