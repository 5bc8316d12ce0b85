/**
 * Sessions per source, per group (transport), for the top sources of `spip report`: exact while
 * the distinct-source counter still knows every source by number, then Space-Saving.
 *
 * While the {@linkcode DistinctCounter} of sources counts exactly (up to `DISTINCT_EXACT_KEYS`
 * sources), each source has a number there, and its sessions are counted in an array by that
 * number: one increment per session, where a Space-Saving table did a hash lookup and, once full,
 * an eviction and a sift through its heap for nearly every session of a rarely seen source. When
 * the counter folds into its sketches, the counts become one Space-Saving table per group
 * ({@linkcode SpaceSaving.fromCounts}: the `capacity` highest counts, the rest counted as evicted,
 * so every bound still holds) and each later session is offered to it.
 *
 * Why: on the 1 GB bench file (50,000 sources, most seen a few times) the Space-Saving table of
 * sources cost the report's main thread about 0.35 s of CPU; see docs/report.md. The top sources
 * are also exact now for up to `DISTINCT_EXACT_KEYS` sources, instead of 8,192.
 *
 * @module
 */
import { firstInOrder, largestFirst } from "./first_in_order.ts";
import { SpaceSaving, topList } from "./space_saving.ts";
import type { TopList } from "./summary.ts";

/** Counts sessions per source and group; see the module documentation. */
export class SourceSessions {
  readonly #capacity: number;
  readonly #exactLimit: number;
  /** Per group, sessions by source number, while exact. */
  #counts: Float64Array[];
  readonly #totals: number[];
  /** Per group, the table that counts once the numbers are gone; null while exact. */
  #tables: SpaceSaving<string>[] | null = null;

  /**
   * @param groups How many groups.
   * @param capacity Keys per Space-Saving table once exact counting ends.
   * @param exactLimit The most sources the counter numbers (for the lists' `capacity` while exact).
   */
  constructor(groups: number, capacity: number, exactLimit: number) {
    this.#capacity = capacity;
    this.#exactLimit = exactLimit;
    this.#counts = Array.from({ length: groups }, () => new Float64Array(1024));
    this.#totals = Array.from({ length: groups }, () => 0);
  }

  /** Whether sessions are still counted exactly, by source number. */
  get exact(): boolean {
    return this.#tables === null;
  }

  /**
   * Counts one session of a source.
   *
   * @param group Its group.
   * @param source The source's number in the distinct counter (used while exact; -1 once it
   *   folded).
   * @param key The source (used once exact counting has ended).
   * @param hash The source's `hashString`.
   */
  add(group: number, source: number, key: string, hash: number): void {
    const tables = this.#tables;
    if (tables !== null) {
      tables[group]?.offer(key, 1, 0, hash);
      return;
    }
    let counts = this.#counts[group] as Float64Array;
    if (source >= counts.length) {
      let size = counts.length;
      while (size <= source) size *= 2;
      const grown = new Float64Array(size);
      grown.set(counts);
      this.#counts[group] = counts = grown;
    }
    counts[source] = (counts[source] as number) + 1;
    this.#totals[group] = (this.#totals[group] as number) + 1;
  }

  /**
   * Ends exact counting: makes each group's Space-Saving table from its counts. Give it as the
   * distinct counter's `onFold`.
   *
   * @param keys The sources, by number.
   */
  fold(keys: readonly string[]): void {
    if (this.#tables !== null) return;
    this.#tables = this.#counts.map((counts, group) => {
      const numbers = counted(counts, keys);
      // Highest first; ties in the order the sources came.
      numbers.sort((a, b) => (counts[b] as number) - (counts[a] as number) || a - b);
      return SpaceSaving.fromCounts(
        this.#capacity,
        numbers.map((n) => ({ key: keys[n] as string, count: counts[n] as number })),
        this.#totals[group] as number,
      );
    });
    this.#counts = [];
  }

  /**
   * A group's top sources.
   *
   * @param group The group.
   * @param n How many at most.
   * @param keys The sources by number (the distinct counter's, while exact).
   * @returns Highest count first; ties in the order sources compare as text.
   */
  top(group: number, n: number, keys: readonly string[]): TopList {
    const tables = this.#tables;
    if (tables !== null) return topList(tables[group] ?? new SpaceSaving<string>(1), n);
    const counts = this.#counts[group] ?? new Float64Array(0);
    const top = firstInOrder(
      contenders(counts, keys.length, n),
      n,
      (a, b) =>
        (counts[b] as number) - (counts[a] as number) ||
        (keys[a] as string).localeCompare(keys[b] as string),
    );
    return {
      entries: top.map((s) => ({ label: keys[s] as string, count: counts[s] as number, error: 0 })),
      total: this.#totals[group] as number,
      exact: true,
      capacity: this.#exactLimit,
    };
  }
}

/** The numbers of the sources with sessions in `counts`. */
function counted(counts: Float64Array, keys: readonly string[]): number[] {
  const numbers: number[] = [];
  for (let n = 0; n < keys.length && n < counts.length; n++) {
    if ((counts[n] as number) > 0) numbers.push(n);
  }
  return numbers;
}

/**
 * The numbers of the sources with sessions in `counts` that may be among the `n` with the most:
 * those with at least as many sessions as the `n`-th most (all of them when fewer than `n` have
 * any), in number order. A number test first, so that the comparison with its text tie-break
 * (`localeCompare`) runs only on these.
 */
function contenders(counts: Float64Array, sources: number, n: number): number[] {
  const end = Math.min(sources, counts.length);
  const best = largestFirst(counts, 0, end, n);
  const last = best[best.length - 1];
  if (last === undefined) return [];
  const least = best.length < Math.floor(n) ? 0 : (counts[last] as number);
  const numbers: number[] = [];
  for (let s = 0; s < end; s++) {
    const count = counts[s] as number;
    if (count > 0 && count >= least) numbers.push(s);
  }
  return numbers;
}
