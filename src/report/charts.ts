/**
 * The report's charts, drawn by Observable Plot into a server-side DOM (see `plot_svg.ts`) and
 * returned as SVG markup, with the colour legend as data for the page to show. Plot sets the
 * text it draws as DOM text, so hostile labels stay text when serialised.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { plotSvg, type Swatch } from "./plot_svg.ts";
import type { ReportSummary, TopEntry } from "./summary.ts";

/** The width of the charts' plotting area, in pixels. */
export const CHART_WIDTH_PX = 560;
/** The height of one bar in bar charts (and one row of the heat map), in pixels. */
export const BAR_HEIGHT_PX = 18;
/** The longest label drawn on a chart axis, in characters. */
export const AXIS_LABEL_CHARS = 48;
/** The height of the timeline's plotting area, in pixels. */
export const TIMELINE_HEIGHT_PX = 260;
/** The assumed width of one character of an axis label (11 px system-ui: a digit is 7 px), in pixels. */
export const LABEL_CHAR_WIDTH_PX = 7.2;
/** Colour stops of the heat map's legend ramp. */
export const RAMP_STOPS = 9;

/** The bars' colour in bar charts. */
const BAR_COLOR = "#4c78a8";
/** Room for tick marks, padding and the axis title around the plotting area, in pixels. */
const MARGIN_TOP_PX = 24;
/** Bar charts and the heat map have no axis title at the top. */
const BAR_MARGIN_TOP_PX = 6;
/** The most ticks on a count axis. */
const COUNT_TICKS_MAX = 10;
const MARGIN_RIGHT_PX = 24;
const MARGIN_BOTTOM_PX = 40;
const MARGIN_LEFT_MIN_PX = 48;

/** A chart's colour legend. */
export type Legend =
  | { readonly kind: "swatches"; readonly title: string; readonly swatches: Swatch[] }
  | {
    readonly kind: "ramp";
    readonly title: string;
    /** The lowest and highest values. */
    readonly min: number;
    readonly max: number;
    /** Evenly spaced colours from `min` to `max`. */
    readonly colors: string[];
  };

/** A chart ready for the page. */
export interface Chart {
  /** Its title (plain text; the page escapes it). */
  readonly title: string;
  /** The `<svg>` markup. */
  readonly svg: string;
  /** Its colour legend, if colour encodes a value. */
  readonly legend: Legend | null;
}

function shorten(label: string): string {
  return label.length > AXIS_LABEL_CHARS ? `${label.slice(0, AXIS_LABEL_CHARS - 1)}\u2026` : label;
}

/** Tick count for an axis of counts up to `max`: whole numbers only, even for small counts. */
function countTicks(max: number): number {
  return Math.max(1, Math.min(COUNT_TICKS_MAX, Math.ceil(max)));
}

/** The left margin that fits the longest of these axis labels. */
function leftMargin(labels: readonly string[]): number {
  const chars = labels.reduce((most, l) => Math.max(most, l.length), 0);
  return Math.max(MARGIN_LEFT_MIN_PX, Math.ceil(chars * LABEL_CHAR_WIDTH_PX) + 12);
}

/**
 * A horizontal bar chart of a top list, one bar per entry, highest first.
 *
 * @param title The chart's title.
 * @param entries The entries, highest first.
 * @param unit What the counts count.
 * @returns The chart.
 */
export function barChart(title: string, entries: readonly TopEntry[], unit: string): Chart {
  // One band per rank, so that two labels that shorten alike still get a bar each.
  const labels = entries.map((e) => shorten(e.label));
  const values = entries.map((e, rank) => ({ rank, label: e.label, count: e.count }));
  const marginLeft = leftMargin(labels);
  const { svg } = plotSvg({
    width: marginLeft + CHART_WIDTH_PX + MARGIN_RIGHT_PX,
    height: entries.length * BAR_HEIGHT_PX + BAR_MARGIN_TOP_PX + MARGIN_BOTTOM_PX,
    marginTop: BAR_MARGIN_TOP_PX,
    marginRight: MARGIN_RIGHT_PX,
    marginBottom: MARGIN_BOTTOM_PX,
    marginLeft,
    x: {
      label: unit,
      grid: true,
      nice: true,
      ticks: countTicks(values.reduce((most, v) => Math.max(most, v.count), 0)),
    },
    y: {
      type: "band",
      domain: values.map((v) => v.rank),
      label: null,
      tickFormat: (rank: number) => labels[rank] ?? "",
    },
    marks: [
      Plot.barX(values, {
        x: "count",
        y: "rank",
        fill: BAR_COLOR,
        title: (v: (typeof values)[number]) => `${v.label}: ${v.count}`,
      }),
      Plot.ruleX([0]),
    ],
  });
  return { title, svg, legend: null };
}

