/**
 * Crossbar-size sweep on a tiny MNIST classifier: one sane row per size, EDAP
 * equal to the cost model's for the same mapping, the crossbar path wired as
 * the engine's invariants demand (ideal crossbars = float; lossless
 * converters without device non-idealities = the same accuracy at every
 * size), and the plot/page outputs.
 */
import { loadDataset, type Dataset } from '../../lib/data';
import { calibrateInputActivity, hardwareCost } from '../../lib/hardware';
import { readOnnx } from '../../lib/onnx/reader';
import { writeOnnx } from '../../lib/onnx/writer';
import { planGraph } from '../../lib/plan';
import { calibrate } from '../../lib/runtime/classify';
import { lowerToCrossbarLayers } from '../../lib/runtime/lower';
import { type SweepResult, sweep, sweepReportFiles, DEFAULT_SWEEP_SIZES } from '../../lib/sweep';
import { withCrossbarSize } from '../../lib/plan';
import { DEFAULT_NON_IDEAL } from '../../lib/crossbar/presets';
import { templateClassifier } from './models';

jest.setTimeout(120_000);

let train: Dataset;
let testSet: Dataset;
let result: SweepResult;
const sizes = [16, 64, 128];

beforeAll(async () => {
  train = await loadDataset({ name: 'mnist', split: 'train', limit: 500 });
  testSet = await loadDataset({ name: 'mnist', split: 'test', limit: 150 });
  result = await sweep({ model: templateClassifier(train), dataset: testSet, calibration: train, sizes: [128, 16, 64, 16] });
});

test('one row per size, ascending, with sane accuracies and costs', () => {
  expect(result.rows.map((r) => r.size)).toEqual(sizes);
  expect(result.dataset).toMatchObject({ name: 'mnist', split: 'test', images: 150 });
  expect(result.mapping.default).toMatchObject(DEFAULT_NON_IDEAL);
  // Nearest-class-mean scores: far above chance (10%) in float.
  expect(result.idealAccuracy).toBeGreaterThan(0.4);
  for (const r of result.rows) {
    expect(r.idealAccuracy).toBe(result.idealAccuracy);
    expect(r.nonIdealAccuracy).toBeGreaterThan(0.1);
    expect(r.nonIdealAccuracy).toBeLessThanOrEqual(r.idealAccuracy + 0.05);
    for (const v of [r.energyJoules, r.latencySeconds, r.areaMm2, r.edap, r.imagesPerSecond, r.programSeconds]) expect(v).toBeGreaterThan(0);
    expect(r.edap).toBeCloseTo(r.energyJoules * r.latencySeconds * r.areaMm2, 25);
    expect(r.utilization).toBeGreaterThan(0);
    expect(r.utilization).toBeLessThanOrEqual(1);
  }
  // Bigger arrays: fewer of them, more ADC bits (NAX: ceil(log2(3 * rows)), plus the default
  // reference-column readout's sign bit).
  expect(result.rows.map((r) => r.adcBits)).toEqual([[7], [9], [10]]);
  for (let i = 1; i < result.rows.length; i++) expect(result.rows[i].arrays).toBeLessThan(result.rows[i - 1].arrays);
  expect(Math.min(...result.rows.map((r) => r.edapRelative))).toBe(1);
});

test('EDAP, energy, latency, area and arrays equal hardwareCost for the same mapping and the calibration images\' input bits', async () => {
  // Normalised pixels and the random projection are both signed: two input passes each, as in eval.
  expect(result.signedInputLayers).toEqual(['project', 'classify']);
  const layers = lowerToCrossbarLayers(templateClassifier(train)).map((l) => ({ ...l, signedInput: result.signedInputLayers.includes(l.name) }));
  // The read energy's input digits, measured independently on the same 256 calibration images
  // in one batch (1-bit DAC digits sum to integers, so the batching cannot change them).
  const graph = readOnnx(writeOnnx(templateClassifier(train)));
  const inputRanges = await calibrate(graph, train, { images: 256 });
  const devices = await calibrateInputActivity(graph, planGraph(graph, { mapping: withCrossbarSize(result.mapping, 64), inputRanges }), [
    { images: train.images.subarray(0, 256 * 784), dims: [256, 1, 28, 28] },
  ]);
  expect(Object.keys(devices)).toEqual(['project', 'classify']);
  expect(result.inputActivity).toMatchObject({ source: 'measured', images: 256, measuredLayers: 2, defaultLayers: 0 });
  // Normalised MNIST is mostly background: far fewer 1 bits than the default's p = 1/2.
  expect(devices.project.activity!.meanSquareDigit).toBeLessThan(0.3);
  result.rows.forEach((r, i) => {
    const cost = hardwareCost({ model: layers, mapping: withCrossbarSize(result.mapping, r.size), devices });
    expect(cost.total.edap).toBe(r.edap);
    expect(cost.total.energyJoules.total).toBe(r.energyJoules);
    expect(cost.total.latencySeconds).toBe(r.latencySeconds);
    expect(cost.total.areaMm2.total).toBe(r.areaMm2);
    expect(cost.total.arrays).toBe(r.arrays);
    expect(result.costs[i].total).toEqual(cost.total);
  });
  for (const l of result.costs[0].layers) expect(l.activity.source).toBe('calibration');
  // The same layers listed without signs are costed as unsigned (one pass).
  const unsigned = hardwareCost({ model: lowerToCrossbarLayers(templateClassifier(train)), mapping: withCrossbarSize(result.mapping, 16) });
  expect(unsigned.total.crossbarReads * 2).toBe(result.costs[0].total.crossbarReads);
  // 784 x 64 and 64 x 10 layers at 16x16: (49*4 + 4*1) tiles * 4 slices * 2 (G+/G-).
  expect(result.rows[0].arrays).toBe((49 * 4 + 4 * 1) * 4 * 2);
});

