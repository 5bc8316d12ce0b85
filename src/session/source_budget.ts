/**
 * Per-source session budget: a source that opens more sessions per minute than its budget is
 * still accepted and read, but its extra sessions are only counted.
 *
 * @module
 */
import type { BudgetConfig } from "../config/budget.ts";

/** One source's closed or evicted window in which sessions were suppressed. */
export interface BudgetSummary {
  /** Always "budget". */
  type: "budget";
  /** The source. */
  source_ip: string;
  /** Sessions accepted but not recorded in the window. */
  suppressed: number;
  /** When the window began, epoch ms. */
  window_start_ms: number;
  /** The budget: sessions recorded per window. */
  limit: number;
}

interface Window {
  startMs: number;
  sessions: number;
}

/** The length of a budget window, ms. */
export const WINDOW_MS = 60_000;

/**
 * Counts sessions per source in fixed one-minute windows. {@linkcode SourceBudget.admit} is one
 * Map lookup (and, at a window's start, one delete and one insert). The Map is kept in the order
 * the windows began, so the oldest window is always first: it is the one evicted when the table
 * is full, and {@linkcode SourceBudget.sweep} stops at the first window still open.
 *
 * For every window in which a source was over budget, one summary is reported: when the window
 * is swept after it ended, when the source is evicted, or at {@linkcode SourceBudget.flush}.
 */
export class SourceBudget {
  readonly #limit: number;
  readonly #maxSources: number;
  readonly #windowMs: number;
  readonly #report: (summary: BudgetSummary) => void;
  readonly #windows = new Map<string, Window>();
  /** Sources forgotten to make room under `max_sources` before their window ended. */
  evicted = 0;

  /**
   * @param config The budget; `sessionsPerMinute` must be positive.
   * @param report Receives each summary.
   * @param windowMs The window's length; a minute unless testing.
   */
  constructor(
    config: BudgetConfig,
    report: (summary: BudgetSummary) => void,
    windowMs: number = WINDOW_MS,
  ) {
    this.#limit = config.sessionsPerMinute;
    this.#maxSources = config.maxSources;
    this.#windowMs = windowMs;
    this.#report = report;
  }

  /** Sources remembered now. */
  get size(): number {
    return this.#windows.size;
  }

  #close(ip: string, window: Window): void {
    const suppressed = window.sessions - this.#limit;
    if (suppressed > 0) {
      this.#report({
        type: "budget",
        source_ip: ip,
        suppressed,
        window_start_ms: window.startMs,
        limit: this.#limit,
      });
    }
  }

  /**
   * Counts one session from a source.
   *
   * @param ip The source address.
   * @param now The current time, epoch ms.
   * @returns True when the session is within the budget and is to be recorded.
   */
  admit(ip: string, now: number): boolean {
    let window = this.#windows.get(ip);
    if (window !== undefined && now - window.startMs >= this.#windowMs) {
      this.#close(ip, window);
      this.#windows.delete(ip);
      window = undefined;
    }
    if (window === undefined) {
      if (this.#windows.size >= this.#maxSources) {
        const oldest = this.#windows.entries().next();
        if (!oldest.done) {
          const [oldIp, oldWindow] = oldest.value;
          this.#windows.delete(oldIp);
          this.evicted++;
          this.#close(oldIp, oldWindow);
        }
      }
      window = { startMs: now, sessions: 0 };
      this.#windows.set(ip, window);
    }
    window.sessions++;
    return window.sessions <= this.#limit;
  }

  /**
   * Reports and forgets the windows that have ended.
   *
   * @param now The current time, epoch ms.
   */
  sweep(now: number): void {
    for (const [ip, window] of this.#windows) {
      if (now - window.startMs < this.#windowMs) break;
      this.#windows.delete(ip);
      this.#close(ip, window);
    }
  }

  /** Reports every open window that was over budget, and forgets all; for shutdown. */
  flush(): void {
    for (const [ip, window] of this.#windows) this.#close(ip, window);
    this.#windows.clear();
  }
}
