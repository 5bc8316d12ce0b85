/**
 * The `[budget]` table of `config.toml`: the per-source session budget.
 *
 * @module
 */
import type { ConfigReader } from "./reader.ts";
import type { TomlDocument } from "./toml_document.ts";

/** The `[budget]` table. */
export interface BudgetConfig {
  /** Sessions recorded per source IP per minute; 0 turns the budget off. Default 0. */
  sessionsPerMinute: number;
  /** Sources remembered at most; past it the one whose window is oldest is forgotten. 10000. */
  maxSources: number;
}

/** Sources remembered by default. */
export const DEFAULT_MAX_SOURCES = 10_000;

/**
 * Reads the `[budget]` table.
 *
 * @param r The table's reader.
 * @returns The budget.
 */
export function readBudgetConfig(r: ConfigReader): BudgetConfig {
  const budget: BudgetConfig = {
    sessionsPerMinute: r.integer("sessions_per_minute", 0, 1_000_000_000, 0),
    maxSources: r.integer("max_sources", 1, 10_000_000, DEFAULT_MAX_SOURCES),
  };
  r.finish();
  return budget;
}

/**
 * The `[budget]` table as `config.toml` writes it: the inverse of {@linkcode readBudgetConfig}.
 *
 * @param budget The resolved budget.
 * @returns The table, every key present.
 */
export function budgetToToml(budget: BudgetConfig): TomlDocument {
  return { sessions_per_minute: budget.sessionsPerMinute, max_sources: budget.maxSources };
}
