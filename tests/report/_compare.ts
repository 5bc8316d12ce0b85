/**
 * Compares a report summary with counts computed independently (`_independent_counts.ts`).
 *
 * @module
 */
import { assert, assertEquals } from "../../testing/std.ts";
import type { ReportSummary, TopList } from "../../src/report/summary.ts";
import type { IndependentCounts } from "./_independent_counts.ts";

function asMap(list: TopList): Record<string, number> {
  return Object.fromEntries(list.entries.map((e) => [e.label, e.count]));
}

function assertTop(
  name: string,
  list: TopList,
  expected: Record<string, number>,
  top: number,
): void {
  assert(list.exact, `${name}: the table is exact at this size`);
  const sorted = Object.values(expected).sort((a, b) => b - a);
  assertEquals(list.entries.length, Math.min(top, sorted.length), `${name}: entries listed`);
  assertEquals(
    list.entries.map((e) => e.count),
    sorted.slice(0, top),
    `${name}: the counts, highest first`,
  );
  for (const e of list.entries) assertEquals(e.count, expected[e.label], `${name}: ${e.label}`);
}

/**
 * Asserts that every count the summary shows equals the independent one.
 *
 * @param s The summary (made with `top`).
 * @param c The independent counts.
 * @param top The --top the summary was made with.
 */
export function assertSameCounts(s: ReportSummary, c: IndependentCounts, top: number): void {
  assertEquals(s.lines, c.lines, "lines");
  assertEquals(s.badLines + s.tooLong, c.bad, "bad lines");
  assertEquals(s.records, c.records, "records");
  assertEquals(s.sessions, c.sessions, "sessions");
  assertEquals(s.sources, { count: c.sources, exact: true }, "sources");
  assertEquals(s.first, c.first, "first time");
  assertEquals(s.last, c.last, "last time");
  for (const t of ["tcp", "udp"] as const) {
    assertEquals(s[t].records, c[t].records, `${t} records`);
    assertEquals(s[t].sessions, c[t].sessions, `${t} sessions`);
    assertEquals(s[t].silent, c[t].silent, `${t} silent`);
    assertEquals(s[t].sources, { count: c[t].sources, exact: true }, `${t} sources`);
  }
  assertTop("ports", s.ports, c.ports, top);
  assertTop("TCP sources", s.tcp.topSources, c.tcpSources, top);
  assertTop("UDP sources", s.udp.topSources, c.udpSources, top);
  const firstLines = { ...asMap(s.tcp.firstLines), ...asMap(s.udp.firstLines) };
  for (const [label, count] of Object.entries(c.firstLines)) {
    assertEquals(firstLines[label], count, `first line ${label}`);
  }
  const print = (kind: string): TopList => {
    const found = s.fingerprints.find((f) => f.kind === kind);
    assert(found !== undefined, kind);
    return found.list;
  };
  assertTop("JA4", print("ja4"), c.ja4, top);
  assertTop("JA3", print("ja3"), c.ja3, top);
  assertTop("HASSH", print("hassh"), c.hassh, top);
  assertEquals(print("syn").total, c.syn, "SYN fingerprints");
}
