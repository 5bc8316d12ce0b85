/**
 * The one boundary between the report and Observable Plot: Plot draws into a server-side DOM
 * (linkedom), and this module hands back plain strings and colours.
 *
 * Plot's typings name the DOM's `Document` and `SVGSVGElement`, which Deno's libraries do not
 * declare, so under Deno they are untyped; linkedom's `parseHTML` is typed as a browser window
 * that Deno's `Window` lacks a `document` for. Both are therefore confined here: the document is
 * made by linkedom's typed `DOMParser`, and what Plot returns is read through the small
 * structural types below before it leaves this file.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { DOMParser } from "linkedom";

/** A chart's options: Plot's, without the document (this module supplies it). */
export type ChartOptions = Omit<Plot.PlotOptions, "document">;

/** What the report reads from the element Plot returns. */
interface RenderedElement {
  readonly outerHTML: unknown;
  scale(name: "color"): Plot.ScaleOptions | undefined;
}

/** One entry of a colour legend. */
export interface Swatch {
  /** The value, as drawn. */
  readonly label: string;
  /** Its CSS colour. */
  readonly color: string;
}

/** A rendered chart. */
export interface PlotSvg {
  /** The `<svg>` element's markup. */
  readonly svg: string;
  /** The colour scale, if the chart has one: applies it to a value and gives a CSS colour. */
  readonly color: ((value: string | number) => string) | null;
}

function emptyDocument(): unknown {
  return new DOMParser().parseFromString(
    "<!DOCTYPE html><html><head></head><body></body></html>",
    "text/html",
  );
}

/**
 * Draws a chart with Observable Plot into a fresh server-side document.
 *
 * @param options Plot's options (marks, scales, size); no `title`, `caption` or `legend`, so
 *   that Plot returns the `<svg>` itself rather than a `<figure>` around it.
 * @returns The SVG markup, and the colour scale if there is one.
 */
export function plotSvg(options: ChartOptions): PlotSvg {
  const element: RenderedElement = Plot.plot({ ...options, document: emptyDocument() });
  const svg = element.outerHTML;
  if (typeof svg !== "string" || !svg.startsWith("<svg")) {
    throw new Error("Cannot draw a chart: Plot did not return an <svg> element");
  }
  const colorOptions = element.scale("color");
  if (colorOptions === undefined) return { svg, color: null };
  const scale = Plot.scale({ color: colorOptions });
  return { svg, color: (value) => String(scale.apply(value)) };
}