/**
 * Sessions over time, stacked by the top ports ("other" for the rest); one bar per bucket and
 * port, spanning the bucket.
 *
 * @param summary The summary.
 * @returns The chart.
 */
export function timelineChart(summary: Pick<ReportSummary, "timeline">): Chart {
  const widthMs = summary.timeline.widthSeconds * 1000;
  const rows = summary.timeline.rows.map((r) => ({
    time: new Date(r.start * 1000),
    end: new Date(r.start * 1000 + widthMs),
    port: r.port,
    count: r.count,
  }));
  const ports = summary.timeline.ports;
  const minutes = summary.timeline.widthSeconds / 60;
  const width = minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`;
  const marginLeft = MARGIN_LEFT_MIN_PX;
  const bucketTotals = new Map<number, number>();
  for (const r of summary.timeline.rows) {
    bucketTotals.set(r.start, (bucketTotals.get(r.start) ?? 0) + r.count);
  }
  const { svg, color } = plotSvg({
    width: marginLeft + CHART_WIDTH_PX + MARGIN_RIGHT_PX,
    height: TIMELINE_HEIGHT_PX + MARGIN_TOP_PX + MARGIN_BOTTOM_PX,
    marginTop: MARGIN_TOP_PX,
    marginRight: MARGIN_RIGHT_PX,
    marginBottom: MARGIN_BOTTOM_PX,
    marginLeft,
    x: { type: "utc", label: "time (UTC)" },
    y: {
      label: "sessions",
      grid: true,
      nice: true,
      ticks: countTicks(Math.max(0, ...bucketTotals.values())),
    },
    color: { type: "categorical", domain: ports, scheme: "tableau10" },
    marks: [
      Plot.rectY(rows, {
        // Stacked per bucket start (x1), in the legend's order.
        x1: "time",
        x2: "end",
        y: "count",
        fill: "port",
        order: ports,
        title: (r: (typeof rows)[number]) =>
          `${r.port}: ${r.count} from ${r.time.toISOString().slice(0, 16)}Z`,
      }),
      Plot.ruleY([0]),
    ],
  });
  return {
    title: `Sessions over time, per ${width}, by the top ports`,
    svg,
    legend: color === null ? null : {
      kind: "swatches",
      title: "port",
      swatches: ports.map((port) => ({ label: port, color: color(port) })),
    },
  };
}

/**
 * A heat map of sessions by port (the top ports) and hour of day (UTC): one cell per port and
 * hour.
 *
 * @param summary The summary.
 * @returns The chart.
 */
export function heatmapChart(summary: Pick<ReportSummary, "heat">): Chart {
  const { ports, cells } = summary.heat;
  const marginLeft = leftMargin(ports);
  const { svg, color } = plotSvg({
    width: marginLeft + CHART_WIDTH_PX + MARGIN_RIGHT_PX,
    height: ports.length * BAR_HEIGHT_PX + BAR_MARGIN_TOP_PX + MARGIN_BOTTOM_PX,
    marginTop: BAR_MARGIN_TOP_PX,
    marginRight: MARGIN_RIGHT_PX,
    marginBottom: MARGIN_BOTTOM_PX,
    marginLeft,
    padding: 0.05,
    x: { type: "band", domain: Array.from({ length: 24 }, (_, h) => h), label: "hour (UTC)" },
    y: { type: "band", domain: ports, label: null },
    color: { type: "linear", scheme: "blues" },
    marks: [
      Plot.cell(cells, {
        x: "hour",
        y: "port",
        fill: "count",
        title: (c: (typeof cells)[number]) => `${c.port}, ${c.hour}:00 UTC: ${c.count}`,
      }),
    ],
  });
  const counts = cells.map((c) => c.count);
  const min = counts.length === 0 ? 0 : Math.min(...counts);
  const max = counts.length === 0 ? 0 : Math.max(...counts);
  return {
    title: "Sessions by port and hour of day (UTC)",
    svg,
    legend: color === null ? null : {
      kind: "ramp",
      title: "sessions",
      min,
      max,
      colors: Array.from(
        { length: RAMP_STOPS },
        (_, i) => color(min + (max - min) * i / (RAMP_STOPS - 1)),
      ),
    },
  };
}
