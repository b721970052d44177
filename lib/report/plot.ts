/**
 * Accuracy-versus-EDAP plots, rendered server-side to SVG by Vega-Lite/Vega
 * (a maintained charting library; no hand-drawn SVG). The SVG is inlined into
 * self-contained HTML reports.
 */
// vega 5 / vega-lite 5 ship CommonJS builds; their types are bundled.
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

export interface PlotPoint {
  label: string;
  /** Accuracy in [0, 1]. */
  accuracy: number;
  /** Energy-delay-area product, J x s x mm^2. */
  edap: number;
  /** Series the point belongs to, e.g. 'candidate', 'pareto front', 'baseline', 'chosen'. */
  series: string;
  /** An interval on the accuracy (e.g. the chip-to-chip 95% CI), drawn as a vertical error bar. */
  accuracyInterval?: [number, number];
}

export interface ScatterOptions {
  title?: string;
  width?: number;
  height?: number;
  /** Draw a line through the points of these series, in EDAP order. */
  connectSeries?: string[];
  logEdap?: boolean;
  /** Write each point's label next to it for these series (default: 'baseline' and 'chosen'). */
  labelSeries?: string[];
}

export function scatterSpec(points: PlotPoint[], options: ScatterOptions = {}): vegaLite.TopLevelSpec {
  const values = points.map(({ accuracyInterval, ...p }) => ({
    ...p,
    accuracyPct: p.accuracy * 100,
    ...(accuracyInterval ? { lowPct: accuracyInterval[0] * 100, highPct: accuracyInterval[1] * 100 } : {}),
  }));
  const withBars = points.some((p) => p.accuracyInterval);
  const x = {
    field: 'edap',
    type: 'quantitative' as const,
    title: 'EDAP (J·s·mm²)',
    scale: options.logEdap === false ? { zero: false } : { type: 'log' as const },
    axis: { format: '.2e' },
  };
  const y = { field: 'accuracyPct', type: 'quantitative' as const, title: 'accuracy (%)', scale: { zero: false } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title,
    width: options.width ?? 560,
    height: options.height ?? 360,
    data: { values },
    layer: [
      ...(options.connectSeries?.length
        ? [
            {
              transform: [{ filter: { field: 'series', oneOf: options.connectSeries } }],
              mark: { type: 'line', strokeDash: [4, 3], opacity: 0.6 },
              encoding: { x, y, order: { field: 'edap' }, color: { field: 'series', type: 'nominal', legend: null } },
            },
          ]
        : []),
      ...(withBars
        ? [
            {
              transform: [{ filter: 'isValid(datum.lowPct)' }],
              mark: { type: 'rule', strokeWidth: 1.5 },
              encoding: { x, y: { field: 'lowPct', type: 'quantitative' as const, scale: { zero: false } }, y2: { field: 'highPct' }, color: { field: 'series', type: 'nominal', legend: null } },
            },
          ]
        : []),
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x,
          y,
          color: { field: 'series', type: 'nominal', title: null },
          shape: { field: 'series', type: 'nominal', title: null },
          tooltip: [
            { field: 'label', type: 'nominal' },
            { field: 'accuracyPct', type: 'quantitative', format: '.2f' },
            { field: 'edap', type: 'quantitative', format: '.3e' },
          ],
        },
      },
      {
        transform: [{ filter: { field: 'series', oneOf: options.labelSeries ?? ['baseline', 'chosen'] } }],
        mark: { type: 'text', dx: 6, dy: -8, align: 'left', fontSize: 10 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  };
  return spec as unknown as vegaLite.TopLevelSpec;
}

/** Renders the accuracy-vs-EDAP scatter to a standalone SVG string. */
export async function scatterSvg(points: PlotPoint[], options: ScatterOptions = {}): Promise<string> {
  const compiled = vegaLite.compile(scatterSpec(points, options)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
