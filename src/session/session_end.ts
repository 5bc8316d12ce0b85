/**
 * Why a session ended, and how each ending is counted.
 *
 * @module
 */
import type { Stats } from "../output/stats.ts";

/** Why a session ended. */
export type EndReason = "eof" | "reset" | "idle" | "lifetime" | "evicted" | "shutdown";

/**
 * Counts a finished session's ending in the stats. An end of stream and a shutdown have no
 * counter of their own.
 *
 * @param stats The counters.
 * @param reason Why the session ended.
 */
export function countEnd(stats: Stats, reason: EndReason): void {
  switch (reason) {
    case "reset":
      stats.sessionsReset++;
      break;
    case "idle":
      stats.sessionsIdleTimeout++;
      break;
    case "lifetime":
      stats.sessionsLifetimeCap++;
      break;
    case "evicted":
      stats.sessionsEvicted++;
      break;
    case "eof":
    case "shutdown":
      break;
  }
}
