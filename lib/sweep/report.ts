/**
 * Sweep output: the per-size table, the accuracy-vs-EDAP plot (Vega-Lite via
 * lib/report, one point per size) and a self-contained HTML page.
 */
import { type PlotPoint, renderHtmlReport, scatterSvg } from '../report';
import type { SweepResult } from './sweep';
import { describeInputActivity } from '../hardware';

export type SweepTableRow = Record<string, string | number>;

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function sci(x: number, digits = 3): string {
  return x.toExponential(digits - 1);
}

/** One row per size, formatted for a terminal or a page. */
export function sweepTableRows(result: SweepResult): SweepTableRow[] {
  const chips = result.chips > 1;
  return result.rows.map((r) => ({
    crossbar: `${r.size}x${r.size}`,
    'adc bits': r.adcBits.join('/'),
    arrays: r.arrays,
    utilization: pct(r.utilization),
    'ideal acc': pct(r.idealAccuracy),
    // With several chips: the mean over them, then its spread and interval (one chip has neither).
    [chips ? `non-ideal acc (mean of ${result.chips} chips)` : 'non-ideal acc']: pct(r.nonIdealAccuracy),
    ...(chips && r.nonIdealChips.std !== null && r.nonIdealChips.ci95 !== null
      ? { std: pct(r.nonIdealChips.std), '95% CI': `${pct(r.nonIdealChips.ci95[0])}-${pct(r.nonIdealChips.ci95[1])}` }
      : {}),
    'energy (J)': sci(r.energyJoules),
    'latency (s)': sci(r.latencySeconds),
    'area (mm^2)': sci(r.areaMm2),
    'EDAP (J*s*mm^2)': sci(r.edap),
    'EDAP rel': r.edapRelative.toFixed(2),
    'sim img/s': Math.round(r.imagesPerSecond),
  }));
}

/** One point per size: non-ideal accuracy against EDAP. */
export function sweepPlotPoints(result: SweepResult): PlotPoint[] {
  return result.rows.map((r) => ({ label: `${r.size}x${r.size}`, accuracy: r.nonIdealAccuracy, edap: r.edap, series: 'crossbar size' }));
}

export interface SweepReportFiles {
  svg: string;
  html: string;
}

/** The plot as SVG and the page holding the plot and the table. */
export async function sweepReportFiles(result: SweepResult): Promise<SweepReportFiles> {
  const title = `Non-ideal accuracy vs EDAP per crossbar size: ${result.model}`;
  const svg = await scatterSvg(sweepPlotPoints(result), {
    title,
    connectSeries: ['crossbar size'],
    labelSeries: ['crossbar size'],
  });
  const table = sweepTableRows(result);
  const columns = Object.keys(table[0] ?? {});
  const d = result.mapping.default ?? {};
  const html = renderHtmlReport(
    'nax-native sweep',
    [
      { heading: 'Accuracy against EDAP', svg },
      {
        heading: 'Per crossbar size',
        text:
          `Ideal: float executor. Non-ideal: crossbar engine with ${JSON.stringify(d)} over the engine defaults ` +
          `(every layer on size x size arrays). EDAP = energy x latency x area of one inference (cost model); ` +
          `${describeInputActivity(result.inputActivity)}.`,
        table: { columns, rows: table.map((r) => columns.map((c) => r[c])) },
      },
    ],
    `${result.model} on ${result.dataset.name} ${result.dataset.split} (${result.dataset.images} images, ` +
      `${result.calibrationImages} calibration images); ${result.seconds.toFixed(1)} s`,
  );
  return { svg, html };
}
