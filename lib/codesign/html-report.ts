/**
 * report.html of an evolve run: self-contained (inline SVG from lib/report's Vega-Lite scatter,
 * inline CSS, no scripts): the accuracy-vs-EDAP scatter of every candidate with the Pareto front,
 * the baselines and the chosen model; the test-split comparison table; per-layer kernel and
 * crossbar choices of the finalised models; the issue-6 claims; the configuration used.
 */
import { costSensitivity, sensitivitySvg, sensitivityTableRows, type HardwareOverrides } from '../hardware';
import { renderHtmlReport, scatterSvg, type PlotPoint, type ReportSection } from '../report';
import { type EvolveResults, type LayerChoice, type ResultModel, describeAccuracyComparison, formatTestAccuracy, shapeOf } from './results';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const sci = (x: number) => x.toExponential(3);
/** "3x3 on 64x32" (+ ", ADC 6 b"); results.json from before the column gene lack `cols` (square). */
const choiceText = (l: LayerChoice) => `${l.kernel}x${l.kernel} on ${shapeOf({ crossbar: l.crossbar, cols: l.cols ?? l.crossbar })}${l.adcBits !== undefined ? `, ADC ${l.adcBits === 'lossless' ? 'lossless' : `${l.adcBits} b`}` : ''}`;
const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(digits)}%`;

/** Table rows comparing finalised models and baselines on the test split. */
export function comparisonRows(results: EvolveResults): (string | number)[][] {
  const best = results.baselines.find((b) => b.name === results.claims.bestBaseline);
  const rows: (string | number)[][] = [];
  const add = (m: ResultModel) =>
    rows.push([
      m.name,
      m.role,
      pct(m.test.idealAccuracy),
      formatTestAccuracy(m.test),
      m.test.chips.ci95 ? `${pct(m.test.chips.ci95[0])}-${pct(m.test.chips.ci95[1])}` : '',
      m.test.chips.accuracies.map(pct).join(', '),
      sci(m.test.edap),
      best ? `${(100 * (1 - m.test.edap / best.test.edap)).toFixed(1)}%` : '',
      pct(m.validation.accuracy),
      (m.crossbarShapes ?? m.crossbarSizes.map((x) => `${x}x${x}`)).join('/'),
      m.layers.map((l) => `${l.kernel}:${shapeOf({ crossbar: l.crossbar, cols: l.cols ?? l.crossbar })}`).join(' '),
    ]);
  results.finals.forEach(add);
  results.baselines.forEach(add);
  return rows;
}

export const COMPARISON_COLUMNS = [
  'model', 'role', 'test acc (ideal)', 'test acc (non-ideal, mean ± std over chips)', '95% CI', 'per chip', 'EDAP (J·s·mm²)', 'EDAP below best baseline', 'validation acc (non-ideal)', 'crossbar shapes (rows x cols)', 'per layer kernel:rows x cols',
];

/**
 * The cost model's sensitivity for the chosen model (issue 12): its layers re-costed at every
 * searched crossbar size under the run's hardware and under one changed assumption per row.
 * Results written before the per-layer shapes were recorded get a one-line note instead.
 */
export async function sensitivitySection(results: EvolveResults): Promise<ReportSection> {
  const heading = 'Cost-model sensitivity: EDAP ranking of crossbar sizes';
  const model = results.finals[0];
  const sizes = [...new Set(results.config.crossbars)].sort((a, b) => a - b);
  const layers = model?.costLayers ?? [];
  if (sizes.length < 2 || layers.length === 0 || layers.some((l) => l.k === undefined || l.n === undefined || l.outputPixels === undefined))
    return { heading, text: 'Not available: this results.json predates the per-layer shapes (or the search had one crossbar size).' };
  const shapes = layers.map((l) => ({ name: l.layer, k: l.k!, n: l.n!, outputPixels: l.outputPixels!, groups: l.groups ?? 1, signedInput: l.signedInput ?? false }));
  const mapping = { default: { ...results.config.device, rows: sizes[0], cols: sizes[0] } };
  const result = costSensitivity(shapes, sizes, { mapping, hardware: results.config.hardware as HardwareOverrides });
  const rows = sensitivityTableRows(result);
  return {
    heading,
    text:
      `The layers of ${model.name} on one crossbar size at a time, costed under the run's hardware (template ${result.baseTemplate}) and with one assumption changed per row: ` +
      'EDAP relative to the best size of that row. Where the best size moves, the EDAP comparison between crossbar choices depends on that assumption.',
    table: { columns: Object.keys(rows[0]), rows: rows.map((r) => Object.values(r)) },
    svg: await sensitivitySvg(result, `EDAP / best size for ${model.name}'s layers`),
  };
}

