/**
 * Line plots (one line per series over a numeric x), rendered server-side to SVG by
 * Vega-Lite/Vega like the accuracy-vs-EDAP scatter (./plot.ts).
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

export interface LinePoint {
  x: number;
  y: number;
  series: string;
}

export interface LinePlotOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

export function linePlotSpec(points: LinePoint[], options: LinePlotOptions = {}): vegaLite.TopLevelSpec {
  const x = { field: 'x', type: 'quantitative' as const, title: options.xTitle ?? 'x', scale: options.logX ? { type: 'log' as const, base: 2 } : { zero: false } };
  const y = { field: 'y', type: 'quantitative' as const, title: options.yTitle ?? 'y', scale: options.logY ? { type: 'log' as const } : { zero: false } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title,
    width: options.width ?? 560,
    height: options.height ?? 360,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x,
      y,
      color: { field: 'series', type: 'nominal', title: null },
      tooltip: [
        { field: 'series', type: 'nominal' },
        { field: 'x', type: 'quantitative' },
        { field: 'y', type: 'quantitative', format: '.3f' },
      ],
    },
  };
  return spec as unknown as vegaLite.TopLevelSpec;
}

/** Renders the line plot to a standalone SVG string. */
export async function linePlotSvg(points: LinePoint[], options: LinePlotOptions = {}): Promise<string> {
  const compiled = vegaLite.compile(linePlotSpec(points, options)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