test("inputActivity 'default': the template's default input bits, as the cost command without data; bad choices are NaxErrors", async () => {
  const model = templateClassifier(train);
  const r = await sweep({ model, dataset: testSet, calibration: train, sizes: [64], limit: 20, inputActivity: 'default' });
  expect(r.inputActivity).toMatchObject({ source: 'default', measuredLayers: 0, defaultLayers: 2, meanDigit: 0.5, meanSquareDigit: 0.5 });
  expect(r.inputActivitySeconds).toBe(0);
  const layers = lowerToCrossbarLayers(model).map((l) => ({ ...l, signedInput: true }));
  expect(r.rows[0].edap).toBe(hardwareCost({ model: layers, mapping: withCrossbarSize(r.mapping, 64) }).total.edap);
  // The measured activity changes only the device and wire energy: same arrays, latency and area.
  const measured = result.rows.find((row) => row.size === 64)!;
  const cm = result.costs[result.rows.indexOf(measured)].total, cd = r.costs[0].total;
  expect(cm.latencySeconds).toBe(cd.latencySeconds);
  expect(cm.areaMm2.total).toBe(cd.areaMm2.total);
  expect(cm.energyJoules.adc).toBe(cd.energyJoules.adc);
  expect(cm.energyJoules.crossbar).toBeLessThan(cd.energyJoules.crossbar);
  await expect(sweep({ model, dataset: testSet, sizes: [64], inputActivity: 'data' as never })).rejects.toMatchObject({
    name: 'NaxError', message: expect.stringContaining('inputActivity'),
  });
});

test('ideal crossbars reproduce the float accuracy; lossless converters alone give the same accuracy at every size', async () => {
  const model = templateClassifier(train);
  const ideal = await sweep({ model, dataset: testSet, calibration: train, sizes: [16, 64], mapping: { default: { ideal: true } } });
  for (const r of ideal.rows) expect(r.nonIdealAccuracy).toBe(ideal.idealAccuracy);
  const quantOnly = { parasitics: false, variation: false, stuckAtOn: 0, stuckAtOff: 0, readNoise: 0 } as const;
  const quant = await sweep({ model, dataset: testSet, calibration: train, sizes: [16, 64], mapping: { default: quantOnly } });
  // NAX ADC bits are lossless for 2-bit cells and a 1-bit DAC: the integer result does not depend on tiling.
  expect(quant.rows[0].nonIdealAccuracy).toBe(quant.rows[1].nonIdealAccuracy);
  expect(Math.abs(quant.rows[0].nonIdealAccuracy - quant.idealAccuracy)).toBeLessThanOrEqual(3 / testSet.count);
  // The default non-idealities cost accuracy at some size.
  expect(Math.min(...result.rows.map((r) => r.nonIdealAccuracy))).toBeLessThan(quant.rows[0].nonIdealAccuracy);
});

test('the plot has one point per size (Vega-Lite SVG) and the page is self-contained', async () => {
  const { svg, html } = await sweepReportFiles(result);
  expect(svg.startsWith('<svg')).toBe(true);
  const symbols = svg.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s);
  expect(symbols).not.toBeNull();
  expect((symbols![1].match(/<path/g) ?? []).length).toBe(sizes.length);
  for (const s of sizes) expect(svg).toContain(`${s}x${s}`);
  expect(svg).toContain('EDAP');
  expect(html).toContain('<svg');
  expect((html.match(/<tr>/g) ?? []).length).toBe(sizes.length + 1);
  expect(html).not.toMatch(/<script|<link|src="http/);
});

test('bad sizes and options are NaxErrors naming the argument', async () => {
  const model = templateClassifier(train);
  for (const sizesArg of [[4], [16, 2048], [16.5], []])
    await expect(sweep({ model, dataset: testSet, sizes: sizesArg })).rejects.toMatchObject({ name: 'NaxError', message: expect.stringContaining('sizes') });
  await expect(sweep({ model, dataset: testSet, sizes: [4] })).rejects.toMatchObject({ code: 'ERR_NAX_OUT_OF_RANGE', message: expect.stringContaining('[8, 1024]') });
  await expect(sweep({ model, dataset: testSet, limit: 0 })).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_OUT_OF_RANGE' });
  await expect(sweep({ model, dataset: testSet, mapping: { default: { rows: 16, bogus: 1 } as never } })).rejects.toMatchObject({
    name: 'NaxError',
    code: 'ERR_NAX_CONFIG',
  });
  await expect(sweep({ model, dataset: testSet, mapping: { layers: { nope: { seed: 1 } } } })).rejects.toMatchObject({
    name: 'NaxError',
    code: 'ERR_NAX_CONFIG',
    message: expect.stringContaining('nope'),
  });
  const cifarShaped = { ...testSet, shape: [3, 32, 32] as [number, number, number] };
  await expect(sweep({ model, dataset: cifarShaped, sizes: [16] })).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_SIZE_MISMATCH' });
  await expect(sweep({ model: '/nonexistent/model.onnx', dataset: testSet })).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
  expect(DEFAULT_SWEEP_SIZES).toEqual([16, 32, 64, 128, 256]);
});
