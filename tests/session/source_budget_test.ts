import { assertEquals } from "../../testing/std.ts";
import { type BudgetSummary, SourceBudget, WINDOW_MS } from "../../src/session/source_budget.ts";

function budget(limit: number, maxSources = 100): [SourceBudget, BudgetSummary[]] {
  const summaries: BudgetSummary[] = [];
  const table = new SourceBudget(
    { sessionsPerMinute: limit, maxSources },
    (s) => summaries.push(s),
  );
  return [table, summaries];
}

Deno.test("SourceBudget admits the first N sessions of a source per window", () => {
  const [table, summaries] = budget(5);
  const t0 = 1_000_000;
  const admitted = Array.from({ length: 20 }, (_, i) => table.admit("192.0.2.1", t0 + i));
  assertEquals(admitted.filter((a) => a).length, 5);
  assertEquals(admitted.slice(0, 5), [true, true, true, true, true]);
  // Another source has its own budget.
  assertEquals(table.admit("192.0.2.2", t0 + 30), true);
  assertEquals(summaries, []);
  // A new window: the source is admitted again, and the old window is summarised once.
  assertEquals(table.admit("192.0.2.1", t0 + WINDOW_MS), true);
  assertEquals(summaries, [{
    type: "budget",
    source_ip: "192.0.2.1",
    suppressed: 15,
    window_start_ms: t0,
    limit: 5,
  }]);
});

Deno.test("SourceBudget.sweep() summarises ended windows once and forgets them", () => {
  const [table, summaries] = budget(1);
  const t0 = 5_000_000;
  table.admit("192.0.2.1", t0);
  table.admit("192.0.2.1", t0 + 1);
  table.admit("192.0.2.1", t0 + 2);
  table.admit("192.0.2.2", t0 + 10);
  table.admit("192.0.2.3", t0 + 20_000);
  table.admit("192.0.2.3", t0 + 20_001);
  table.sweep(t0 + WINDOW_MS - 1);
  assertEquals(summaries.length, 0);
  table.sweep(t0 + WINDOW_MS + 10);
  // 192.0.2.2 was within budget: forgotten without a summary.
  assertEquals(summaries.map((s) => [s.source_ip, s.suppressed]), [["192.0.2.1", 2]]);
  assertEquals(table.size, 1);
  table.sweep(t0 + WINDOW_MS + 10);
  assertEquals(summaries.length, 1);
  table.flush();
  assertEquals(summaries.map((s) => [s.source_ip, s.suppressed]), [
    ["192.0.2.1", 2],
    ["192.0.2.3", 1],
  ]);
  assertEquals(table.size, 0);
});

Deno.test("SourceBudget stays within max_sources, evicting the oldest window and counting it", () => {
  const [table, summaries] = budget(1, 3);
  const t0 = 9_000_000;
  table.admit("10.0.0.1", t0);
  table.admit("10.0.0.1", t0 + 1);
  for (let i = 2; i <= 10; i++) table.admit(`10.0.0.${i}`, t0 + i);
  assertEquals(table.size, 3);
  assertEquals(table.evicted, 7);
  // The evicted over-budget source was summarised, not lost.
  assertEquals(summaries.map((s) => [s.source_ip, s.suppressed]), [["10.0.0.1", 1]]);
  // The newest sources are still remembered.
  assertEquals(table.admit("10.0.0.10", t0 + 20), false);
});
