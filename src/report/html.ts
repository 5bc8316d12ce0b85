/**
 * The report's HTML page: one self-contained file (inline CSS and SVG, no script, nothing
 * loaded from the network) with the charts and tables.
 *
 * @module
 */
import { barChart, type Chart, heatmapChart, type Legend, timelineChart } from "./charts.ts";
import type { NewSince, ReportSummary, TopList, TransportSummary } from "./summary.ts";
import { formatCount, formatDistinct, formatDuration, formatTime } from "./terminal.ts";

/**
 * Escapes text for HTML.
 *
 * @param text Any text.
 * @returns The text with `& < > " '` escaped.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { padding: 2px 10px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #f4f6f8; }
code { font-size: 0.95em; word-break: break-all; }
figure { margin: 1em 0; } .note { color: #666; font-size: 0.9em; }
figure.chart svg { font: 11px system-ui, sans-serif; }
figcaption { font-weight: 600; margin-bottom: 0.3em; }
.legend { font-size: 12px; margin: 0.3em 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
.legend .ramp { display: inline-block; width: 180px; height: 12px; margin: 0 6px; vertical-align: -1px; }
`;

function legendHtml(legend: Legend | null): string {
  if (legend === null) return "";
  if (legend.kind === "swatches") {
    const items = legend.swatches.map((s) =>
      `<span><i style="background:${escapeHtml(s.color)}"></i>${escapeHtml(s.label)}</span>`
    );
    return `<div class="legend"><span>${escapeHtml(legend.title)}:</span>${items.join("")}</div>`;
  }
  return `<div class="legend"><span>${escapeHtml(legend.title)}: ${
    formatCount(legend.min)
  }<span class="ramp" style="background:linear-gradient(to right, ${
    escapeHtml(legend.colors.join(", "))
  })"></span>${formatCount(legend.max)}</span></div>`;
}

function chart(id: string, c: Chart): string {
  return `<figure class="chart" id="${id}"><figcaption>${escapeHtml(c.title)}</figcaption>${c.svg}${
    legendHtml(c.legend)
  }</figure>`;
}

function listNote(list: TopList): string {
  return list.exact
    ? "exact counts"
    : `approximate: Space-Saving over ${
      formatCount(list.capacity)
    } keys; each count may exceed the true one by at most its &plusmn; error`;
}

function table(title: string, list: TopList, unit: string): string {
  if (list.entries.length === 0) return "";
  const rows = list.entries.map((e) =>
    `<tr><td class="n">${formatCount(e.count)}</td><td class="n">${
      e.error > 0 ? `&plusmn;${formatCount(e.error)}` : ""
    }</td><td><code>${escapeHtml(e.label)}</code></td></tr>`
  ).join("");
  return `<h3>${escapeHtml(title)}</h3><p class="note">${unit}; ${listNote(list)}</p>
<table><tr><th>${unit}</th><th>&plusmn;</th><th></th></tr>${rows}</table>`;
}

function transportFacts(t: TransportSummary): string {
  const what = t.transport === "udp" ? "flows" : "sessions";
  return `<tr><th>${t.transport.toUpperCase()}</th><td class="n">${
    formatCount(t.records)
  } records</td><td class="n">${formatCount(t.sessions)} ${what}</td><td class="n">${
    formatCount(t.silent)
  } silent</td><td class="n">${formatCount(t.sessions - t.silent)} with payload</td><td class="n">${
    escapeHtml(formatDistinct(t.sources))
  } sources</td></tr>`;
}

function newSection(item: NewSince): string {
  const head = `<h3>New in the last ${item.label} of the input</h3>`;
  if (!item.spansWindow) {
    return `${head}<p>The input spans less than ${
      item.label === "hour" ? "an" : "a"
    } ${item.label}: everything is new.</p>`;
  }
  const ports = item.ports.map((p) =>
    `<tr><td>port</td><td><code>${escapeHtml(p.label)}</code></td><td class="n">${
      formatCount(p.count)
    }</td><td>${formatTime(p.firstSeen)}</td></tr>`
  );
  const prints = item.fingerprints.map((f) =>
    `<tr><td>${f.kind}</td><td><code>${escapeHtml(f.label)}</code></td><td class="n">${
      formatCount(f.count)
    }</td><td>${formatTime(f.firstSeen)}</td></tr>`
  );
  const untracked = item.untracked > 0
    ? `<p class="note">Incomplete: ${formatCount(item.untracked)} fingerprints not tracked.</p>`
    : "";
  return `${head}<p>${formatCount(item.portCount)} ports and ${
    formatCount(item.fingerprintCount)
  } fingerprints first seen.</p>${untracked}<table><tr><th></th><th></th><th>count</th><th>first seen</th></tr>${
    [...ports, ...prints].join("")
  }</table>`;
}

/**
 * Renders the HTML page.
 *
 * @param s The summary.
 * @returns The page.
 */
