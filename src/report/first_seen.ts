/**
 * When each key (port, fingerprint) was first seen, in a table of bounded size: past
 * {@linkcode FIRST_SEEN_KEYS} keys, new keys are counted as untracked instead of stored, so the
 * "what is new" lists are then incomplete and say so.
 *
 * @module
 */

/** The most keys remembered per table. */
export const FIRST_SEEN_KEYS = 200_000;

/** A capped table of first-seen times. */
export class FirstSeen<K> {
  readonly #times = new Map<K, number>();
  readonly #limit: number;
  #untracked = 0;

  /**
   * Creates an empty table.
   *
   * @param limit The most keys kept.
   */
  constructor(limit: number = FIRST_SEEN_KEYS) {
    this.#limit = limit;
  }

  /** Occurrences of keys that found the table full (0: the table is complete). */
  get untracked(): number {
    return this.#untracked;
  }

  /**
   * Notes that a key was seen at a time (inputs need not be in time order).
   *
   * @param key The key.
   * @param seconds When, epoch seconds.
   */
  note(key: K, seconds: number): void {
    const known = this.#times.get(key);
    if (known !== undefined) {
      if (seconds < known) this.#times.set(key, seconds);
    } else if (this.#times.size < this.#limit) {
      this.#times.set(key, seconds);
    } else {
      this.#untracked++;
    }
  }

  /**
   * The keys first seen at or after a time.
   *
   * @param seconds The time, epoch seconds.
   * @returns The keys and when they were first seen.
   */
  since(seconds: number): { key: K; firstSeen: number }[] {
    const out: { key: K; firstSeen: number }[] = [];
    for (const [key, firstSeen] of this.#times) {
      if (firstSeen >= seconds) out.push({ key, firstSeen });
    }
    return out;
  }
}