export async function renderEvolveReport(results: EvolveResults): Promise<string> {
  const frontKeys = new Set(results.search.front);
  const baselineKeys = new Set(results.baselines.map((b) => b.key));
  const points: PlotPoint[] = [];
  for (const c of results.search.candidates) {
    if (baselineKeys.has(c.key) || c.key === results.chosen.key) continue;
    points.push({ label: c.key, accuracy: c.result.accuracy, edap: c.result.edap, series: frontKeys.has(c.key) ? 'Pareto front' : 'candidate' });
  }
  for (const b of results.baselines) points.push({ label: `${b.crossbarSizes[0]}x${b.crossbarSizes[0]}`, accuracy: b.validation.accuracy, edap: b.validation.edap, series: 'baseline' });
  const chosen = results.search.candidates.find((c) => c.key === results.chosen.key);
  if (chosen) points.push({ label: 'chosen', accuracy: chosen.result.accuracy, edap: chosen.result.edap, series: 'chosen' });
  const searchSvg = await scatterSvg(points, { title: 'Search (validation split, non-ideal crossbars)', connectSeries: ['Pareto front'] });
  // Error bars: the chip-to-chip Student-t 95% CI of the mean test accuracy (absent with one chip).
  const interval = (m: ResultModel) => (m.test.chips.ci95 ? { accuracyInterval: m.test.chips.ci95 } : {});
  const testPoints: PlotPoint[] = [
    ...results.finals.map((m) => ({ label: m.name, accuracy: m.test.accuracy, edap: m.test.edap, series: m.role === 'chosen' ? 'chosen' : 'Pareto model', ...interval(m) })),
    ...results.baselines.map((b) => ({ label: `${b.crossbarSizes[0]}x${b.crossbarSizes[0]}`, accuracy: b.test.accuracy, edap: b.test.edap, series: 'baseline', ...interval(b) })),
  ];
  const testSvg = await scatterSvg(testPoints, { title: 'Final models vs. homogeneous baselines (test split; bars: 95% CI over chips)' });

  const claims = results.claims;
  const c = results.config;
  const sections: ReportSection[] = [
    {
      heading: 'Comparison on the test split',
      text:
        `Final models were fine-tuned for ${c.finetune.epochs} epoch(s) as fixed subnets; the baselines (all-${results.baselines[0]?.layers.find((l) => l.searchableKernel)?.kernel ?? 3}x` +
        `${results.baselines[0]?.layers.find((l) => l.searchableKernel)?.kernel ?? 3} kernels, one crossbar size for every layer) got the same fine-tuning. ` +
        `Non-ideal accuracy: crossbar mode with the device config below, on ${c.evaluation.chips} device instance(s) (chips 0-${c.evaluation.chips - 1}: ` +
        'independent draws of variation, faults and read noise, the same chips and test images for every model): mean ± sample std, Student-t 95% CI of the mean.',
      table: { columns: COMPARISON_COLUMNS, rows: comparisonRows(results) },
      svg: testSvg,
    },
    {
      heading: 'Claims (issue 6 bar, test split)',
      table: {
        columns: ['claim', 'value', 'holds'],
        rows: [
          [
            'chosen non-ideal accuracy at least the best baseline\'s (not significantly lower, paired over chips and images)',
            `${pct(claims.chosenAccuracy)} vs ${pct(claims.bestBaselineAccuracy)} (${claims.bestBaseline}); ${describeAccuracyComparison(claims.accuracyComparison)}`,
            claims.accuracyAtLeastBaseline ? 'yes' : 'no',
          ],
          ['chosen significantly more accurate than the best baseline', claims.accuracyComparison.rule, claims.accuracySignificantlyHigher ? 'yes' : 'no'],
          ['EDAP at least 17% below that baseline', `${(100 * claims.edapReduction).toFixed(1)}%`, claims.edapReductionAtLeast17Percent ? 'yes' : 'no'],
          ['no baseline dominates a front model (validation)', claims.frontDominatedByBaseline.join(', ') || 'none dominated', claims.frontDominatedByBaseline.length === 0 ? 'yes' : 'no'],
          ['no baseline dominates a final model (test)', claims.finalDominatedByBaseline.join(', ') || 'none dominated', claims.finalDominatedByBaseline.length === 0 ? 'yes' : 'no'],
          ['chosen model mixes crossbar sizes', (results.finals[0]?.crossbarShapes ?? results.finals[0]?.crossbarSizes ?? []).join(', '), claims.chosenUsesMixedCrossbars ? 'yes' : 'no'],
        ],
      },
    },
    ...(claims.headline ? [headlineSection(results)] : []),
    { heading: 'Search: accuracy vs. EDAP', text: `${results.search.evaluations} distinct candidates over ${results.search.generations + 1} generations (population ${c.population}); chosen by rule "${results.chosen.rule}".${screeningText(results)}`, svg: searchSvg },
    {
      heading: 'Per-layer choices of the final models',
      table: {
        columns: ['layer', 'kernel searchable', ...results.finals.map((m) => `${m.name} (kernel x crossbar)`), 'baselines'],
        rows: (results.finals[0]?.layers ?? []).map((l, i) => [
          l.layer,
          l.searchableKernel ? 'yes' : 'no',
          ...results.finals.map((m) => choiceText(m.layers[i])),
          `${results.baselines[0]?.layers[i].kernel}x${results.baselines[0]?.layers[i].kernel} on one size`,
        ]),
      },
    },
    ...results.finals.slice(0, 1).map((m) => ({
      heading: `Per-layer cost of ${m.name}`,
      table: {
        columns: ['layer', 'crossbar', 'arrays', 'utilization', 'ADC bits', 'energy (J)', 'latency (s)', 'area (mm²)'],
        rows: m.costLayers.map((l, i) => [l.layer, `${m.layers[i]?.crossbar ?? ''}`, l.arrays, l.utilization, l.adcBits, l.energyJoules, l.latencySeconds, l.areaMm2]),
      },
    })),
    ...(results.sensitivity ? [whySection(results)] : []),
    await sensitivitySection(results),
    {
      heading: 'Pareto front (validation)',
      table: {
        columns: ['genome', 'non-ideal acc', 'ideal acc', 'EDAP', 'energy (J)', 'latency (s)', 'area (mm²)', 'generation'],
        rows: results.search.front.map((k) => {
          const cand = results.search.candidates.find((x) => x.key === k)!;
          const r = cand.result;
          return [k, pct(r.accuracy), pct(r.idealAccuracy), sci(r.edap), r.energyJoules, r.latencySeconds, r.areaMm2, cand.generation];
        }),
      },
    },
    {
      heading: 'Configuration',
      text:
        `data set ${c.dataset}; network ${results.network.arch} width ${c.network.width}; kernels ${c.kernels.join(',')}; crossbars ${c.crossbars.join(',')}; ` +
        `seed ${results.seed}; supernet ${c.supernet.epochs} epoch(s) on ${c.supernet.images} images; validation ${c.evaluation.validationImages} images; test chips ${c.evaluation.chips}; ` +
        `lambda ${c.lambda}. Device: ${JSON.stringify(c.device)}. ADC energy scaling: ${c.hardware.adc.energyScaling}.`,
    },
  ];
  const total = typeof results.timings.totalSeconds === 'number' ? `, ${results.timings.totalSeconds.toFixed(0)} s` : '';
  return renderHtmlReport(`nax-native evolve: ${c.dataset}`, sections, `seed ${results.seed}${total}${results.resumed ? ' (resumed)' : ''}`);
}

