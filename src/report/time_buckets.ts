/**
 * Sessions over time by port, in bounded memory: at most {@linkcode TIME_BUCKETS_MAX} time
 * buckets, each counting its ports in a Space-Saving table of {@linkcode BUCKET_PORT_KEYS} keys.
 * Buckets start one minute wide; when a new bucket would exceed the limit, the width steps up
 * (5 min, 15 min, 1 h, 6 h, 1 day, 1 week, then doubling) and neighbouring buckets merge.
 *
 * @module
 */
import { SpaceSaving } from "./space_saving.ts";

/** The most time buckets kept. */
export const TIME_BUCKETS_MAX = 240;
/** Ports counted per bucket (Space-Saving capacity). */
export const BUCKET_PORT_KEYS = 32;

const WIDTH_STEPS_SECONDS = [60, 300, 900, 3600, 21600, 86400, 604800];

/** One bucket's counts. */
export interface TimeBucket {
  /** The bucket's start, epoch seconds. */
  readonly start: number;
  /** Sessions in it. */
  readonly total: number;
  /** The sessions of one port in it: a lower bound, exact unless the bucket saw more than its capacity of ports. */
  readonly port: (port: number) => number;
}

interface Bucket {
  total: number;
  ports: SpaceSaving<number>;
}

function nextWidth(width: number): number {
  return WIDTH_STEPS_SECONDS.find((w) => w > width) ?? width * 2;
}

/** Sessions over time by port. */
export class TimeBuckets {
  #width = WIDTH_STEPS_SECONDS[0] ?? 60;
  #buckets = new Map<number, Bucket>();

  /** The buckets' width in seconds. */
  get widthSeconds(): number {
    return this.#width;
  }

  /**
   * Counts a session.
   *
   * @param seconds When it began, epoch seconds.
   * @param port Its port key.
   */
  add(seconds: number, port: number): void {
    let index = Math.floor(seconds / this.#width);
    let bucket = this.#buckets.get(index);
    while (bucket === undefined && this.#buckets.size >= TIME_BUCKETS_MAX) {
      this.#coarsen();
      index = Math.floor(seconds / this.#width);
      bucket = this.#buckets.get(index);
    }
    if (bucket === undefined) {
      bucket = { total: 0, ports: new SpaceSaving<number>(BUCKET_PORT_KEYS) };
      this.#buckets.set(index, bucket);
    }
    bucket.total++;
    bucket.ports.offer(port);
  }

  #coarsen(): void {
    const old = this.#width;
    this.#width = nextWidth(old);
    const merged = new Map<number, Bucket>();
    for (const [index, bucket] of this.#buckets) {
      const target = Math.floor((index * old) / this.#width);
      const into = merged.get(target);
      if (into === undefined) merged.set(target, bucket);
      else {
        into.total += bucket.total;
        into.ports.merge(bucket.ports);
      }
    }
    this.#buckets = merged;
  }

  /** The buckets, earliest first. */
  buckets(): TimeBucket[] {
    return [...this.#buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([index, bucket]) => ({
        start: index * this.#width,
        total: bucket.total,
        port: (port: number) => {
          const counted = bucket.ports.get(port);
          return counted.count - counted.error;
        },
      }));
  }
}
