/**
 * The report's terminal summary: plain text, at most {@linkcode TERMINAL_COLUMNS} columns.
 *
 * @module
 */
import { DISTINCT_RELATIVE_ERROR, type DistinctCount } from "./distinct_counter.ts";
import type { NewSince, ReportSummary, TopList, TransportSummary } from "./summary.ts";

/** The widest line written. */
export const TERMINAL_COLUMNS = 100;
const BAR_CHARS = 20;

/**
 * Formats a count with thousands separators, as `toLocaleString("en-US")` does for an integer.
 * Written out because that call costs about 15 us (and 16 ms for the first, which loads ICU's
 * data): 250 ms of the main thread's time for `--top 1000` on a 200 MB file.
 *
 * @param n The count.
 * @returns Such as `1,234,567`.
 */
export function formatCount(n: number): string {
  const rounded = Math.round(n);
  // Never a count, but kept as toLocaleString writes them: -0, and no exponent past 1e21.
  if (!(Math.abs(rounded) < 1e21) || Object.is(rounded, -0)) {
    return rounded.toLocaleString("en-US");
  }
  const digits = String(Math.abs(rounded));
  if (digits.length <= 3) return rounded < 0 ? `-${digits}` : digits;
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return rounded < 0 ? `-${out}` : out;
}

/**
 * Formats an epoch time as UTC.
 *
 * @param seconds Epoch seconds.
 * @returns Such as `2026-12-01 00:00:00Z`.
 */
export function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

/**
 * Formats a duration.
 *
 * @param seconds The duration.
 * @returns Such as `2 d 3 h`, `4 h 5 min`, `6 min 7 s`.
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min ${s % 60} s`;
}

/**
 * Formats a distinct count, marked approximate when it came from the sketch.
 *
 * @param distinct The count.
 * @returns Such as `1,234` or `~1,234 (HyperLogLog, +-0.8%)`.
 */
export function formatDistinct(distinct: DistinctCount): string {
  if (distinct.exact) return formatCount(distinct.count);
  return `~${formatCount(distinct.count)} (HyperLogLog, +-${
    (DISTINCT_RELATIVE_ERROR * 100).toFixed(1)
  }%)`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "0.0%" : `${((100 * part) / whole).toFixed(1)}%`;
}

/** Replaces control and non-ASCII characters so a hostile label cannot drive the terminal. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?");
}

function fit(text: string, width: number): string {
  const safe = printable(text);
  return safe.length <= width ? safe : `${safe.slice(0, Math.max(0, width - 3))}...`;
}

function topLines(title: string, list: TopList, unit: string): string[] {
  if (list.entries.length === 0) return [];
  const note = list.exact
    ? "exact"
    : `approximate: Space-Saving, ${formatCount(list.capacity)} keys; +-err bounds the overcount`;
  const out = [`${title} (${unit}; ${note})`];
  const max = list.entries[0]?.count ?? 1;
  const countWidth = Math.max(...list.entries.map((e) => formatCount(e.count).length));
  for (const entry of list.entries) {
    const count = formatCount(entry.count).padStart(countWidth);
    const share = percent(entry.count, list.total).padStart(6);
    const bar = "#".repeat(Math.max(1, Math.round((BAR_CHARS * entry.count) / max)))
      .padEnd(BAR_CHARS);
    const err = entry.error > 0 ? ` +-${formatCount(entry.error)}` : "";
    const head = `  ${count} ${share} ${bar} `;
    out.push(`${head}${fit(entry.label, TERMINAL_COLUMNS - head.length - err.length)}${err}`);
  }
  return out;
}

function transportLines(t: TransportSummary): string[] {
  if (t.records === 0) return [`${t.transport.toUpperCase()}: no records`];
  const name = t.transport.toUpperCase();
  const what = t.transport === "udp" ? "flows" : "sessions";
  const silent = t.transport === "udp"
    ? ""
    : `: silent ${formatCount(t.silent)} (${percent(t.silent, t.sessions)}), with payload ${
      formatCount(t.sessions - t.silent)
    } (${percent(t.sessions - t.silent, t.sessions)})`;
  return [
    `${name}: ${formatCount(t.records)} records, ${formatCount(t.sessions)} ${what}${silent}`,
    `  sources ${formatDistinct(t.sources)}`,
    ...section(topLines(`Top ${name} destination ports`, t.ports, what)),
    ...section(topLines(`Top ${name} sources`, t.topSources, what)),
    ...section(topLines(`Top ${name} first lines / protocol guesses`, t.firstLines, what)),
  ];
}

function section(lines: string[]): string[] {
  return lines.length === 0 ? [] : ["", ...lines];
}

function newLines(item: NewSince): string[] {
  const head = `New in the last ${item.label} of the input`;
  if (!item.spansWindow) {
    return [
      `${head}: the input spans less than ${
        item.label === "hour" ? "an" : "a"
      } ${item.label}, so everything is new`,
    ];
  }
  const out = [
    `${head}: ${formatCount(item.portCount)} ports, ${
      formatCount(item.fingerprintCount)
    } fingerprints first seen`,
  ];
  for (const p of item.ports) {
    out.push(
      `  port ${p.label.padEnd(10)} ${formatCount(p.count).padStart(9)} sessions, first ${
        formatTime(p.firstSeen)
      }`,
    );
  }
  for (const f of item.fingerprints) {
    const head = `  ${f.kind.padEnd(8)} first ${formatTime(f.firstSeen)} ${
      formatCount(f.count).padStart(9)
    }x `;
    out.push(`${head}${fit(f.label, TERMINAL_COLUMNS - head.length)}`);
  }
  if (item.untracked > 0) {
    out.push(`  (incomplete: ${formatCount(item.untracked)} fingerprints not tracked, table full)`);
  }
  return out;
}

/**
 * Renders the summary for a terminal.
 *
 * @param s The summary.
 * @returns Lines of at most {@linkcode TERMINAL_COLUMNS} characters, joined with newlines.
 */
export function renderTerminal(s: ReportSummary): string {
  const skipped = s.badLines + s.tooLong;
  const out = [
    `spip report: ${s.inputs.length} input${s.inputs.length === 1 ? "" : "s"}, ${
      formatCount(s.lines)
    } lines, ${formatCount(skipped)} bad lines skipped${
      s.tooLong > 0 ? ` (${formatCount(s.tooLong)} too long)` : ""
    }${s.outside > 0 ? `, ${formatCount(s.outside)} records outside --since/--until` : ""}`,
  ];
  if (s.first === null || s.last === null) {
    out.push("No records.");
    return out.map((l) => fit(l, TERMINAL_COLUMNS)).join("\n");
  }
  out.push(
    `Time span: ${formatTime(s.first)} .. ${formatTime(s.last)} (${
      formatDuration(s.last - s.first)
    })`,
    `Records ${formatCount(s.records)}, sessions ${formatCount(s.sessions)}, sources ${
      formatDistinct(s.sources)
    }${s.tlsRecords > 0 ? `, records decrypted from TLS ${formatCount(s.tlsRecords)}` : ""}`,
    "",
    ...transportLines(s.tcp),
    "",
    ...transportLines(s.udp),
  );
  for (const f of s.fingerprints) {
    out.push(...section(topLines(`Top ${f.title}`, f.list, "occurrences")));
  }
  for (const item of s.newSince) out.push("", ...newLines(item));
  return out.map((l) => fit(l, TERMINAL_COLUMNS)).join("\n");
}