/** The issue-14 headline: four explicit checks with their numbers. */
function headlineSection(results: EvolveResults): ReportSection {
  const h = results.claims.headline;
  const a = h.accuracySignificantlyHigher;
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return {
    heading: `Headline (issue 14): ${h.all ? 'all four hold' : 'not all hold'}`,
    table: {
      columns: ['check', 'numbers', 'holds'],
      rows: [
        [
          `chosen non-ideal accuracy above ${results.claims.bestBaseline}, significant at 95% (paired over the same ${a.chips} chip(s) and ${a.images} test images)`,
          `${pct(a.chosen)} vs ${pct(a.baseline)}: ${signed(a.meanDifference)}${a.ci95 ? ` (95% CI ${signed(a.ci95[0])} to ${signed(a.ci95[1])})` : ''}, ${a.test === 'paired-t' ? 'paired t' : 'McNemar'} p = ${a.p === null ? 'n/a' : a.p.toPrecision(3)}`,
          yes(a.holds),
        ],
        ['EDAP at least 17% lower', `${(100 * h.edapAtLeast17PercentLower.reduction).toFixed(1)}% lower (${sci(h.edapAtLeast17PercentLower.chosenEdap)} vs ${sci(h.edapAtLeast17PercentLower.baselineEdap)})`, yes(h.edapAtLeast17PercentLower.holds)],
        ['mixed crossbar sizes', h.mixedCrossbarSizes.shapes.join(', '), yes(h.mixedCrossbarSizes.holds)],
        [
          'no baseline dominates the front',
          [...h.noBaselineDominatesFront.dominatedOnValidation.map((k) => `${k} (validation)`), ...h.noBaselineDominatesFront.dominatedOnTest.map((k) => `${k} (test)`)].join(', ') || 'none dominated',
          yes(h.noBaselineDominatesFront.holds),
        ],
      ],
    },
  };
}

