/**
 * The 32-bit hashes the report's tables use for their keys, so a key's hash can be computed once
 * (by the thread that read it) and handed along with it.
 *
 * @module
 */

/**
 * A 32-bit FNV-1a hash of a string's UTF-16 code units, finished with murmur3's mixer.
 *
 * @param text The string.
 * @returns The hash, a signed 32-bit integer.
 */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return hashInteger(h);
}

/**
 * A 32-bit hash of an integer: murmur3's finalizer (fmix32), which also finishes
 * {@linkcode hashString} and the byte caches' murmur3.
 *
 * @param value The integer (taken modulo 2^32).
 * @returns The hash, a signed 32-bit integer.
 */
export function hashInteger(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The hash a table uses for a string or integer key.
 *
 * @param key The key.
 * @returns {@linkcode hashString} for a string, else {@linkcode hashInteger}.
 */
export function hashKey(key: unknown): number {
  return typeof key === "string" ? hashString(key) : hashInteger(Number(key));
}

/**
 * A set of strings numbered in the order they were added, found by their hash: open addressing
 * (linear probing, at most half full) over typed arrays, so a caller that knows a string's hash
 * spares hashing it again, and adding a string allocates nothing but its place in the arrays
 * (which double when full).
 */
export class StringIndex {
  /** The strings, by number. */
  readonly keys: string[] = [];
  #hashes = new Int32Array(1024);
  /**
   * Cell i is `#cells[2 * i]`, a string's number plus 1 (0 when empty), and `#cells[2 * i + 1]`,
   * that string's hash: a probe reads one cache line, and the string itself only when the hash
   * matches (in tables of 50,000 sources each probe otherwise missed the cache twice more).
   */
  #cells = new Int32Array(2 * 2048);

  /** How many strings. */
  get size(): number {
    return this.keys.length;
  }

  /**
   * The number of a string.
   *
   * @param key The string.
   * @param hash Its {@linkcode hashString}.
   * @returns Its number, or -1 when it is not in the set.
   */
  find(key: string, hash: number): number {
    return (this.#cells[2 * this.#cell(key, hash)] as number) - 1;
  }

  /**
   * The number of a string, added when it is new.
   *
   * @param key The string.
   * @param hash Its {@linkcode hashString}.
   * @returns Its number (`size - 1` after the call when it was new).
   */
  add(key: string, hash: number): number {
    let i = this.#cell(key, hash);
    const cell = this.#cells[2 * i] as number;
    if (cell !== 0) return cell - 1;
    const n = this.keys.length;
    if (n === this.#hashes.length) {
      this.#grow();
      i = this.#cell(key, hash);
    }
    this.keys.push(key);
    this.#hashes[n] = hash;
    this.#cells[2 * i] = n + 1;
    this.#cells[2 * i + 1] = hash;
    return n;
  }

  /** Each string's hash, by number (a view, valid until the next add). */
  hashes(): Int32Array {
    return this.#hashes.subarray(0, this.keys.length);
  }

  /** Empties the set (its arrays keep their size). */
  clear(): void {
    this.keys.length = 0;
    this.#cells.fill(0);
  }

  /** The cell of a string, or the empty cell where it would go. */
  #cell(key: string, hash: number): number {
    const cells = this.#cells;
    const mask = (cells.length >> 1) - 1;
    for (let i = hash & mask;; i = (i + 1) & mask) {
      const cell = cells[2 * i] as number;
      if (cell === 0 || (cells[2 * i + 1] === hash && this.keys[cell - 1] === key)) return i;
    }
  }

  #grow(): void {
    const size = 2 * this.#hashes.length;
    const hashes = new Int32Array(size);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    const cells = new Int32Array(2 * 2 * size);
    const mask = (cells.length >> 1) - 1;
    for (let n = 0; n < this.keys.length; n++) {
      const hash = hashes[n] as number;
      let i = hash & mask;
      while (cells[2 * i] !== 0) i = (i + 1) & mask;
      cells[2 * i] = n + 1;
      cells[2 * i + 1] = hash;
    }
    this.#cells = cells;
  }
}
