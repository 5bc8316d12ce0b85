/**
 * The report's charts as Observable Plot draws them through linkedom: one rect per bar, cell or
 * stacked segment, labels escaped, legends in the colours the SVG uses.
 */
import { assert, assertEquals, assertStringIncludes } from "../../testing/std.ts";
import {
  AXIS_LABEL_CHARS,
  barChart,
  heatmapChart,
  timelineChart,
} from "../../src/report/charts.ts";

/** The rect elements of the chart's bar, rect and cell marks, with their fill. */
function markRects(svg: string): { fill: string | null; group: string | null }[] {
  const rects: { fill: string | null; group: string | null }[] = [];
  for (const group of svg.split(/<g [^>]*aria-label="(?:bar|rect|cell)"/).slice(1)) {
    const open = group.slice(0, group.indexOf(">"));
    const groupFill = open.match(/fill="([^"]+)"/)?.[1] ?? null;
    for (const m of group.slice(0, group.indexOf("</g>")).matchAll(/<rect([^>]*)>/g)) {
      rects.push({ fill: m[1]?.match(/fill="([^"]+)"/)?.[1] ?? null, group: groupFill });
    }
  }
  return rects;
}

Deno.test("barChart: one rect per entry, labels escaped and shortened, no legend", () => {
  const long = "x".repeat(AXIS_LABEL_CHARS + 10);
  const chart = barChart("Top things", [
    { label: "</svg><script>alert(1)</script>", count: 9, error: 0 },
    { label: long, count: 4, error: 0 },
    { label: `${long}y`, count: 4, error: 0 },
    { label: "a & b", count: 0, error: 0 },
  ], "sessions");
  assert(chart.svg.startsWith("<svg"));
  assertEquals(chart.title, "Top things");
  assertEquals(chart.legend, null);
  assertEquals(markRects(chart.svg).length, 4, "two labels that shorten alike keep a bar each");
  assertEquals(chart.svg.match(/<script/g), null);
  assertStringIncludes(chart.svg, "&lt;/svg&gt;&lt;script&gt;");
  assertStringIncludes(chart.svg, "a &amp; b");
  assertStringIncludes(chart.svg, `${"x".repeat(AXIS_LABEL_CHARS - 1)}\u2026</text>`);
  assertStringIncludes(chart.svg, "sessions");
});

Deno.test("timelineChart: one rect per bucket and port, zero counts too; legend colours match", () => {
  const ports = ["22/tcp", "80/tcp", "other"];
  const rows = [0, 300, 600].flatMap((start, i) =>
    ports.map((port, j) => ({ start, port, count: j === 1 ? 0 : i + j + 1 }))
  );
  const chart = timelineChart({ timeline: { widthSeconds: 300, ports, rows } });
  assertEquals(chart.title, "Sessions over time, per 5 min, by the top ports");
  const rects = markRects(chart.svg);
  assertEquals(rects.length, rows.length);
  assert(chart.legend?.kind === "swatches");
  assertEquals(chart.legend.swatches.map((s) => s.label), ports);
  const colours = chart.legend.swatches.map((s) => s.color);
  assertEquals(new Set(colours).size, ports.length, "one colour per port");
  assertEquals(rects.map((r) => r.fill), rows.map((r) => colours[ports.indexOf(r.port)] ?? null));
  assertStringIncludes(chart.svg, "time (UTC)");
});

Deno.test("heatmapChart: one cell per port and hour; the ramp spans the counts", () => {
  const ports = ["22/tcp", "53/udp"];
  const cells = ports.flatMap((port, p) =>
    Array.from({ length: 24 }, (_, hour) => ({ port, hour, count: p * 24 + hour }))
  );
  const chart = heatmapChart({ heat: { ports, cells } });
  const rects = markRects(chart.svg);
  assertEquals(rects.length, 48);
  assert(chart.legend?.kind === "ramp");
  assertEquals([chart.legend.min, chart.legend.max], [0, 47]);
  assertEquals(rects[0]?.fill, chart.legend.colors[0], "the lowest count has the ramp's start");
  assertEquals(rects[47]?.fill, chart.legend.colors.at(-1), "the highest has its end");
  assertStringIncludes(chart.svg, "hour (UTC)");
});