/** One sentence on the screen's and the predictor's savings (nothing when neither ran). */
function screeningText(results: EvolveResults): string {
  const s = results.search.screening;
  if (!s || (s.savedFullEvaluations === 0 && s.predictorRejected === 0 && Object.keys(s.proxyEvaluations).length === 0)) return '';
  const rungs = Object.entries(s.proxyEvaluations).map(([f, n]) => `${n} at ${f} of the validation images`).join(', ');
  return ` Screening: ${s.fullEvaluations} full simulations; ${rungs || 'no rung evaluations'}; ${s.savedFullEvaluations} candidates ruled out by a rung and ${s.predictorRejected} bred offspring passed over by the predictor were never fully simulated; total cost ${s.fullEvaluationEquivalents.toFixed(1)} full-simulation equivalents.`;
}

/** Why the chosen model's choices: per-layer accuracy sensitivity and cost shares. */
function whySection(results: EvolveResults): ReportSection {
  const w = results.sensitivity!;
  return {
    heading: `Why these choices: per-layer sensitivity of ${results.finals[0]?.name ?? 'the chosen model'}`,
    text:
      `On the first ${w.images} validation images, chip 0: with every layer on its arrays but no device or wire non-idealities the model scores ${pct(w.deviceIdealAccuracy)}, with all of them ${pct(w.accuracy)}. ` +
      '"drop alone": the accuracy lost when only that layer\'s non-idealities are on (a sensitive layer wants arrays that distort it least). ' +
      `"swap": only that layer moved to ${w.swapTo}x${w.swapTo} (the best baseline's size): accuracy and EDAP change. ` +
      'Cost shares: energy, latency (of the sum of layer latencies) and area; EDAP share = (energy + latency + area share) / 3, the layer\'s part of the first-order change of ln EDAP.',
    table: {
      columns: ['layer', 'choice', 'accuracy drop alone', `swap to ${w.swapTo}x${w.swapTo}: accuracy`, 'swap: EDAP', 'energy share', 'latency share', 'area share', 'EDAP share'],
      rows: w.layers.map((l) => [
        l.layer,
        `${l.kernel}x${l.kernel} on ${l.rows}x${l.cols}${l.adcBits !== undefined ? `, ADC ${l.adcBits}` : ''}`,
        signed(-l.accuracyDropAlone),
        l.swap ? signed(l.swap.accuracyChange) : 'already there',
        l.swap ? signed(l.swap.edapChange, 1) : '',
        pct(l.energyShare),
        pct(l.latencyShare),
        pct(l.areaShare),
        pct(l.edapShare),
      ]),
    },
  };
}
