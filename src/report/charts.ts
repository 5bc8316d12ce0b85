/**
 * The report's charts: Vega-Lite specifications compiled by `vega-lite` and rendered to SVG
 * strings by `vega` (headless, `renderer: "none"`: no canvas, no DOM, no network). Vega escapes
 * the text it draws, so hostile labels stay text.
 *
 * @module
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { ReportSummary, TopEntry } from "./summary.ts";

/** The width of the charts' plotting area, in pixels. */
export const CHART_WIDTH_PX = 560;
/** The height of one bar in bar charts, in pixels. */
export const BAR_HEIGHT_PX = 18;
/** The longest label drawn on a chart axis, in characters. */
export const AXIS_LABEL_CHARS = 48;

const FONT = "system-ui, sans-serif";

/**
 * Renders a Vega-Lite specification to SVG.
 *
 * @param spec The specification (data inline).
 * @returns The SVG document text.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const config = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: "start" },
  view: { stroke: null },
} as const;

/**
 * A horizontal bar chart of a top list, one bar per entry.
 *
 * @param title The chart's title.
 * @param entries The entries, highest first.
 * @param unit What the counts count.
 * @returns The specification.
 */
export function barChartSpec(
  title: string,
  entries: readonly TopEntry[],
  unit: string,
): TopLevelSpec {
  const values = entries.map((e, rank) => ({
    rank,
    label: e.label.length > AXIS_LABEL_CHARS
      ? `${e.label.slice(0, AXIS_LABEL_CHARS - 1)}\u2026`
      : e.label,
    count: e.count,
  }));
  return {
    title,
    config,
    width: CHART_WIDTH_PX,
    height: { step: BAR_HEIGHT_PX },
    data: { values },
    mark: { type: "bar", color: "#4c78a8" },
    encoding: {
      y: {
        field: "label",
        type: "nominal",
        sort: { field: "rank", order: "ascending" },
        title: null,
      },
      x: { field: "count", type: "quantitative", title: unit },
      tooltip: [{ field: "label" }, { field: "count" }],
    },
  };
}

/**
 * Sessions over time, stacked by the top ports.
 *
 * @param summary The summary.
 * @returns The specification.
 */
export function timelineSpec(summary: ReportSummary): TopLevelSpec {
  const widthMs = summary.timeline.widthSeconds * 1000;
  const values = summary.timeline.rows.map((r) => ({
    time: r.start * 1000,
    end: r.start * 1000 + widthMs,
    port: r.port,
    count: r.count,
  }));
  const minutes = summary.timeline.widthSeconds / 60;
  const width = minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`;
  return {
    title: `Sessions over time, per ${width}, by the top ports`,
    config,
    width: CHART_WIDTH_PX,
    height: 260,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      // Each bar spans its bucket, from its start to the next bucket's.
      x: {
        field: "time",
        type: "temporal",
        bin: { binned: true },
        scale: { type: "utc" },
        title: "time (UTC)",
      },
      x2: { field: "end" },
      y: { field: "count", type: "quantitative", stack: "zero", title: "sessions" },
      color: {
        field: "port",
        type: "nominal",
        sort: summary.timeline.ports,
        scale: { domain: summary.timeline.ports, scheme: "tableau10" },
        title: "port",
      },
    },
  };
}

/**
 * A heat map of sessions by port and hour of day (UTC).
 *
 * @param summary The summary.
 * @returns The specification.
 */
export function heatmapSpec(summary: ReportSummary): TopLevelSpec {
  return {
    title: "Sessions by port and hour of day (UTC)",
    config,
    width: CHART_WIDTH_PX,
    height: { step: BAR_HEIGHT_PX },
    data: { values: summary.heat.cells },
    mark: { type: "rect" },
    encoding: {
      x: { field: "hour", type: "ordinal", title: "hour (UTC)" },
      y: { field: "port", type: "nominal", sort: summary.heat.ports, title: null },
      color: {
        field: "count",
        type: "quantitative",
        scale: { scheme: "blues" },
        title: "sessions",
      },
      tooltip: [{ field: "port" }, { field: "hour" }, { field: "count" }],
    },
  };
}