export function renderHtml(s: ReportSummary): string {
  const parts: string[] = [];
  const span = s.first === null || s.last === null
    ? "no records"
    : `${formatTime(s.first)} to ${formatTime(s.last)} (${formatDuration(s.last - s.first)})`;
  parts.push(`<h1>Spip report</h1>
<p>${escapeHtml(s.inputs.join(", "))}: ${formatCount(s.lines)} lines, ${
    formatCount(s.badLines + s.tooLong)
  } bad lines skipped${
    s.outside > 0 ? `, ${formatCount(s.outside)} records outside --since/--until` : ""
  }.</p>
<table id="facts"><tr><th>Time span</th><td colspan="5">${span}</td></tr>
<tr><th>All</th><td class="n">${formatCount(s.records)} records</td><td class="n">${
    formatCount(s.sessions)
  } sessions</td><td class="n" colspan="2">${
    formatCount(s.tlsRecords)
  } records decrypted from TLS</td><td class="n">${
    escapeHtml(formatDistinct(s.sources))
  } sources</td></tr>
${transportFacts(s.tcp)}${transportFacts(s.udp)}</table>`);
  if (s.records > 0) {
    parts.push("<h2>Over time</h2>", chart("chart-timeline", timelineChart(s)));
    parts.push(chart("chart-heatmap", heatmapChart(s)));
    parts.push("<h2>Ports and sources</h2>");
    parts.push(
      chart(
        "chart-ports",
        barChart("Top destination ports", s.ports.entries, "sessions"),
      ),
    );
    for (const t of [s.tcp, s.udp]) {
      if (t.topSources.entries.length === 0) continue;
      const name = t.transport.toUpperCase();
      parts.push(
        chart(
          `chart-sources-${t.transport}`,
          barChart(`Top ${name} sources`, t.topSources.entries, "sessions"),
        ),
      );
    }
    parts.push("<h2>Fingerprints</h2>");
    for (const f of s.fingerprints) {
      if (f.list.entries.length === 0) continue;
      parts.push(
        chart(`chart-${f.kind}`, barChart(`Top ${f.title}`, f.list.entries, "count")),
      );
    }
    parts.push("<h2>Tables</h2>");
    for (const t of [s.tcp, s.udp]) {
      const name = t.transport.toUpperCase();
      const unit = t.transport === "udp" ? "flows" : "sessions";
      parts.push(table(`${name} first lines / protocol guesses`, t.firstLines, unit));
      parts.push(table(`${name} destination ports`, t.ports, unit));
      parts.push(table(`${name} sources`, t.topSources, unit));
    }
    for (const f of s.fingerprints) parts.push(table(f.title, f.list, "count"));
    parts.push("<h2>What is new</h2>", ...s.newSince.map(newSection));
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spip report</title><style>${STYLE}</style></head>
<body>
${parts.join("\n")}
</body></html>
`;
}
